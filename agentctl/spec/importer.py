"""``agentctl import``: the spec files of live agents, derived through the field table.

``import_agent`` turns one live agent (``agentctl.core.model.LiveAgent``, read by
``agentctl.aws.live``) into the text of its spec file and of the files it includes:

- the document is ``agentctl.spec.mapping.spec_document`` of the live DRAFT (the inverse of
  the field table), so every key the table maps comes back and nothing is spelled twice;
- values whose field is an ``include`` (the instruction, prompt templates) go to text files and
  OpenAPI documents (``openapi.inline``) to YAML files, included with ``{file: PATH}`` as
  hand-written specs do (``prompts/<agent>/instruction.md``, ``prompts/<agent>/<type>.txt``,
  ``openapi/<agent>/<group>.yaml``);
- ids and ARNs (fields marked ``ref``) become ``${var.NAME}`` when the environment defines a
  variable with exactly that value, and an ARN's account and region ``${var.account}`` /
  ``${var.region}``; every other ``${`` in a value is written ``$${`` so interpolation gives
  the live text back;
- each alias's ``track`` comes from the record of what agentctl last applied when there is one,
  else from the routing (``alias_tracks``: AWS stores no such notion);
- ownership tags (``agentctl:``) are never written as user tags.

Nothing is lost silently: the written document is mapped back (``mapping.to_config``) and
compared with the live configuration; whatever differs is named in ``Imported.notes`` (and the
command prints it), as is everything AWS does not store (return-of-control handlers).

``write_files`` writes the result: it refuses to overwrite an existing file unless ``force``
(naming every such file, before writing any), and writes each file atomically (a temporary
file in the same directory, then a rename).

Must not: call AWS (it is given what was read), mutate anything but the files it is asked to
write, or write outside the project directory.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from agentctl.core.model import (
    OWNER_TAG,
    OWNER_TAG_VALUE,
    AgentConfig,
    LiveAgent,
    RELEASE_ALIAS,
    Ref,
    TRACK_LATEST,
    TRACK_PINNED,
    canonical_json,
    plain,
)
from agentctl.core.normalize import align_content, canonicalize, comparable_content, user_tags
from agentctl.errors import UsageError
from agentctl.spec import fields
from agentctl.spec.mapping import spec_document, to_config
from agentctl.spec.resolve import OpenApiDoc
from agentctl.spec.yamlload import PositionMap

BUILTIN_VARIABLES = ("project", "environment", "region", "account")


@dataclass(frozen=True)
class OutFile:
    path: str
    """Relative to the project directory, ``/``-separated."""
    text: str


@dataclass(frozen=True)
class Imported:
    name: str
    agent_id: str
    spec: str
    """The spec file, relative to the project directory."""
    files: tuple[OutFile, ...]
    """The spec file first, then the files it includes."""
    notes: tuple[str, ...] = ()
    """What could not be expressed, was guessed, or is not stored by AWS (warnings)."""
    document: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """The spec document as written (includes as ``{file: ...}``, references as written)."""


# --------------------------------------------------------------------------- alias tracking

def alias_tracks(live: LiveAgent, recorded: Mapping[str, str] | None = None
                 ) -> tuple[dict[str, str], list[str]]:
    """alias name -> ``latest`` | ``pinned`` for the agent's own aliases, and notes.

    ``recorded`` (alias -> track from the last configuration agentctl applied) wins. Otherwise:
    agentctl's release alias exists only when every alias is pinned; else an alias routed to the
    newest version tracks it when another alias does not (STAGING on 3, PROD on 2); when all or
    none route to the newest version the routing does not tell, and ``pinned`` (apply never
    moves it) is chosen and said."""
    names = [n for n in sorted(live.aliases) if not n.startswith("agentctl-")]
    if recorded is not None and all(n in recorded for n in names):
        return {n: recorded[n] for n in names}, []
    newest = live.newest_version.version if live.newest_version else None
    if RELEASE_ALIAS in live.aliases or newest is None:
        return {n: TRACK_PINNED for n in names}, []
    on_newest = [n for n in names if live.aliases[n].routed_version == newest]
    if on_newest and len(on_newest) < len(names):
        return {n: TRACK_LATEST if n in on_newest else TRACK_PINNED for n in names}, []
    notes = []
    if len(names) > 0:
        notes.append(f"aliases {', '.join(names)}: AWS does not record whether an alias follows "
                     "new versions; imported as `track: pinned` (only promote/rollback move it). "
                     "Set `track: latest` on the one apply should move.")
    return {n: TRACK_PINNED for n in names}, notes


# --------------------------------------------------------------------------- the import

def import_agent(live: LiveAgent, *, spec_path: str, variables: Mapping[str, Any],
                 region: str, account: str,
                 alias_names: Mapping[str, tuple[str, str]] | None = None,
                 recorded_tracks: Mapping[str, str] | None = None,
                 spec_globs: Sequence[str] = ()) -> Imported:
    """The files of one live agent (module docstring). ``spec_path`` is relative to the project
    directory; ``variables`` are the environment's (``${var.NAME}``); ``alias_names`` maps alias
    ARNs of project agents to (agent, alias) for collaborators; ``spec_globs`` are the project's
    ``agents:`` globs (an OpenAPI file that one of them would match is written as JSON)."""
    notes: list[str] = []
    tracks, track_notes = alias_tracks(live, recorded_tracks)
    notes.extend(track_notes)
    if live.owner_tags and live.owner_tags.get(OWNER_TAG) != OWNER_TAG_VALUE:
        notes.append("tags " + ", ".join(f"{k}={v}" for k, v in sorted(live.owner_tags.items()))
                     + ": agentctl's own tag namespace, not user tags; not copied (`agentctl "
                     "adopt` replaces them)")
    aliases = {}
    for n, a in live.config.aliases.items():
        kept = user_tags(a.tags)
        if kept != dict(a.tags):
            notes.append(f"aliases[{n}].tags: agentctl's own tags "
                         f"({', '.join(sorted(set(a.tags) - set(kept)))}) are not user tags; "
                         "not copied")
        aliases[n] = dataclasses.replace(a, track=tracks.get(n, a.track), tags=kept)
    config = dataclasses.replace(live.config, aliases=aliases)
    doc = spec_document(config, alias_names=alias_names)
    notes.extend(_unexpressed(doc, config, alias_names or {}))
    notes.extend(_not_stored(doc))
    if live.newest_version is not None and live.newest_version.content is not None:
        want = comparable_content(config.content())
        have = align_content(want, comparable_content(live.newest_version.content))
        if canonical_json(want) != canonical_json(have):
            notes.append(f"the DRAFT differs from version {live.newest_version.version}: the "
                         "next apply releases it as a new version")

    spec_dir = posixpath.dirname(spec_path)
    side = f"prompts/{live.config.name}"
    files: list[OutFile] = []

    def include(path: str, text: str) -> dict[str, str]:
        files.append(OutFile(path, text))
        return {"file": posixpath.relpath(path, spec_dir or ".")}

    if isinstance(doc.get("instruction"), str):
        doc["instruction"] = include(f"{side}/instruction.md", doc["instruction"])
    overrides = fields.get(doc, "prompts.overrides") or {}
    for ptype, ov in overrides.items():
        if isinstance(ov.get("template"), str):
            ov["template"] = include(f"{side}/{ptype.lower()}.txt", ov["template"])
    for group in doc.get("actionGroups") or ():
        inline = fields.get(group, "openapi.inline")
        if inline is not None:
            path = f"openapi/{live.config.name}/{group['name']}.yaml"
            text = _dump(inline)
            if any(fnmatch.fnmatch(path, g) for g in spec_globs):
                path, text = path[: -len(".yaml")] + ".json", _json_text(inline)
            group["openapi"] = include(path, text)

    doc = _escape(doc)
    _substitute_refs(doc, variables, region=region, account=account)
    header = (f"# Imported by `agentctl import` from agent {live.agent_id}.\n"
              "# Review it, then `agentctl adopt` the agent and `agentctl plan` (no changes).\n")
    spec = OutFile(spec_path, header + _dump(doc))
    return Imported(name=live.config.name, agent_id=live.agent_id, spec=spec_path,
                    files=(spec, *files), notes=tuple(notes), document=doc)


def _unexpressed(doc: Mapping[str, Any], config: AgentConfig,
                 alias_names: Mapping[str, tuple[str, str]]) -> list[str]:
    """Where the spec document, mapped back, is not the live configuration: what the spec
    format cannot express (named by path), so it is reported instead of lost. A collaborator
    written as ``agent`` + ``alias`` maps back to a value known after apply: its ARN is the one
    it was read from."""
    openapi = {i: OpenApiDoc(fields.get(g, "openapi.inline"), PositionMap(), "inline")
               for i, g in enumerate(doc.get("actionGroups") or ())
               if fields.get(g, "openapi.inline") is not None}
    back = canonicalize(to_config(plain(doc), openapi))
    arns = {fields.alias_address(*v): k for k, v in alias_names.items()}
    collabs = {}
    for n, c in back.collaborators.items():
        c = plain(c)
        ref = fields.get(c, "agentDescriptor.aliasArn")
        if isinstance(ref, Ref) and ref.address in arns:
            c["agentDescriptor"] = {"aliasArn": arns[ref.address]}
        collabs[n] = c
    back = dataclasses.replace(back, collaborators=collabs)
    want = canonicalize(config)
    out = []
    for what, a, b in (("", back.agent, want.agent), ("tags", back.tags, want.tags),
                       ("actionGroups", back.action_groups, want.action_groups),
                       ("knowledgeBases", back.knowledge_bases, want.knowledge_bases),
                       ("collaboration.collaborators", back.collaborators, want.collaborators)):
        for key in sorted(set(a) | set(b)):
            va, vb = a.get(key), b.get(key)
            if _json(va) != _json(vb):
                where = f"{what}[{key}]" if what else key
                out.append(f"{where}: the live value cannot be expressed in a spec and was "
                           f"skipped (live: {_short(vb)})")
    for n in sorted(want.aliases):
        if n.startswith("agentctl-"):
            continue
        a, b = back.aliases.get(n), want.aliases[n]
        if a is None or (a.description, dict(a.tags), a.invocation_state) != \
                (b.description, dict(b.tags), b.invocation_state):
            out.append(f"aliases[{n}]: the live alias cannot be expressed in a spec as it is")
    return out


def _not_stored(doc: Mapping[str, Any]) -> list[str]:
    out = []
    for g in doc.get("actionGroups") or ():
        if fields.get(g, "executor.returnControl"):
            out.append(f"actionGroups[{g['name']}].executor.handler: the local return-of-control "
                       "handler is agentctl's own (not stored by AWS); add it by hand to run "
                       "the group with `agentctl invoke` on the local target")
    return out


def _json(value: Any) -> str:
    return canonical_json(plain(value, refs_as_json=True))


def _short(value: Any) -> str:
    text = _json(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --------------------------------------------------------------------------- references

def _escape(value: Any) -> Any:
    """Every ``${`` as ``$${`` (interpolation turns it back), in values, not keys."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value


def reference(value: str, variables: Mapping[str, Any], *, region: str, account: str) -> str:
    """``value`` as the environment would spell it: ``${var.NAME}`` when a variable (the first
    in name order) has exactly that value; else an ARN with ``${var.account}`` /
    ``${var.region}`` for the environment's own account and region; else ``value``."""
    if "${" in value:
        return value
    for name in sorted(variables):
        if name not in BUILTIN_VARIABLES and variables[name] == value:
            return "${var.%s}" % name
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) == 6:
            if parts[3] and parts[3] == region:
                parts[3] = "${var.region}"
            if parts[4] and parts[4] == account:
                parts[4] = "${var.account}"
            return ":".join(parts)
    return value


def _substitute_refs(doc: dict[str, Any], variables: Mapping[str, Any], *, region: str,
                     account: str) -> None:
    def sub(v: str) -> str:
        return reference(v, variables, region=region, account=account)

    _walk_refs(fields.AGENT, doc, sub)
    for child in fields.CHILDREN:
        for item in fields.get(doc, child.spec) or ():
            _walk_refs(child.resource, item, sub)


def _walk_refs(resource: fields.Resource, obj: dict[str, Any], sub) -> None:
    for f in resource.fields:
        if f.spec is None:
            continue
        v = fields.get(obj, f.spec)
        if v is None:
            continue
        if f.ref and isinstance(v, str):
            fields.put(obj, f.spec, sub(v))
        elif f.item is not None and isinstance(v, list):
            for x in v:
                if isinstance(x, dict):
                    _walk_refs(f.item, x, sub)
        elif f.item is not None and isinstance(v, dict):
            for x in v.values():
                if isinstance(x, dict):
                    _walk_refs(f.item, x, sub)


# --------------------------------------------------------------------------- YAML text

class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> Any:
    # Prose reads best as a block; PyYAML falls back to quoting when a block cannot carry the
    # exact text (trailing spaces, special characters), so the value still loads back equal.
    style = None
    if "\n" in value:
        style = '"' if value[:1].isspace() else "|"

    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(value: Any) -> str:
    return yaml.dump(plain(value), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


def _json_text(value: Any) -> str:
    import json

    return json.dumps(plain(value), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- layout and files

def default_spec_dir(globs: Sequence[str]) -> str:
    """Where new specs go: the fixed directory part of the first ``agents:`` glob
    (``agents/*.yaml`` -> ``agents``), else the project directory."""
    for g in globs:
        parts = []
        for part in g.split("/"):
            if any(c in part for c in "*?["):
                return "/".join(parts)
            parts.append(part)
        return posixpath.dirname(g)
    return ""


def write_files(root: Path, files: Sequence[OutFile], *, force: bool = False) -> list[Path]:
    """Write ``files`` under ``root``; refuse (``UsageError``, before writing anything) a path
    outside ``root`` and, without ``force``, one that exists. Each file is written to a
    temporary file beside it and renamed over, so a crash never leaves half a file."""
    root = root.resolve()
    targets = []
    for f in files:
        target = (root / f.path).resolve()
        if not target.is_relative_to(root):
            raise UsageError(f"{f.path}: outside the project directory {root}",
                             hint="give --dir a directory inside the project")
        targets.append(target)
    existing = [f.path for f, t in zip(files, targets) if t.exists()]
    if existing and not force:
        raise UsageError(f"{len(existing)} file(s) exist already and would be overwritten: "
                         + ", ".join(existing),
                         hint="move them away, choose another --dir, or pass --force to "
                              "overwrite them")
    for f, target in zip(files, targets):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.agentctl-tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(f.text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    return targets
