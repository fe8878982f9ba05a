"""Load YAML (and JSON) files into plain Python values plus a map of source positions.

Every mapping key and every value gets a ``Location`` (file:line:col), so each later check can
point at the exact place of a problem. The loader is deliberately stricter than PyYAML:

- duplicate keys are problems (PyYAML silently keeps the last one);
- alias expansion is bounded (a "billion laughs" document is refused, recursive aliases too);
- files over ``MAX_FILE_BYTES`` and files that are not UTF-8 are refused before parsing;
- syntax errors (tabs, bad indentation, ...) are reported at the position PyYAML gives;
- only one document per file; only JSON-compatible values (dates stay strings, binary refused).

Mapping keys are always strings (their source text), as in JSON, so ``200:`` in an OpenAPI
``responses`` map is the key ``"200"``.

Must not: read anything but the one file it is given, apply any agentctl semantics, or raise a
bare PyYAML exception: every failure is a ``Problem`` inside ``YamlFailure``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from agentctl.errors import Location, Problem

MAX_FILE_BYTES = 1024 * 1024
"""1 MiB: far above any real spec, OpenAPI document or prompt; keeps a stray binary out."""

MAX_NODES = 50_000
"""Upper bound on values built from one document, counting every alias expansion. A real spec
has a few hundred values and an OpenAPI document of 11 operations a few thousand; a
billion-laughs document needs millions."""

MAX_DEPTH = 64

PathT = tuple[Any, ...]
"""A path inside a document: mapping keys (str) and list indices (int)."""


def render_path(path: PathT) -> str:
    """``("actionGroups", 0, "functions", 1, "name")`` -> ``actionGroups[0].functions[1].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            needs_quote = not text or any(c in text for c in ".[]/ {}")
            text = f'"{text}"' if needs_quote else text
            out += f".{text}" if out else text
    return out


@dataclass
class PositionMap:
    """Where each key and value of a document came from. Paths missing from the map (values
    added later, required keys that are absent) resolve to their nearest located ancestor."""

    values: dict[PathT, Location] = field(default_factory=dict)
    keys: dict[PathT, Location] = field(default_factory=dict)

    def value(self, path: PathT) -> Location:
        return self._nearest(self.values, path)

    def key(self, path: PathT) -> Location:
        if tuple(path) in self.keys:
            return self.keys[tuple(path)]
        return self.value(path)

    def _nearest(self, table: dict[PathT, Location], path: PathT) -> Location:
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            p = p[:-1]
        return table.get((), Location(next(iter(table.values())).file) if table else Location("<unknown>"))

    def graft(self, prefix: PathT, other: "PositionMap") -> None:
        """Place ``other``'s positions under ``prefix``, replacing what was there."""
        self.drop(prefix, keep_root=True)
        for p, loc in other.values.items():
            if p or tuple(prefix) not in self.values:
                self.values[tuple(prefix) + p] = loc
        for p, loc in other.keys.items():
            self.keys[tuple(prefix) + p] = loc

    def drop(self, prefix: PathT, *, keep_root: bool = False) -> None:
        n = len(prefix)
        for table in (self.values, self.keys):
            for p in [p for p in table if p[:n] == tuple(prefix) and (len(p) > n or not keep_root)]:
                del table[p]


@dataclass(frozen=True)
class Loaded:
    """One parsed file: its value (``None`` for an empty file) and the position of everything."""

    path: Path
    value: Any
    positions: PositionMap


