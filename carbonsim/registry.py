"""A registry of named plug-ins (allocation rules, market mechanisms, expectation models, reserves).

A scenario names a plug-in by a string; the registry maps that string to the object. Register
with ``REG.register("name", obj)`` or as a decorator ``@REG.register("name")``. Looking up an
unknown name raises :class:`UnknownNameError` naming the closest known name and listing all.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar, overload

from carbonsim.errors import CarbonsimError

__all__ = ["Registry", "UnknownNameError"]

T = TypeVar("T")


class UnknownNameError(CarbonsimError, LookupError):
    """A name that is not registered; ``known`` lists the registered names."""

    def __init__(self, kind: str, name: object, known: tuple[str, ...]) -> None:
        self.kind, self.name, self.known = kind, name, known
        super().__init__(f"unknown {kind} {name!r}{suggest(name, known)}; known: {', '.join(known)}")


def suggest(name: object, known: tuple[str, ...] | list[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``known`` to ``name``, or ``""``."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Registry(Generic[T]):
    """Name -> plug-in mapping with helpful errors; ``kind`` names the plug-ins in messages."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    @overload
    def register(self, name: str) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, plugin: T) -> T: ...

    def register(self, name: str, plugin: T | None = None):  # type: ignore[no-untyped-def]
        """Register ``plugin`` under ``name`` (or return a decorator doing so).

        Raises ValueError if the name is empty, not a string, or already taken.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} name must be a non-empty string; got {name!r}")

        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = obj
            return obj

        return add if plugin is None else add(plugin)

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests use this to clean up). Raises UnknownNameError if absent."""
        self.get(name)
        del self._items[name]

    def get(self, name: object) -> T:
        """The plug-in registered as ``name``. Raises UnknownNameError listing the known names."""
        try:
            return self._items[name]  # type: ignore[index]
        except (KeyError, TypeError):
            raise UnknownNameError(self.kind, name, self.names()) from None

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order."""
        return tuple(self._items)

    def items(self) -> list[tuple[str, T]]:
        """(name, plug-in) pairs, in registration order."""
        return list(self._items.items())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._items)})"
