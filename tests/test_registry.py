"""The generic name -> plug-in registry."""

import pytest

from carbonsim.errors import CarbonsimError
from carbonsim.registry import Registry, UnknownNameError


def make() -> Registry:
    reg: Registry = Registry("market mechanism")
    reg.register("call_auction", 1)

    @reg.register("continuous")
    def continuous():
        return 2

    return reg


def test_register_get_and_order():
    reg = make()
    assert reg.get("call_auction") == 1
    assert reg.get("continuous")() == 2
    assert reg.names() == ("call_auction", "continuous")
    assert list(reg) == ["call_auction", "continuous"]
    assert len(reg) == 2
    assert "continuous" in reg and "dutch" not in reg and 3 not in reg
    assert [name for name, _ in reg.items()] == ["call_auction", "continuous"]


def test_unknown_name_lists_known_names_and_suggests():
    reg = make()
    with pytest.raises(UnknownNameError) as info:
        reg.get("continous")
    text = str(info.value)
    assert "unknown market mechanism 'continous'" in text
    assert "did you mean 'continuous'?" in text
    assert "known: call_auction, continuous" in text
    assert isinstance(info.value, CarbonsimError) and isinstance(info.value, LookupError)
    assert info.value.known == ("call_auction", "continuous")


def test_unknown_unhashable_name_is_still_a_clean_error():
    with pytest.raises(UnknownNameError):
        make().get(["call_auction"])


def test_duplicate_and_bad_names_are_rejected():
    reg = make()
    with pytest.raises(ValueError, match="already registered"):
        reg.register("call_auction", 3)
    with pytest.raises(ValueError, match="non-empty string"):
        reg.register("", 3)


def test_unregister():
    reg = make()
    reg.unregister("continuous")
    assert reg.names() == ("call_auction",)
    with pytest.raises(UnknownNameError):
        reg.unregister("continuous")
