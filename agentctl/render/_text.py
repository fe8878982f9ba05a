"""Formatting pieces shared by the human and markdown plan renderers: values, attribute lines,
text diffs, the lifecycle line and the summary. Pure; no colour (``human`` adds it).

Every function here formats; none compares values except to lay out a unified diff of two texts
the differ already said differ.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any, Iterator, Mapping

import yaml

from agentctl.core.model import RELEASE_ALIAS, is_ref
from agentctl.plan.model import Action, AgentLifecycle, FieldChange, Plan, ResourceChange

KNOWN_AFTER_APPLY = "(known after apply)"
SENSITIVE = "(sensitive value)"

# Line kinds; ``human`` maps them to colours, ``markdown`` to diff prefixes.
ADD, REMOVE, CHANGE, CONTEXT, NOTE = "+", "-", "~", " ", "#"

_VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in-place",
    Action.DELETE: "will be destroyed",
    Action.REPLACE: "must be replaced",
    Action.NOOP: "is unchanged",
}

_LEGEND = {
    Action.CREATE: "create",
    Action.UPDATE: "update in-place",
    Action.DELETE: "destroy",
    Action.REPLACE: "destroy and then create replacement",
}


def _unref(value: Any) -> Any:
    kind = type(value)
    if kind is dict:  # before the ABC check of ``Mapping`` (issue 13)
        return {k: _unref(v) for k, v in value.items()}
    if kind is str:
        return value
    if is_ref(value):
        return KNOWN_AFTER_APPLY
    if isinstance(value, Mapping):
        return {k: _unref(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unref(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """YAML for nested values: keys sorted, multi-line strings as literal blocks (a prompt
    template inside a prompt configuration reads as text, not as an escaped JSON string)."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)

# The implicit resolvers both dumpers use (PyYAML's ``Resolver``: null, bool, int, float,
# timestamp, merge, value), by first character, wildcard ones appended, as
# ``BaseResolver.resolve`` tries them.
_RES = _Dumper.yaml_implicit_resolvers
_IMPLICIT = {ch: tuple(rs) + tuple(_RES.get(None, ())) for ch, rs in _RES.items() if ch is not None}
_WILDCARD = tuple(_RES.get(None, ()))


def _implicit_tag(s: str) -> str:
    """The tag a plain scalar ``s`` reads back as (str when no implicit resolver matches)."""
    for tag, regexp in _IMPLICIT.get(s[:1], _WILDCARD):
        if regexp.match(s):
            return tag
    return "tag:yaml.org,2002:str"

# libyaml's emitter (PyYAML's C extension, same representers) writes the same YAML as the pure
# Python ``_Dumper`` about 20 times faster (issue 13: yaml.dump was ~85 % of rendering a plan)
# except for text it quotes differently: astral-plane characters, Unicode line breaks
# (U+0085/2028/2029), C0/C1 controls, the BOM and empty keys; and the ``...`` document end
# after a trailing ``|+`` block, which the two write in different cases. ``_c_safe`` admits only
# values free of the former; a libyaml text ending in ``...`` is written again by ``_Dumper``.
# tests/plan/test_render.py compares both dumpers on generated values.
_CDumper: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    class _CDumper(yaml.CSafeDumper):  # type: ignore[no-redef]
        """``_Dumper`` on libyaml's emitter."""

    _CDumper.add_representer(str, _represent_str)

    if not _CDumper.yaml_path_resolvers:
        # libyaml's serializer asks the (pure Python) resolver twice per scalar and once per
        # collection, and tells it every step down and up the tree (issue 13: a fifth of a YAML
        # block's cost). Without path resolvers (SafeDumper has none) the answers are
        # PyYAML's ``BaseResolver.resolve`` in short: a plain scalar's tag from the implicit
        # resolvers of its first character (``_implicit_tag``), else the default tag of the
        # node's kind; descending and ascending do nothing.
        def _resolve(self: Any, kind: type, value: Any, implicit: Any) -> str:
            if kind is yaml.ScalarNode:
                return _implicit_tag(value) if implicit[0] else _CDumper.DEFAULT_SCALAR_TAG
            if kind is yaml.SequenceNode:
                return _CDumper.DEFAULT_SEQUENCE_TAG
            return _CDumper.DEFAULT_MAPPING_TAG

        def _nothing(self: Any, *args: Any) -> None:
            return None

        _CDumper.resolve = _resolve  # type: ignore[method-assign]
        _CDumper.descend_resolver = _nothing  # type: ignore[method-assign]
        _CDumper.ascend_resolver = _nothing  # type: ignore[method-assign]

