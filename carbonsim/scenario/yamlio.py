"""Safe YAML reading with line marks, exponent numbers and ``extends:``; YAML writing.

PyYAML follows YAML 1.1, where ``1.0e8`` needs a sign after the ``e`` and ``3e6`` is a string.
The loader here resolves both as numbers (at the resolver, so quoted "3e6" stays a string), and
the dumper quotes such strings so that what it writes reads back the same.

Reading returns the plain data, a mark ``(file, line)`` for every key path, and problems (syntax
errors, duplicate keys, unknown tags) instead of raising.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from carbonsim.scenario.errors import Problem, describe, format_path
from carbonsim.scenario.limits import MAX_SCENARIO_BYTES, check_text, excerpt, human_bytes
from carbonsim.scenario.yaml_messages import syntax_message

__all__ = ["Parsed", "ScenarioDumper", "ScenarioLoader", "Unusable", "dump_yaml", "parse_yaml",
           "read_bounded", "read_file", "syntax_message"]

Path = tuple[object, ...]
Mark = tuple[str, int]

_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)
_FLOAT_TAG = "tag:yaml.org,2002:float"


def _with_exponent_floats(resolvers: dict) -> dict:
    """A copy of PyYAML's implicit resolvers whose float pattern accepts ``3e6`` and ``1.0e8``."""
    out = {}
    for first, entries in resolvers.items():
        out[first] = [(tag, _FLOAT if tag == _FLOAT_TAG else rx) for tag, rx in entries]
    for first in "0123456789-+.":
        if not any(tag == _FLOAT_TAG for tag, _ in out.get(first, [])):
            out.setdefault(first, []).insert(0, (_FLOAT_TAG, _FLOAT))
    return out


class ScenarioLoader(yaml.SafeLoader):
    """SafeLoader reading exponent numbers without a sign (``3e6``, ``1.0e8``) as floats."""

    yaml_implicit_resolvers = _with_exponent_floats(yaml.SafeLoader.yaml_implicit_resolvers)


class ScenarioDumper(yaml.SafeDumper):
    """SafeDumper that quotes strings the ScenarioLoader would read as numbers."""

    yaml_implicit_resolvers = _with_exponent_floats(yaml.SafeDumper.yaml_implicit_resolvers)


def dump_yaml(data: object) -> str:
    """YAML text for plain data, keys in insertion order, readable back by ScenarioLoader."""
    return yaml.dump(data, Dumper=ScenarioDumper, sort_keys=False, allow_unicode=True, width=100)


@dataclass
class Parsed:
    """Plain data read from YAML, the mark of every key path, and the problems met."""

    data: object = None
    marks: dict[Path, Mark] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False  # the data is incomplete (extends failed): report, do not validate
    reported: set[Path] = field(default_factory=set)  # values already reported (left as null)


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


def parse_yaml(text: str, file: str) -> Parsed:
    """Read one YAML document into plain data with marks; problems are returned, not raised."""
    out = Parsed()
    try:
        loader = ScenarioLoader(text)
    except yaml.reader.ReaderError as exc:  # raised before parsing: a character YAML forbids
        out.problems.append(Problem(
            file, None, "", f"expected printable text; got character #x{exc.character:04x} "
            f"at position {exc.position} (remove it or save the file as UTF-8 text)"))
        return out
    try:
        node = loader.get_single_node()
        if node is None:
            out.problems.append(Problem(file, None, "", "expected a scenario; got an empty file"))
            return out
        out.data = _Builder(loader, file, out).build(node, ())
    except _TooLarge as big:
        out.problems.append(Problem(
            file, big.line, big.path, f"expected at most {MAX_VALUES:,} values; got more "
            "(aliases that repeat other aliases expand exponentially: write the data out)"))
        out.data = None
    except yaml.MarkedYAMLError as exc:
        line, message = syntax_message(exc, text)
        out.problems.append(Problem(file, line, "", message))
    except yaml.YAMLError as exc:
        out.problems.append(Problem(file, None, "", f"expected valid YAML; got {exc}"))
    except RecursionError:
        out.problems.append(Problem(file, None, "", "expected valid YAML; got nesting too deep"))
    finally:
        loader.dispose()
    return out


