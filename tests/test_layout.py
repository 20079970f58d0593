"""The layout is the architecture (docs/architecture.md): wings import only wings below them,
no import loops, small modules, and an engine that only schedules.

Imports are read from the source with ``ast`` (every ``import`` and ``from`` statement,
including imports inside functions; those under ``if TYPE_CHECKING:`` are annotations only).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "carbonsim"

#: Lowest first. A module may import its own wing and the wings listed before it.
WINGS = ["foundation", "market", "scenario", "economy", "sim", "outputs", "batch", "top"]
FOUNDATION = {"carbonsim._version", "carbonsim.errors", "carbonsim.registry"}
MAX_LINES = 400


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def wing(module: str) -> str:
    if module in FOUNDATION:
        return "foundation"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in WINGS:
        return parts[1]
    return "top"  # carbonsim itself, cli, __main__, format_docs


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(module: str) -> set[str]:
    """The carbonsim modules that ``module`` imports (a package's face where a name is not a
    submodule)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != module)
    return found


GRAPH = {m: imports(m) for m in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_wing_and_the_wings_below(module):
    mine = WINGS.index(wing(module))
    above = {t for t in GRAPH[module] if WINGS.index(wing(t)) > mine}
    assert not above, f"{module} ({wing(module)}) imports from a wing above its own: {sorted(above)}"


def test_the_market_is_usable_alone():
    outside = {t for m in MODULES if wing(m) == "market" for t in GRAPH[m] if wing(t) != "market"}
    assert not outside


def test_there_is_no_import_loop():
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    loops: list[list[str]] = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH[m]):
            if state.get(t) == 1:
                loops.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t, stack)
        stack.pop()
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m, [])
    assert not loops, "import loops: " + "; ".join(" -> ".join(loop) for loop in loops)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_the_limit(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most {MAX_LINES}): split it"


def test_the_engine_only_schedules():
    """No array arithmetic in the engine: numpy only creates arrays, and arithmetic appears only
    on event times in the calendar methods (``run``, ``_at``)."""
    tree = ast.parse(MODULES["carbonsim.sim.engine"].read_text(encoding="utf-8"))
    calendar = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
                and f.name in ("run", "_at") for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "np":
            assert node.attr in {"zeros", "random", "ndarray", "int64"}, f"engine.py line {node.lineno}: np.{node.attr}"
        arithmetic = (isinstance(node, ast.AugAssign)
                      or isinstance(node, ast.BinOp) and not isinstance(node.op, ast.BitOr))
        literal = isinstance(node, ast.BinOp) and all(
            isinstance(v, ast.Constant) for v in (node.left, node.right))
        if arithmetic and not literal:
            assert id(node) in calendar, (
                f"engine.py line {node.lineno}: {ast.unparse(node)!r} belongs in a step module")


def test_every_wing_names_its_public_face():
    for w in ("market", "scenario", "economy", "sim", "outputs", "batch"):
        face = MODULES[f"carbonsim.{w}"]
        doc = ast.get_docstring(ast.parse(face.read_text(encoding="utf-8")))
        assert doc, f"carbonsim/{w}/__init__.py has no docstring saying what the wing is"