_C_UNSAFE = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")


def _c_safe(value: Any) -> bool:
    if isinstance(value, str):
        return not _C_UNSAFE.search(value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k and _c_safe(k) and _c_safe(v)
                   for k, v in value.items())
    if isinstance(value, list):
        return all(_c_safe(v) for v in value)
    return value is None or isinstance(value, (bool, int, float))


def _json_c_safe(text: str) -> bool:
    """``_c_safe`` of the value whose ``json.dumps(..., ensure_ascii=False)`` is ``text``, when
    that text alone can tell (False: it cannot, or the value is not safe): JSON writes every
    character of its strings as itself except quote, backslash and C0 controls (``\\n`` and
    ``\\t`` are the only safe ones), and an empty key is the only way to get ``"": ``."""
    return not _JSON_ESCAPE.search(text) and '"": ' not in text and not _C_UNSAFE.search(text)


_JSON_ESCAPE = re.compile(r'\\[^nt"\\]')


def yaml_block(plain: Any, json_text: str | None = None) -> str:
    """``plain`` (a dict or list of JSON values) as agentctl's YAML block, trailing newlines
    stripped: keys sorted, multi-line strings as literal blocks, width 100. ``json_text``, when
    given, is ``plain`` as ``json.dumps(plain, ensure_ascii=False)`` (a faster safety check)."""
    text = _block_fast(plain)
    if text is not None:
        return text
    if _CDumper is not None and isinstance(plain, (dict, list)) and (
            (json_text is not None and _json_c_safe(json_text)) or _c_safe(plain)):
        node = _node(plain)
        if node is not None:
            text = yaml.serialize(node, Dumper=_CDumper, allow_unicode=True, width=100)
            if not text.endswith("\n...\n"):
                return text.rstrip("\n")
    return yaml.dump(plain, Dumper=_Dumper, sort_keys=True, default_flow_style=False,
                     allow_unicode=True, width=100).rstrip("\n")


_REPRESENTER = yaml.representer.SafeRepresenter()
_STR, _NULL, _BOOL, _INT = (f"tag:yaml.org,2002:{t}" for t in ("str", "null", "bool", "int"))
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


def _node(value: Any) -> yaml.Node | None:
    """The node ``_Dumper`` represents ``value`` as (keys sorted, block style, no aliases: the
    values are fresh trees from ``_unref``), built directly: PyYAML's representer walks every
    value through a per-type lookup and an alias table, most of what is left of a large plan's
    render time. None for a type it does not know (then ``yaml.dump`` does it all)."""
    kind = type(value)
    if kind is str:
        return yaml.ScalarNode(_STR, value, style="|" if "\n" in value else None)
    if value is None:
        return yaml.ScalarNode(_NULL, "null")
    if kind is bool:
        return yaml.ScalarNode(_BOOL, "true" if value else "false")
    if kind is int:
        return yaml.ScalarNode(_INT, str(value))
    if kind is float:
        return _REPRESENTER.represent_float(value)
    if kind is dict:
        try:
            items = sorted(value.items())
        except TypeError:  # SafeRepresenter keeps the order of keys it cannot sort
            items = list(value.items())
        pairs = []
        for k, v in items:
            kn, vn = _node(k), _node(v)
            if kn is None or vn is None:
                return None
            pairs.append((kn, vn))
        return yaml.MappingNode(_MAP, pairs, flow_style=False)
    if kind is list:
        nodes = [_node(v) for v in value]
        if any(n is None for n in nodes):
            return None
        return yaml.SequenceNode(_SEQ, nodes, flow_style=False)
    return None