#: Most values (scalars, lists, mappings) a scenario may expand to. A population of 10,000
#: inline emitters is about 100,000; "billion laughs" alias bombs are stopped here.
MAX_VALUES = 1_000_000


class _TooLarge(Exception):
    def __init__(self, line: int, path: str) -> None:
        self.line, self.path = line, path


class _Builder:
    """Turns composed YAML nodes into plain data, recording marks and problems."""

    def __init__(self, loader: ScenarioLoader, file: str, out: Parsed) -> None:
        self.loader, self.file, self.out = loader, file, out
        self.active: set[int] = set()
        self.budget = MAX_VALUES  # values left to build: aliases can expand exponentially

    def spend(self, node: Node, path: Path) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge(node.start_mark.line + 1, format_path(path))

    def problem(self, node: Node, path: Path, message: str) -> None:
        line = node.start_mark.line + 1
        self.out.problems.append(Problem(self.file, line, format_path(path), message))

    def build(self, node: Node, path: Path) -> object:
        self.spend(node, path)
        self.out.marks.setdefault(path, (self.file, node.start_mark.line + 1))
        if id(node) in self.active:
            self.problem(node, path, "expected plain data; got an alias that contains itself")
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode) and node.tag == _SEQ_TAG:
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode) and node.tag == _MAP_TAG:
                return self.mapping(node, path)
            self.problem(node, path, f"expected a plain list or mapping; got the tag {node.tag}")
            return None
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, path: Path) -> object:
        try:
            return self.loader.construct_object(node, deep=True)
        except Exception as exc:  # noqa: BLE001 - any constructor failure is a bad value
            reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)
            kind = "a valid value"
            if node.tag.endswith(":timestamp"):
                kind = 'a date "MM-DD" in quotes' if path[:1] == ("calendar",) else "a valid date"
            self.problem(node, path, f"expected {kind}; got {excerpt(node.value)} ({reason})")
            self.out.reported.add(path)  # the null left here is not a second problem
            return None

    def mapping(self, node: MappingNode, path: Path) -> dict:
        try:
            self.loader.flatten_mapping(node)  # resolves '<<' merge keys
        except yaml.YAMLError as exc:
            self.problem(node, path, f"expected valid merge keys; got {exc}")
            return {}
        out: dict = {}
        first_line: dict = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, path) if isinstance(key_node, ScalarNode) else None
            if key is None or isinstance(key, (dict, list)):
                self.problem(key_node, path, "expected a plain key; got a list, mapping or null")
                continue
            line = key_node.start_mark.line + 1
            if key in out:
                self.problem(
                    key_node,
                    path + (key,),
                    f"expected each key once; got {describe(key)} again (first on line {first_line[key]})",
                )
                continue
            first_line[key] = line
            self.out.marks[path + (key,)] = (self.file, line)
            out[key] = self.build(value_node, path + (key,))
        return out


def read_file(path: str, _chain: tuple[tuple[str, str], ...] = ()) -> Parsed:
    """Read a scenario file, following ``extends:`` (deep merge, relative paths, no cycles).

    ``path`` is shown in messages as given (normalised); relative paths in the file (``extends``,
    ``emitters.file``) are resolved against the file's folder and rewritten in the data.
    """
    shown = os.path.normpath(path)
    key = os.path.abspath(shown)
    try:
        text = read_bounded(shown, MAX_SCENARIO_BYTES).decode("utf-8")
    except FileNotFoundError:
        return Parsed(problems=[Problem(shown, None, "", "expected an existing file; got no such file")])
    except Unusable as exc:
        return Parsed(problems=[Problem(shown, None, "", f"expected {exc}")])
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Parsed(problems=[Problem(shown, None, "", f"expected a readable text file; got {reason}")])
    return resolve_text(text, shown, os.path.dirname(shown), _chain + ((key, shown),))


