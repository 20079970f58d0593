"""The result tables in the docs are written from runs (docs/make_tables.py): they must match
what the code gives now. When the engine's results change on purpose, rewrite them with
``python docs/make_tables.py`` and review the diff."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tables():
    spec = importlib.util.spec_from_file_location("make_tables", ROOT / "docs" / "make_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_docs_result_tables_match_the_code(capsys):
    status = _tables().main(["--check"])
    assert status == 0, ("docs tables out of date (run python docs/make_tables.py):\n"
                         + capsys.readouterr().out[-4000:])


def test_every_generated_table_has_its_markers():
    tables = _tables()
    for name, (rel, _) in tables.TABLES.items():
        assert tables._block(name).search((ROOT / rel).read_text(encoding="utf-8")), (rel, name)


def test_every_real_figure_names_a_known_figure_and_its_source():
    from carbonsim.outputs.observed import FIGURES

    tables = _tables()
    real = tables.real_figures()
    assert len(real) and real.value.notna().all()
    assert set(real.figure) <= set(FIGURES)
    assert set(real.scenario) <= {key for _, key in tables.REAL_RUNS.values()}
    for row in real.itertuples():
        assert row.key and len(row.source) > 10 and row.url.startswith("http"), row
    # a key names one source
    assert (real.groupby("key").url.nunique() == 1).all()