# ------------------------------------------------------------------ YAML blocks, written directly
#
# Most YAML blocks of a plan (OpenAPI documents, function schemas, prompt configurations) are
# printable ASCII: for those ``_block_fast`` writes the lines libyaml writes (issue 13: building
# nodes and libyaml's calls back into the resolver were most of a 200-agent plan's render
# time), and says None (then ``yaml_block`` takes libyaml or PyYAML as before) for anything
# outside what it decides exactly like libyaml's emitter (``yaml_emitter_analyze_scalar`` and
# ``select_scalar_style``; same results as PyYAML's emitter here): a key that is not a str of
# printable ASCII up to 120 characters; a one-line string that is not printable ASCII, or that
# libyaml would fold at the width (100: it breaks at a space once the column passes it); a
# multi-line string that is not a ``|`` / ``|-`` block without indentation hint (non-ASCII,
# tabs, a leading space or newline, a space before a newline or at the end, several final
# newlines); a float whose text would not read back as a float; any other type (subclasses,
# tuples, Refs). Layout: block mappings and sequences, indent 2, a sequence in a mapping not
# indented, ``- `` items holding their first key or item on the same line, ``{}`` / ``[]`` for
# empty ones; a scalar plain unless an indicator, surrounding space or its implicit type
# (``'1.0'``, ``'yes'``, ``''``) says otherwise, then single-quoted.
# tests/plan/test_render.py compares it with both emitters on generated values.

_FLOAT = "tag:yaml.org,2002:float"


