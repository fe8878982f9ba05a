"""Turn a loaded agent spec into its resolved document: overlay merge, interpolation, includes.

Order (each step keeps the position map in step, so later problems still point at the line
that caused them, in whichever file it is):

1. ``deep_merge``: the environment's overlay for this agent (maps merge, lists and scalars are
   replaced, the overlay wins); merged values point into ``agentctl.yaml``.
2. ``interpolate``: ``${var.NAME}`` (environment variables, plus the built-ins ``project``,
   ``environment``, ``region`` and ``account``), ``${env.NAME}`` (process environment), ``$${``
   for a literal ``${``. A string that is exactly one ``${var.X}`` takes the variable's type, so
   ``idleSessionTtl: ${var.ttl}`` can be an integer. Included files are not interpolated
   (prompt templates have their own ``$placeholder$`` syntax).
3. ``resolve_includes``: ``{file: PATH}`` for ``instruction`` and prompt ``template`` (text) and
   ``openapi.file`` (a parsed OpenAPI document). Paths are relative to the including file and
   must stay inside the project directory after resolving symlinks; the file must exist, be
   UTF-8 and at most 1 MiB.

Must not: validate what the values mean (schema/rules do that) or read any file other than the
include targets.
"""

from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from agentctl.errors import Location, Problem
from agentctl.spec import rules_constants as rc
from agentctl.spec.yamlload import PathT, PositionMap, YamlFailure, load_text, read_text, render_path


def sub_positions(positions: PositionMap, prefix: PathT) -> PositionMap:
    """The part of ``positions`` under ``prefix``, re-rooted."""
    n = len(prefix)
    out = PositionMap()
    for p, loc in positions.values.items():
        if p[:n] == tuple(prefix):
            out.values[p[n:]] = loc
    for p, loc in positions.keys.items():
        if p[:n] == tuple(prefix) and len(p) > n:
            out.keys[p[n:]] = loc
    return out