class YamlFailure(Exception):
    """The file could not be loaded at all. ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def read_text(path: Path, *, display: str | None = None, max_bytes: int = MAX_FILE_BYTES,
              what: str = "file") -> str:
    """The UTF-8 text of ``path``; refuses oversized and non-UTF-8 files with a located problem."""
    shown = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise YamlFailure([Problem(Location(shown), "", f"cannot read {what}: {e.strerror or e}",
                                   "file.unreadable")]) from None
    if size > max_bytes:
        raise YamlFailure([Problem(
            Location(shown), "", f"{what} is {size} bytes; the limit is {max_bytes} bytes",
            "file.too-large", hint="split it up, or check that this is the file you meant")])
    try:
        data = path.read_bytes()
    except OSError as e:
        raise YamlFailure([Problem(Location(shown), "", f"cannot read {what}: {e.strerror or e}",
                                   "file.unreadable")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = e.start - (before.rfind(b"\n") + 1) + 1
        raise YamlFailure([Problem(
            Location(shown, line, col), "", f"{what} is not valid UTF-8 (byte 0x{data[e.start]:02x})",
            "file.encoding", hint="save the file as UTF-8")]) from None
    return text[1:] if text.startswith("\ufeff") else text


def load_file(path: Path, *, display: str | None = None) -> Loaded:
    """Read and parse one YAML/JSON file. Raises ``YamlFailure`` when it cannot be parsed;
    duplicate keys and similar per-node problems are collected and raised together."""
    shown = display or str(path)
    text = read_text(path, display=shown)
    return load_text(text, shown, path=path)


def load_text(text: str, display: str, *, path: Path | None = None) -> Loaded:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.composer.ComposerError as e:
        if "expected a single document" in str(e):
            mark = e.problem_mark
            raise YamlFailure([Problem(
                _mark_loc(display, mark), "", "the file contains more than one YAML document",
                "yaml.multiple-documents", hint="put one document per file (remove the `---`)")]) from None
        raise YamlFailure([_syntax_problem(display, e)]) from None
    except yaml.MarkedYAMLError as e:
        raise YamlFailure([_syntax_problem(display, e)]) from None
    except yaml.YAMLError as e:  # unmarked reader errors (e.g. control characters)
        raise YamlFailure([Problem(Location(display), "", f"YAML error: {e}", "yaml.syntax")]) from None
    finally:
        loader.dispose()
    builder = _Builder(loader, display)
    if root is None:
        return Loaded(path or Path(display), None, PositionMap({(): Location(display, 1, 1)}))
    try:
        value = builder.build(root, ())
    except _TooBig as e:
        raise YamlFailure([e.problem]) from None
    if builder.problems:
        raise YamlFailure(builder.problems)
    return Loaded(path or Path(display), value, builder.positions)


_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVED: dict[tuple[str, Any], str] = {}
"""Plain and quoted scalar text -> its resolved tag (see ``_Loader.resolve``)."""
_RESOLVED_MAX = 100_000


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader used only to compose nodes and construct scalars (type resolution). The libyaml
    parser when PyYAML has it (same nodes and marks, several times faster)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # A scalar's tag depends only on its text and (plain, quoted) flags: SafeLoader has no
        # path resolvers (asserted below). PyYAML tries its implicit resolvers' regexes for each
        # scalar; the same keys and values recur in every spec of a project, so each distinct
        # text is resolved once per process (the answer is PyYAML's own).
        if kind is ScalarNode:
            key = (value, implicit)
            tag = _RESOLVED.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_RESOLVED) < _RESOLVED_MAX:
                    _RESOLVED[key] = tag
            return tag
        return super().resolve(kind, value, implicit)


assert not _Loader.yaml_path_resolvers, "tag resolution would depend on the path: drop the memo"


def _mark_loc(display: str, mark: Any) -> Location:
    if mark is None:
        return Location(display)
    return Location(display, mark.line + 1, mark.column + 1)


def _syntax_problem(display: str, e: yaml.MarkedYAMLError) -> Problem:
    mark = e.problem_mark or e.context_mark
    what = (e.problem or "syntax error").strip()
    if e.context:
        what = f"{e.context.strip()}: {what}"
    hint = "check the indentation and quoting around this position"
    if "'\\t'" in what or "\t" in what:
        hint = "YAML does not allow tab characters for indentation; use spaces"
    elif "mapping values are not allowed" in what:
        hint = "quote the value: one containing ': ' must be in quotes"
    return Problem(_mark_loc(display, mark), "", f"invalid YAML: {what}", "yaml.syntax", hint=hint)


class _TooBig(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


class _Builder:
    """Turns a composed node graph into plain values, recording positions as it goes."""

    def __init__(self, loader: _Loader, display: str):
        self.loader = loader
        self.display = display
        self.positions = PositionMap()
        self.problems: list[Problem] = []
        self.count = 0
        self.stack: list[int] = []
        self.scalars: dict[int, Any] = {}

    def loc(self, node: Node) -> Location:
        return _mark_loc(self.display, node.start_mark)

    def build(self, node: Node, path: PathT) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            # Point at the top-level key whose value blew the budget: the deep node where the
            # count ran out is arbitrary, the key is where the alias bomb starts to matter.
            top = path[:1]
            where = self.positions.keys.get(top) or self.loc(node)
            raise _TooBig(Problem(
                where, render_path(top),
                f"the document expands to more than {MAX_NODES} values (alias expansion)",
                "yaml.too-many-nodes",
                hint="this looks like an alias bomb; write the values out, or use fewer aliases"))
        if id(node) in self.stack:
            raise _TooBig(Problem(self.loc(node), render_path(path), "recursive YAML alias",
                                  "yaml.recursive-alias", hint="remove the alias to the anchor from inside it"))
        if len(self.stack) >= MAX_DEPTH:
            raise _TooBig(Problem(self.loc(node), render_path(path),
                                  f"the document is nested deeper than {MAX_DEPTH} levels", "yaml.too-deep"))
        values = self.positions.values
        if path not in values:
            mark = node.start_mark
            values[path] = Location(self.display, mark.line + 1, mark.column + 1)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        self.stack.append(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
        finally:
            self.stack.pop()
        raise AssertionError(f"unexpected node {node!r}")  # pragma: no cover

    def scalar(self, node: ScalarNode, path: PathT) -> Any:
        # Scalars are immutable: an alias re-visiting one reuses the constructed value.
        if id(node) in self.scalars:
            return self.scalars[id(node)]
        if node.tag == _STR_TAG:
            value = node.value  # what SafeConstructor's construct_yaml_str returns
        else:
            value = self._construct(node, path)
        self.scalars[id(node)] = value
        return value

    def _construct(self, node: ScalarNode, path: PathT) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as e:
            self.problems.append(Problem(self.loc(node), render_path(path),
                                         f"unsupported YAML value: {e.problem}", "yaml.unsupported-value"))
            return None
        if isinstance(value, (_dt.date, _dt.datetime)):
            # JSON has no date type; keep what was written (an ISO date is a string to AWS).
            return node.value
        if isinstance(value, bytes):
            self.problems.append(Problem(self.loc(node), render_path(path),
                                         "binary (!!binary) values are not supported", "yaml.unsupported-value"))
            return None
        if isinstance(value, float) and value != value:  # .nan has no JSON form
            self.problems.append(Problem(self.loc(node), render_path(path),
                                         "NaN is not a valid value", "yaml.unsupported-value"))
        return value

    def mapping(self, node: MappingNode, path: PathT) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        own: dict[str, Any] = {}
        seen: dict[str, Location] = {}
        # Merge keys first, whatever their place: a mapping's own keys always win over merged ones.
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                for source in self._merge_sources(value_node, path):
                    merged.update(self.build(source, path))
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if not isinstance(key_node, ScalarNode):
                self.problems.append(Problem(self.loc(key_node), render_path(path),
                                             "mapping keys must be plain strings", "yaml.complex-key"))
                continue
            key = str(key_node.value)
            mark = key_node.start_mark
            kloc = Location(self.display, mark.line + 1, mark.column + 1)
            if key in seen:
                first = seen[key]
                self.problems.append(Problem(
                    kloc, render_path(path + (key,)),
                    f"duplicate key {key!r} (first defined at line {first.line})",
                    "yaml.duplicate-key",
                    hint="YAML keeps only one of them; remove or rename one"))
                continue
            seen[key] = kloc
            if key in merged:
                self.positions.drop(path + (key,))
            vpath = path + (key,)
            self.positions.keys[vpath] = kloc
            if value_node.__class__ is ScalarNode and value_node.tag == _STR_TAG \
                    and self.count < MAX_NODES and len(self.stack) < MAX_DEPTH:
                # The commonest value, a plain string, without the general ``build`` (same
                # count, position and value; the limits' errors stay with ``build``).
                self.count += 1
                values = self.positions.values
                if vpath not in values:
                    mark = value_node.start_mark
                    values[vpath] = Location(self.display, mark.line + 1, mark.column + 1)
                own[key] = value_node.value
            else:
                own[key] = self.build(value_node, vpath)
        merged.update(own)
        return merged

    def _merge_sources(self, node: Node, path: PathT) -> Iterator[Node]:
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        for n in nodes:
            if isinstance(n, MappingNode):
                yield n
            else:
                self.problems.append(Problem(self.loc(n), render_path(path),
                                             "a merge key (<<) needs a mapping or a list of mappings",
                                             "yaml.bad-merge"))