# Printable ASCII that libyaml may write plain in block context: no leading or trailing space,
# no indicator first (``#,[]{}&*!|>'"%@` `` always; ``-?:`` before a space or at the end), not
# a document marker; ``_text`` adds: no ``: `` / `` #`` inside, no final ``:``.
_PLAIN = re.compile(
    r"(?![#,\[\]{}&*!|>'\"%@`])(?![-?:](?: |\Z))(?!---|\.\.\.)"
    r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?\Z")
# A literal block libyaml writes ``|`` / ``|-`` with no indentation hint: printable ASCII and
# newlines, not starting with a space or a newline, no space before a newline or at the end,
# at most one final newline.
_LITERAL = re.compile(r"(?![ \n])(?!.* \n)(?:[\x20-\x7e\n]*[\x21-\x7e])?\n?\Z", re.S)


def _text(v: str) -> str | None:
    """A one-line string as libyaml writes it (plain, else single-quoted), or None when it
    is empty or not printable ASCII."""
    if _PLAIN.match(v) and ": " not in v and " #" not in v and v[-1] != ":":
        for _tag, regexp in _IMPLICIT.get(v[0], _WILDCARD):
            if regexp.match(v):
                return "'" + v.replace("'", "''") + "'"  # it would read as another type
        return v
    if v and v.isascii() and v.isprintable():
        return "'" + v.replace("'", "''") + "'"
    return None


_KEYS: dict[str, str | None] = {}
_UNSEEN = object()


def _key(k: Any) -> str | None:
    # Keys are a small vocabulary (API members, OpenAPI keywords): remembered per process.
    if type(k) is not str:
        return None
    text = _KEYS.get(k, _UNSEEN)
    if text is not _UNSEEN:
        return text
    if len(k) > 120:  # (libyaml and PyYAML disagree on which keys of 121-128 are "simple")
        return None
    text = _text(k)
    if len(_KEYS) < 4096:
        _KEYS[k] = text
    return text


def _scalar(v: Any, column: int) -> str | None:
    """``v`` (no newline) written at ``column`` on one line, or None."""
    kind = type(v)
    if kind is str:
        text = _text(v) if v else "''"
        # libyaml breaks a line at a space once the column passes the width (100)
        return text if text is not None and column + text.rfind(" ") <= 100 else None
    if v is None:
        return "null"
    if kind is bool:
        return "true" if v else "false"
    if kind is int:
        return str(v)
    if kind is float:
        text = _REPRESENTER.represent_float(v).value
        return text if _implicit_tag(text) == _FLOAT else None
    return None


def _literal(v: str, indent: int, lines: list[str], head: str) -> bool:
    if not _LITERAL.match(v):
        return False
    if v.endswith("\n"):
        lines.append(head + "|")
        v = v[:-1]
    else:
        lines.append(head + "|-")
    pad = " " * indent
    lines.extend(pad + line if line else "" for line in v.split("\n"))
    return True


def _map(d: dict, indent: int, start: str, lines: list[str]) -> bool:
    try:
        items = sorted(d.items())
    except TypeError:
        return False
    pad = " " * indent
    for k, v in items:
        key = _key(k)
        if key is None:
            return False
        head = start + key + ":"
        start = pad
        kind = type(v)
        if kind is dict:
            if not v:
                lines.append(head + " {}")
            else:
                lines.append(head)
                if not _map(v, indent + 2, pad + "  ", lines):
                    return False
        elif kind is list:
            if not v:
                lines.append(head + " []")
            else:
                lines.append(head)
                if not _seq(v, indent, pad, lines):
                    return False
        elif kind is str and "\n" in v:
            if not _literal(v, indent + 2, lines, head + " "):
                return False
        else:
            text = _scalar(v, indent + len(key) + 2)
            if text is None:
                return False
            lines.append(head + " " + text)
    return True


def _seq(items: list, indent: int, start: str, lines: list[str]) -> bool:
    pad = " " * indent
    for v in items:
        dash = start + "- "
        start = pad
        kind = type(v)
        if kind is dict:
            if not v:
                lines.append(dash + "{}")
            elif not _map(v, indent + 2, dash, lines):
                return False
        elif kind is list:
            if not v:
                lines.append(dash + "[]")
            elif not _seq(v, indent + 2, dash, lines):
                return False
        elif kind is str and "\n" in v:
            if not _literal(v, indent + 2, lines, dash):
                return False
        else:
            text = _scalar(v, indent + 2)
            if text is None:
                return False
            lines.append(dash + text)
    return True


def _block_fast(value: Any) -> str | None:
    """``yaml_block(value)`` for a non-empty dict or list within the limits above, else None."""
    lines: list[str] = []
    kind = type(value)
    if kind is dict and value:
        ok = _map(value, 0, "", lines)
    elif kind is list and value:
        ok = _seq(value, 0, "", lines)
    else:
        return None
    return "\n".join(lines) if ok else None


def format_value(value: Any, *, sensitive: bool = False) -> str:
    """One value: scalars as JSON (strings quoted), short maps and lists as one line of JSON,
    longer ones (or ones holding multi-line text) as a YAML block when that takes several lines
    (else one line of JSON, so an inline value is always JSON), placeholders as ``(known after
    apply)``. The result has several lines exactly when it is a YAML block."""
    if sensitive:
        return SENSITIVE
    if is_ref(value):
        return KNOWN_AFTER_APPLY
    if value is None:
        return "null"
    if isinstance(value, (dict, list, tuple)):
        # The JSON of ``_unref(value)`` without copying it first (most values are short and
        # print inline): the encoder asks ``_json_default`` about what ``_unref`` converts.
        text = _SORTED_JSON.encode(value)
        if len(text) > 72 or "\\n" in text:
            plain = _unref(value)
            block = yaml_block(plain, text)
            # Only a real block is YAML: a one-line dump (``lambda: arn:...``) would print inline
            # in a notation other values never use; one line is always JSON, whatever its length.
            if "\n" in block:
                return block
        # A placeholder is not a string value: show it bare, as Terraform does.
        return text.replace(_QUOTED_PLACEHOLDER, KNOWN_AFTER_APPLY)
    return _JSON.encode(value)


def _json_default(o: Any) -> Any:
    """What ``_unref`` makes of a value JSON cannot write: a placeholder, a mapping's dict."""
    if is_ref(o):
        return KNOWN_AFTER_APPLY
    if isinstance(o, Mapping):
        return dict(o)
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


# ``json.dumps(x, ensure_ascii=False[, sort_keys=True])`` without a new encoder per call.
_SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_json_default)
_JSON = json.JSONEncoder(ensure_ascii=False)
_QUOTED_PLACEHOLDER = json.dumps(KNOWN_AFTER_APPLY)