def deep_merge(base: Any, overlay: Any, positions: PositionMap, overlay_positions: PositionMap,
               path: PathT = ()) -> Any:
    """``overlay`` over ``base``: mappings merge key by key; anything else is replaced. Updates
    ``positions`` so replaced values point at the overlay."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for key, value in overlay.items():
            sub = path + (key,)
            if key in base:
                out[key] = deep_merge(base[key], value, positions, overlay_positions, sub)
            else:
                out[key] = copy.deepcopy(value)
                positions.graft(sub, sub_positions(overlay_positions, sub))
                if sub in overlay_positions.keys:
                    positions.keys[sub] = overlay_positions.keys[sub]
                if sub in overlay_positions.values:
                    positions.values[sub] = overlay_positions.values[sub]
        return out
    positions.drop(path)
    positions.graft(path, sub_positions(overlay_positions, path))
    if path in overlay_positions.values:
        positions.values[path] = overlay_positions.values[path]
    if path in overlay_positions.keys:
        positions.keys[path] = overlay_positions.keys[path]
    return copy.deepcopy(overlay)


_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_REF = re.compile(r"(var|env)\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Variables:
    """What ``${var.X}`` and ``${env.X}`` resolve to."""

    var: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    source: str = "the environment's variables"


def interpolate(value: Any, positions: PositionMap, variables: Variables, problems: list[Problem],
                path: PathT = ()) -> Any:
    if isinstance(value, dict):
        return {k: interpolate(v, positions, variables, problems, path + (k,)) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, positions, variables, problems, path + (i,)) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _interpolate_string(value, positions.value(path), path, variables, problems)
    return value


def _interpolate_string(text: str, loc: Location, path: PathT, variables: Variables,
                        problems: list[Problem]) -> Any:
    whole = re.fullmatch(r"\$\{var\.([A-Za-z_][A-Za-z0-9_]*)\}", text)
    if whole and whole.group(1) in variables.var and not isinstance(variables.var[whole.group(1)], str):
        return variables.var[whole.group(1)]

    def repl(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "$${":
            return "${"
        inner = m.group(1)
        if inner is None:
            problems.append(Problem(loc, render_path(path), "unterminated ${ in string", "interpolate.syntax",
                                    hint="close it with }, or write $${ for a literal ${"))
            return token
        ref = _REF.fullmatch(inner.strip())
        if not ref:
            problems.append(Problem(loc, render_path(path), f"unknown interpolation ${{{inner}}}",
                                    "interpolate.syntax",
                                    hint="use ${var.NAME} or ${env.NAME}; write $${ for a literal ${"))
            return token
        kind, name = ref.groups()
        table = variables.var if kind == "var" else variables.env
        if name not in table:
            if kind == "var":
                close = difflib.get_close_matches(name, list(table), n=1, cutoff=0.6)
                hint = (f"did you mean ${{var.{close[0]}}}?" if close
                        else f"define {name} under `variables:` in {variables.source}")
                problems.append(Problem(loc, render_path(path), f"undefined variable ${{var.{name}}}",
                                        "interpolate.undefined", hint=hint))
            else:
                problems.append(Problem(loc, render_path(path),
                                        f"environment variable {name} is not set (${{env.{name}}})",
                                        "interpolate.undefined",
                                        hint=f"export {name}=... before running agentctl"))
            return token
        v = table[name]
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    return _TOKEN.sub(repl, text)


# --- includes -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class IncludeContext:
    root: Path
    """The project directory (resolved); includes must stay inside it."""
    display_root: Path
    """Paths in messages are shown relative to this."""
    parsed: dict[tuple[Path, str], Any] = field(default_factory=dict, compare=False, repr=False)
    """Included YAML/JSON documents already parsed during this load, by file and text: a
    document every spec includes (a shared OpenAPI file) is parsed once per run, not once per
    spec (issue 13). The parsed values are only read afterwards, never changed."""
    found: dict[tuple[Path, str | None], tuple[Path, bool, bool]] = field(default_factory=dict, compare=False,
                                                                   repr=False)
    """(including directory, include path) -> (resolved target, exists, is a file), during this
    load: 200 specs including ``../prompts/instruction.md`` resolve it once, not 200 times
    (``(root, None)``: the project directory itself)."""
    texts: dict[Path, str] = field(default_factory=dict, compare=False, repr=False)
    """Included files already read during this load (successfully), by resolved path."""


def display(path: Path, ctx: IncludeContext) -> str:
    try:
        return str(path.relative_to(ctx.display_root))
    except ValueError:
        return str(path)


def include_target(spec_file: Path, rel: str, ctx: IncludeContext, loc: Location, path: PathT,
                   problems: list[Problem]) -> Path | None:
    """Resolve and check an include path; ``None`` (with a problem) when it cannot be used."""
    key = (spec_file.parent, rel)
    known = ctx.found.get(key)
    try:
        if known is None:
            target = (spec_file.parent / rel).resolve()
            known = ctx.found[key] = (target, target.exists(), target.is_file())
        target, exists, is_file = known
        root_key = (ctx.root, None)  # the project directory itself, resolved once per load
        if root_key not in ctx.found:
            ctx.found[root_key] = (ctx.root.resolve(), True, True)
        root = ctx.found[root_key][0]
    except (OSError, ValueError) as e:  # name too long, NUL byte, symlink loop, ...
        problems.append(Problem(loc, render_path(path), f"include {rel[:80]!r} is not a usable path: "
                                f"{getattr(e, 'strerror', None) or e}", "include.bad-path"))
        return None
    if not target.is_relative_to(root):
        problems.append(Problem(loc, render_path(path), f"include {rel!r} resolves outside the project directory",
                                "include.outside-project",
                                hint=f"keep included files under {display(root, ctx) or '.'} (symlinks are resolved)"))
        return None
    if not exists:
        problems.append(Problem(loc, render_path(path), f"included file {rel!r} does not exist",
                                "include.missing",
                                hint=f"create {display(target, ctx)}, or fix the path (relative to the "
                                     "including file)"))
        return None
    if not is_file:
        problems.append(Problem(loc, render_path(path), f"include {rel!r} is not a file", "include.not-file"))
        return None
    return target


def read_include(spec_file: Path, rel: str, ctx: IncludeContext, loc: Location, path: PathT,
                 problems: list[Problem]) -> tuple[Path, str] | None:
    target = include_target(spec_file, rel, ctx, loc, path, problems)
    if target is None:
        return None
    text = ctx.texts.get(target)
    if text is not None:
        return target, text
    try:
        text = ctx.texts[target] = read_text(target, display=display(target, ctx),
                                             max_bytes=rc.MAX_INCLUDE_BYTES, what="included file")
    except YamlFailure as e:
        for p in e.problems:
            problems.append(Problem(p.location, render_path(path), p.message,
                                    p.code.replace("file.", "include."), hint=p.hint))
        return None
    return target, text


@dataclass(frozen=True)
class OpenApiDoc:
    """A parsed OpenAPI document of one action group, with positions in its own file."""

    value: Any
    positions: PositionMap
    source: str
    """Where it came from, for messages: a file path, or "inline"."""


def resolve_includes(doc: dict[str, Any], spec_file: Path, positions: PositionMap, ctx: IncludeContext,
                     problems: list[Problem]) -> tuple[dict[str, Any], dict[int, OpenApiDoc]]:
    """Replace text includes by their text; parse OpenAPI files. Returns the new document and the
    OpenAPI documents by action-group index."""
    doc = dict(doc)

    def text_at(container: dict[str, Any], key: str, path: PathT) -> None:
        value = container.get(key)
        if isinstance(value, dict) and isinstance(value.get("file"), str) and len(value) == 1:
            got = read_include(spec_file, value["file"], ctx, positions.value(path + ("file",)), path, problems)
            container[key] = got[1] if got else value

    text_at(doc, "instruction", ("instruction",))
    prompts = doc.get("prompts")
    if isinstance(prompts, dict) and isinstance(prompts.get("overrides"), dict):
        prompts = dict(prompts)
        overrides = dict(prompts["overrides"])
        for ptype, ov in overrides.items():
            if isinstance(ov, dict):
                ov = dict(ov)
                text_at(ov, "template", ("prompts", "overrides", ptype, "template"))
                overrides[ptype] = ov
        prompts["overrides"] = overrides
        doc["prompts"] = prompts

    openapi: dict[int, OpenApiDoc] = {}
    groups = doc.get("actionGroups")
    if isinstance(groups, list):
        for i, group in enumerate(groups):
            if not isinstance(group, dict) or not isinstance(group.get("openapi"), dict):
                continue
            spec = group["openapi"]
            base = ("actionGroups", i, "openapi")
            if isinstance(spec.get("file"), str):
                got = read_include(spec_file, spec["file"], ctx, positions.value(base + ("file",)),
                                   base + ("file",), problems)
                if got is None:
                    continue
                target, text = got
                shown = display(target, ctx)
                try:
                    loaded = ctx.parsed.get((target, text))
                    if loaded is None:
                        loaded = ctx.parsed[(target, text)] = load_text(text, shown, path=target)
                except YamlFailure as e:
                    for p in e.problems:
                        problems.append(Problem(p.location, render_path(base + ("file",)) , p.message, p.code,
                                                hint=p.hint))
                    continue
                openapi[i] = OpenApiDoc(loaded.value, loaded.positions, shown)
            elif isinstance(spec.get("inline"), dict):
                openapi[i] = OpenApiDoc(spec["inline"], sub_positions(positions, base + ("inline",)), "inline")
    return doc, openapi