class Unusable(ValueError):
    """A file that is not a regular file, or too large; the message reads "a ...; got ..."."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_bounded(path: str, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Never blocks on a named pipe and never reads a device: both are refused, as are files
    larger than ``limit``. Raises FileNotFoundError, Unusable, or OSError.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unusable(f"a regular file; got {_kind(info.st_mode)}")
        if info.st_size > limit:
            raise Unusable(f"a file of at most {human_bytes(limit)}; got "
                           f"{human_bytes(info.st_size)}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while read
            raise Unusable(f"a file of at most {human_bytes(limit)}; got a larger one")
        return b"".join(chunks)
    finally:
        os.close(fd)


def resolve_text(text: str, shown: str, folder: str, chain: tuple[tuple[str, str], ...] = ()) -> Parsed:
    """Parse YAML text shown as ``shown``, whose relative paths start in ``folder``."""
    parsed = parse_yaml(text, shown)
    return resolve_data(parsed, shown, folder, chain)


def resolve_data(
    parsed: Parsed, shown: str, folder: str, chain: tuple[tuple[str, str], ...] = ()
) -> Parsed:
    """Apply ``extends:`` and rebase relative file paths of already parsed data."""
    data = parsed.data
    if not isinstance(data, dict):
        if data is not None and not parsed.problems:
            parsed.problems.append(
                Problem(shown, 1, "", f"expected a mapping of scenario keys; got {describe(data)}")
            )
        return parsed
    _rebase_emitters_file(data, folder)
    if "extends" not in data:
        return parsed
    target = data.pop("extends")
    file, line = parsed.marks.get(("extends",), (shown, None))
    if not isinstance(target, str) or not target:
        parsed.problems.append(
            Problem(file, line, "extends", f"expected a scenario file path; got {describe(target)}")
        )
        parsed.fatal = True
        return parsed
    bad = check_text(target)
    if bad:
        parsed.problems.append(Problem(file, line, "extends", bad[0][1]))
        parsed.fatal = True
        return parsed
    target_path = os.path.normpath(os.path.join(folder, target))
    seen = [k for k, _ in chain]
    if os.path.abspath(target_path) in seen:
        start = seen.index(os.path.abspath(target_path))
        cycle = " -> ".join([s for _, s in chain[start:]] + [target_path])
        parsed.problems.append(
            Problem(file, line, "extends", f"expected no cycle of extends; got {cycle}")
        )
        parsed.fatal = True
        return parsed
    if not os.path.exists(target_path):
        parsed.problems.append(
            Problem(file, line, "extends", f"expected an existing scenario file; got "
                    f"{excerpt(target)} (no file {os.path.abspath(target_path)}: the path is "
                    "relative to this file's folder)")
        )
        parsed.fatal = True
        return parsed
    base = read_file(target_path, _chain=chain)
    if not isinstance(base.data, dict) or base.fatal:
        parsed.problems[:0] = base.problems
        parsed.fatal = True
        return parsed
    replaced: list[Path] = []
    merged = deep_merge(base.data, data, (), replaced)
    marks = {
        p: m for p, m in base.marks.items() if not any(p[: len(r)] == r for r in replaced)
    }
    marks.update(parsed.marks)
    return Parsed(merged, marks, base.problems + parsed.problems,
                  reported=base.reported | parsed.reported)


_FORM_KEYS = ("kind", "dist", "rule")


def _form_changed(base: dict, child: dict) -> bool:
    """True when ``child`` describes another kind of thing than ``base`` (replace, not merge)."""
    if any(k in base and k in child and base[k] != child[k] for k in _FORM_KEYS):
        return True
    return ("file" in child and "generate" in base) or ("generate" in child and "file" in base)


def deep_merge(base: object, child: object, path: Path = (), replaced: list[Path] | None = None) -> object:
    """``child`` over ``base``: mappings merge key by key; anything else replaces.

    A mapping whose ``kind``, ``dist`` or ``rule`` changes (or an emitters ``file`` replacing a
    ``generate``) replaces the base mapping instead of merging into it. Paths replaced are
    appended to ``replaced``.
    """
    if isinstance(base, dict) and isinstance(child, dict) and not _form_changed(base, child):
        out = dict(base)
        for k, v in child.items():
            out[k] = deep_merge(base[k], v, path + (k,), replaced) if k in base else v
        return out
    if replaced is not None:
        replaced.append(path)
    return child


def _rebase_emitters_file(data: dict, folder: str) -> None:
    """Make ``emitters.file`` relative to the current folder instead of the scenario's."""
    emitters = data.get("emitters")
    if isinstance(emitters, dict) and isinstance(emitters.get("file"), str) and emitters["file"]:
        emitters["file"] = os.path.normpath(os.path.join(folder, emitters["file"]))