def action_verb(action: Action) -> str:
    return _VERB[action]


def legend(actions: set[Action]) -> list[tuple[Action, str]]:
    """Terraform's legend, only for the symbols the plan uses."""
    return [(a, f"  {a.symbol} {_LEGEND[a]}") for a in _LEGEND if a in actions]


def resource_label(change: ResourceChange) -> str:
    """``agent "support-bot"``, ``action_group "OrderTools"``, ``version "3"``."""
    parts = change.address.split(".", 3)
    name = parts[3] if len(parts) == 4 else parts[1]
    return f'{change.kind} "{name}"'


def top_attribute(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def unchanged_count(change: ResourceChange) -> int:
    """Top-level attributes of an updated resource that no field change touches."""
    keys = set(change.before or {}) | set(change.after or {})
    touched = {top_attribute(f.path) for f in change.fields}
    return len(keys - touched)


def is_long_text(f: FieldChange) -> bool:
    if f.sensitive:
        return False
    texts = [v for v in (f.before, f.after) if v is not None]
    return bool(texts) and all(isinstance(v, str) for v in texts) and (
        f.text_diff or any("\n" in v for v in texts))


def text_diff(before: str | None, after: str | None) -> list[tuple[str, str]]:
    """A unified diff of two texts as (kind, line) pairs, without the ---/+++ header."""
    a = (before or "").splitlines() if before is not None else []
    b = (after or "").splitlines() if after is not None else []
    out: list[tuple[str, str]] = []
    whole = before is None or after is None  # a created / destroyed text: no hunk header
    for line in difflib.unified_diff(a, b, lineterm="", n=3):
        if line.startswith(("---", "+++")) or (whole and line.startswith("@@")):
            continue
        if line.startswith("@@"):
            out.append((NOTE, line))
        elif line.startswith("+"):
            out.append((ADD, line[1:]))
        elif line.startswith("-"):
            out.append((REMOVE, line[1:]))
        else:
            out.append((CONTEXT, line[1:]))
    return out


def field_lines(f: FieldChange, width: int = 0) -> Iterator[tuple[str, str]]:
    """Lines of one attribute change as (kind, text), the first starting with its symbol, the
    following ones indented relative to it: ``~ path = old -> new``; a long text as a unified
    diff between ``<<-EOT`` and ``EOT``; a YAML block below ``path =``."""
    path = f.path.ljust(width) if len(f.path) <= width else f.path
    if f.before is None and f.after is not None:
        kind = ADD
    elif f.after is None and f.before is not None:
        kind = REMOVE
    else:
        kind = CHANGE
    if is_long_text(f):
        yield kind, f"{kind} {path} = <<-EOT"
        for k, line in text_diff(f.before, f.after):
            symbol = {ADD: "+ ", REMOVE: "- "}.get(k, "  ")
            yield k, f"    {symbol}{line}".rstrip()
        yield CONTEXT, "  EOT"
        return
    before = format_value(f.before, sensitive=f.sensitive)
    after = format_value(f.after, sensitive=f.sensitive)
    if kind == ADD:
        parts = [after]
    elif kind == REMOVE:
        parts = [before, "null"]
    else:
        parts = [before, after]
    if not any("\n" in p for p in parts):
        yield kind, f"{kind} {path} = " + " -> ".join(parts)
        return
    yield kind, f"{kind} {f.path} ="
    for i, part in enumerate(parts):
        if i:
            yield kind, "    ->"
        for line in part.split("\n"):
            yield kind, f"    {line}".rstrip()


def lifecycle_line(lc: AgentLifecycle) -> str:
    """``support-bot: prepare DRAFT; cut version 8; STAGING 7 -> 8; PROD stays on 7``."""
    hint = lc.next_version_hint or KNOWN_AFTER_APPLY
    parts = []
    if lc.prepare:
        parts.append("prepare DRAFT")
    if lc.new_version:
        parts.append(f"cut version {hint}")
    for m in lc.moves:
        to = hint if m.to_version == "new" else (m.to_version or KNOWN_AFTER_APPLY)
        parts.append(f"{m.alias} {m.from_version or '(new)'} -> {to}")
    for m in lc.stays:
        parts.append(f"{m.alias} stays on {m.from_version}")
    if lc.delete_versions:
        noun = "version" if len(lc.delete_versions) == 1 else "versions"
        parts.append(f"delete {noun} {', '.join(lc.delete_versions)}")
    if not (lc.prepare or lc.new_version or lc.moves or lc.delete_versions):
        return f"{lc.agent}: DRAFT and versions unchanged"
    release = release_hint(lc)
    return f"{lc.agent}: " + "; ".join(parts) + (f" ({release})" if release else "")


def release_hint(lc: AgentLifecycle) -> str | None:
    """How to put a version cut by agentctl's release alias live: every declared alias of the
    agent is pinned, so nothing moves until it is promoted."""
    if not any(m.alias == RELEASE_ALIAS and m.to_version == "new" for m in lc.moves):
        return None
    pinned = sorted(m.alias for m in lc.stays) or ["ALIAS"]
    return (f"promote it with `agentctl promote {pinned[0]} --agent {lc.agent} --from "
            f"{RELEASE_ALIAS}`")


def lifecycle_lines(plan: Plan) -> list[str]:
    lines = [lifecycle_line(lc) for lc in plan.lifecycle]
    for c in plan.changes:
        if c.kind == "agent" and c.action is Action.DELETE:
            lines.append(f"{c.address.split('.', 1)[1]}: delete agent")
    return lines


def summary_line(plan: Plan) -> str:
    n = plan.counts()
    return f"Plan: {n['add']} to add, {n['change']} to change, {n['destroy']} to destroy."


def is_empty(plan: Plan) -> bool:
    return not plan.has_changes and all(c.action is Action.NOOP for c in plan.changes)


def notes(plan: Plan) -> list[str]:
    """Reasons attached to resources that do not change (e.g. an agent left out of the specs)."""
    return [f"{c.address} {c.reason}" for c in plan.changes
            if c.action is Action.NOOP and c.reason]


def header(plan: Plan) -> str:
    t = plan.target
    where = ", ".join(str(t[k]) for k in ("kind", "region", "account") if t.get(k))
    return f'agentctl plan for project "{plan.project}", environment "{plan.environment}" ({where})'


def body_lines(change: ResourceChange) -> list[tuple[str, str]]:
    """The lines inside a resource block, as (kind, text) with two-space relative indent."""
    out: list[tuple[str, str]] = []
    # Align the ``=`` of short single-line attributes, as Terraform does.
    simple = [f for f in change.fields if not is_long_text(f) and len(f.path) <= 32]
    width = max((len(f.path) for f in simple), default=0)
    for f in change.fields:
        out.extend(field_lines(f, width))
    if change.action is Action.UPDATE:
        hidden = unchanged_count(change)
        if hidden:
            noun = "attribute" if hidden == 1 else "attributes"
            out.append((NOTE, f"  # ({hidden} unchanged {noun} hidden)"))
    return out
