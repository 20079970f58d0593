"""The generated reference of docs/scenario-format.md: the scenario format's tables (from the
typed models) and the population's arrays (from the economy).

Maintenance command: ``python -m carbonsim.format_docs docs/scenario-format.md``.
"""

from __future__ import annotations

import sys

from carbonsim.economy.population import fields_table
from carbonsim.scenario.schema import reference_tables

__all__ = ["DOC_BEGIN", "DOC_END", "generated_docs", "update_docs"]

DOC_BEGIN = "<!-- BEGIN GENERATED: python -m carbonsim.format_docs docs/scenario-format.md -->"
DOC_END = "<!-- END GENERATED -->"


def generated_docs() -> str:
    """The generated block of docs/scenario-format.md, markers included."""
    return (f"{DOC_BEGIN}\n\n## Reference\n\n{reference_tables()}\n"
            f"## Population arrays (`carbonsim.economy.population.FIELDS`)\n\n{fields_table()}\n\n{DOC_END}")


def update_docs(path: str) -> None:
    """Rewrite the generated block of the Markdown file at ``path``."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    start = text.index(DOC_BEGIN.split(":")[0])
    end = text.index(DOC_END) + len(DOC_END)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text[:start] + generated_docs() + text[end:])


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    update_docs(sys.argv[1] if len(sys.argv) > 1 else "docs/scenario-format.md")
