"""Bedrock's own rules for one resolved agent spec, beyond what the JSON Schema says.

Layers (every problem located at file:line:col with its spec path):

1. botocore's model: the spec is mapped to the CreateAgent / CreateAgentActionGroup /
   AssociateAgentKnowledgeBase / AssociateAgentCollaborator / CreateAgentAlias requests
   (``mapping.requests``, placeholder ids) and run through ``servicemodel.validate``; each
   violation's member path is mapped back to the spec. This re-checks values the schema could not
   see (included instruction and template files, interpolated values) and any constraint the
   schema generator does not carry.
2. Quotas and service rules (service-behaviour.md §3.4, §4.1, §6, §7): instruction length,
   APIs per agent, parameters per function, action groups, KBs, aliases, collaborators,
   reserved alias names, unique names.
3. Cross-references and consistency: collaborators resolve to a project agent and its alias,
   collaboration mode vs collaborators, prompt overrides vs templates and the parser Lambda,
   custom orchestration vs its Lambda, built-in vs regular action groups, executors; on the local
   target, knowledge bases and Lambdas exist in the environment's ``world``.
4. Warnings (errors with ``--strict``): descriptions too thin to guide the model, near-duplicate
   tool descriptions, and an instruction that names a tool that does not exist.

Must not: read files or mutate the document.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from agentctl.core import servicemodel
from agentctl.core.normalize import action_group_enabled
from agentctl.errors import Problem
from agentctl.spec import mapping
from agentctl.spec import openapi as openapi_rules
from agentctl.spec import rules_constants as rc
from agentctl.spec.resolve import OpenApiDoc
from agentctl.spec.yamlload import PathT, PositionMap, render_path


@dataclass(frozen=True)
class Context:
    """What the rules need to know beyond the one spec."""

    agents: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Every agent of the project by name -> its alias names (for collaborator references)."""
    target: str | None = None
    world_knowledge_bases: frozenset[str] | None = None
    """Knowledge-base ids that exist on the local target (None: not checked)."""
    world_lambdas: frozenset[str] | None = None
    clean_children: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False, repr=False)
    """Child spec objects (action groups, aliases, ...) whose requests botocore's model found
    nothing wrong with during this load, by content (``_child_violations``): a fleet of specs
    sharing their action groups checks each distinct one once. One Context per load."""


class _Out:
    def __init__(self, positions: PositionMap):
        self.positions = positions
        self.items: list[Problem] = []

    def add(self, path: PathT, message: str, code: str, hint: str | None = None, *, key: bool = False,
            severity: str = "error") -> None:
        loc = self.positions.key(path) if key else self.positions.value(path)
        self.items.append(Problem(loc, render_path(path), message, code, hint=hint, severity=severity))

    def warn(self, path: PathT, message: str, code: str, hint: str | None = None, *, key: bool = False) -> None:
        self.add(path, message, code, hint, key=key, severity="warning")


def check(doc: Mapping[str, Any], positions: PositionMap, openapi: Mapping[int, OpenApiDoc],
          ctx: Context) -> list[Problem]:
    out = _Out(positions)
    _botocore(doc, openapi, out, ctx)
    _quotas(doc, openapi, out)
    _unique_names(doc, out)
    _prompts(doc, out)
    _orchestration(doc, out)
    _action_groups(doc, openapi, ctx, out)
    _collaboration(doc, ctx, out)
    _knowledge_bases(doc, ctx, out)
    _aliases(doc, out)
    _reserved_tags(doc, out)
    _descriptions(doc, openapi, out)
    _instruction_mentions(doc, openapi, out)
    return out.items


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- 1. botocore --------------------------------------------------------------------------------

def _botocore(doc: Mapping[str, Any], openapi: Mapping[int, OpenApiDoc], out: _Out,
              ctx: Context | None = None) -> None:
    agent = mapping.agent_request(doc)
    found = [(agent, servicemodel.validate(agent.operation, agent.params))]
    for child, i, item in mapping.child_items(doc):
        found.extend(_child_violations(child, i, item, openapi,
                                       ctx.clean_children if ctx is not None else None))
    for req, violations in found:
        for v in violations:
            path = req.spec_path(v.member)
            if req.operation == "CreateAgent" and v.member == "instruction" and v.kind == "length" \
                    and "less than" in v.constraint:
                continue  # stale model maximum (4000); the quota (20,000) is checked below (§6.3)
            if v.member.endswith(".promptType") and v.kind == "enum" and v.value in rc.EXTRA_PROMPT_TYPES:
                out.warn(path, f"prompt type {v.value} is not in botocore's control-plane enum",
                         "bedrock.prompt-type-unconfirmed",
                         hint="keep it only if your target accepts it (CloudFormation does; botocore's model "
                              "does not list it), otherwise remove the override", key=True)
                continue
            if v.member.startswith("apiSchema") and v.kind == "union":
                continue  # reported as a missing/duplicate schema by _action_groups
            if v.member.startswith("actionGroupExecutor") and v.kind == "union":
                continue  # reported by _action_groups
            shown = v.value if not isinstance(v.value, (dict, list)) else None
            what = f"{shown!r}: " if isinstance(shown, (str, int, float)) and len(repr(shown)) < 80 else ""
            size = f" (it has {len(v.value)})" if v.kind == "length" and hasattr(v.value, "__len__") else ""
            out.add(path, f"{what}{v.constraint[0].lower()}{v.constraint[1:]}{size} "
                    f"({req.operation} {_member_name(v.member)})", f"bedrock.{v.kind}")


def _child_violations(child: Any, i: int, item: dict[str, Any], openapi: Mapping[int, OpenApiDoc],
                      clean: dict[tuple[Any, ...], Any] | None) -> list[tuple[mapping.Request, list[Any]]]:
    """Each request of one child spec object with its botocore violations. A child whose
    content (and OpenAPI document: the same parsed object for every spec including it) was
    already found clean in this load is not built or walked again; one with a violation is
    always built afresh, so each spec's problem is placed in its own file and path."""
    payload = mapping.child_payload(child, i, openapi)
    key: tuple[Any, ...] | None = None
    if clean is not None:
        try:
            key = (child.spec, json.dumps(item, allow_nan=True), id(payload))
        except (TypeError, ValueError):
            key = None  # not plain JSON (never from a YAML spec): check it
        if key is not None and key in clean and clean[key] is payload:
            return []
    out = [(r, servicemodel.validate(r.operation, r.params))
           for r in mapping.child_requests(child, i, item, openapi)]
    if key is not None and not any(v for _, v in out):
        clean[key] = payload  # kept alive with the entry, so its id is not reused meanwhile
    return out


def _member_name(member: str) -> str:
    return re.sub(r"\.\d+\.(member|key|value)", "[]", member)


# --- 2. quotas ----------------------------------------------------------------------------------

def _quotas(doc: Mapping[str, Any], openapi: Mapping[int, OpenApiDoc], out: _Out) -> None:
    instruction = doc.get("instruction")
    if isinstance(instruction, str) and len(instruction) > rc.INSTRUCTION_MAX_CHARS:
        out.add(("instruction",), f"instruction is {len(instruction)} characters; the quota is "
                f"{rc.INSTRUCTION_MAX_CHARS}", "bedrock.quota.instruction",
                hint="the 'Characters in Agent instructions' quota is not adjustable; move detail into "
                     "knowledge bases or prompt templates")
    groups = [g for g in _list(doc.get("actionGroups")) if isinstance(g, dict)]
    apis = 0
    for i, g in enumerate(groups):
        apis += len(_list(g.get("functions")))
        if i in openapi:
            apis += openapi_rules.count_operations(openapi[i])
        for j, f in enumerate(_list(g.get("functions"))):
            params = _dict(_dict(f).get("parameters"))
            if len(params) > rc.MAX_PARAMETERS_PER_FUNCTION:
                out.add(("actionGroups", i, "functions", j, "parameters"),
                        f"{len(params)} parameters; Bedrock allows {rc.MAX_PARAMETERS_PER_FUNCTION} per function",
                        "bedrock.quota.parameters", hint="group related values into fewer parameters "
                        "(quota L-4B4330A0 is adjustable)")
    if apis > rc.MAX_APIS_PER_AGENT:
        out.add(("actionGroups",), key=True, message=f"{apis} APIs (functions + OpenAPI operations); Bedrock allows "
                f"{rc.MAX_APIS_PER_AGENT} per agent", code="bedrock.quota.apis",
                hint="split the agent, or request an increase of quota L-6B2DA87E")
    if len(groups) > rc.MAX_ACTION_GROUPS:
        out.add(("actionGroups",), f"{len(groups)} action groups; Bedrock allows {rc.MAX_ACTION_GROUPS}",
                "bedrock.quota.action-groups", hint="merge related groups, or split the agent")
    enabled = [g for g in groups if action_group_enabled(g.get("state"))]
    if len(enabled) > rc.MAX_ENABLED_ACTION_GROUPS:
        out.add(("actionGroups",), f"{len(enabled)} enabled action groups; Bedrock allows "
                f"{rc.MAX_ENABLED_ACTION_GROUPS}", "bedrock.quota.enabled-action-groups",
                hint="disable some with `state: DISABLED`")
    limits = ((("knowledgeBases",), rc.MAX_KNOWLEDGE_BASES, "knowledge bases", "bedrock.quota.knowledge-bases"),
              (("aliases",), rc.MAX_ALIASES, "aliases", "bedrock.quota.aliases"),
              (("collaboration", "collaborators"), rc.MAX_COLLABORATORS, "collaborators",
               "bedrock.quota.collaborators"))
    for path, limit, what, code in limits:
        value: Any = doc
        for part in path:
            value = _dict(value).get(part)
        items = _list(value)
        if len(items) > limit:
            out.add(path + (limit,), f"{len(items)} {what}; Bedrock allows {limit} per agent", code,
                    hint=f"remove {len(items) - limit}, or split the agent")


def _unique_names(doc: Mapping[str, Any], out: _Out) -> None:
    def unique(items: Iterable[tuple[PathT, Any]], what: str, code: str) -> None:
        seen: dict[Any, PathT] = {}
        for path, name in items:
            if name is None:
                continue
            if name in seen:
                out.add(path, f"{what} {name!r} is defined twice", code,
                        hint=f"rename or remove one of them (the first is at "
                             f"{out.positions.value(seen[name])})")
            else:
                seen[name] = path

    groups = _list(doc.get("actionGroups"))
    unique(((("actionGroups", i, "name"), _dict(g).get("name")) for i, g in enumerate(groups)),
           "action group", "unique.action-group")
    for i, g in enumerate(groups):
        unique(((("actionGroups", i, "functions", j, "name"), _dict(f).get("name"))
                for j, f in enumerate(_list(_dict(g).get("functions")))), "function", "unique.function")
    unique(((("aliases", i, "name"), _dict(a).get("name")) for i, a in enumerate(_list(doc.get("aliases")))),
           "alias", "unique.alias")
    unique(((("knowledgeBases", i, "id"), _dict(k).get("id")) for i, k in enumerate(_list(doc.get("knowledgeBases")))),
           "knowledge base", "unique.knowledge-base")
    collabs = _list(_dict(doc.get("collaboration")).get("collaborators"))
    unique(((("collaboration", "collaborators", i, "name"), _dict(c).get("name")) for i, c in enumerate(collabs)),
           "collaborator", "unique.collaborator")


# --- 3. consistency and cross-references --------------------------------------------------------

def _prompts(doc: Mapping[str, Any], out: _Out) -> None:
    prompts = _dict(doc.get("prompts"))
    overrides = _dict(prompts.get("overrides"))
    any_parser = False
    for ptype, ov in overrides.items():
        ov = _dict(ov)
        path: PathT = ("prompts", "overrides", ptype)
        if ov.get("parser") == "OVERRIDDEN":
            any_parser = True
        # A state-only DISABLED override is how a step is switched off (the seed's PRE_PROCESSING);
        # anything else OVERRIDDEN needs a template, or the service keeps no prompt to run (§6.2).
        state_only_disabled = set(ov) == {"state"} and ov.get("state") == "DISABLED"
        if not state_only_disabled and ov.get("template") is None:
            out.add(path, f"the {ptype} override has no template", "prompts.template-missing",
                    hint="add `template: {file: prompts/...}`, or use only `state: DISABLED` to turn the step off",
                    key=True)
    if prompts.get("parserLambda") is not None and not any_parser:
        out.add(("prompts", "parserLambda"), "parserLambda is set but no override has `parser: OVERRIDDEN`",
                "prompts.parser-lambda-unused",
                hint="set `parser: OVERRIDDEN` on the step the Lambda parses, or remove parserLambda")
    if any_parser and prompts.get("parserLambda") is None:
        first = next(t for t, ov in overrides.items() if _dict(ov).get("parser") == "OVERRIDDEN")
        out.add(("prompts", "overrides", first, "parser"), "parser: OVERRIDDEN needs prompts.parserLambda",
                "prompts.parser-lambda-missing", hint="add `parserLambda: arn:aws:lambda:...` under prompts")


def _orchestration(doc: Mapping[str, Any], out: _Out) -> None:
    orch = doc.get("orchestration")
    if not isinstance(orch, dict):
        return
    if orch.get("type") == "CUSTOM_ORCHESTRATION" and not orch.get("lambda"):
        out.add(("orchestration",), "CUSTOM_ORCHESTRATION needs `lambda`", "orchestration.lambda-missing",
                hint="add `lambda: arn:aws:lambda:...` under orchestration: the Lambda that runs "
                     "the orchestration", key=True)
    if orch.get("type") == "DEFAULT" and orch.get("lambda"):
        out.add(("orchestration", "lambda"), "`lambda` is only used with type CUSTOM_ORCHESTRATION",
                "orchestration.lambda-unused", key=True,
                hint="remove `lambda`, or set `type: CUSTOM_ORCHESTRATION`")


def _action_groups(doc: Mapping[str, Any], openapi: Mapping[int, OpenApiDoc], ctx: Context, out: _Out) -> None:
    for i, g in enumerate(_list(doc.get("actionGroups"))):
        if not isinstance(g, dict):
            continue
        p: PathT = ("actionGroups", i)
        name = g.get("name")
        schemas = [k for k in ("functions", "openapi") if k in g]
        if g.get("builtin") is not None:
            # Built-in signature groups take no description, schema or executor (§4.1).
            for k in ("executor", "functions", "openapi", "description"):
                if k in g:
                    out.add(p + (k,), f"built-in action group {name!r} ({g['builtin']}) cannot have `{k}`",
                            "action-group.builtin-extra", hint=f"remove `{k}`", key=True)
            continue
        if "builtinParams" in g:
            out.add(p + ("builtinParams",), "builtinParams is only valid with `builtin`",
                    "action-group.builtin-params", key=True,
                    hint="remove builtinParams, or add `builtin: AMAZON.UserInput` (or another "
                         "built-in signature)")
        if not schemas:
            out.add(p, f"action group {name!r} has no tools", "action-group.schema-missing",
                    hint="add `functions: [...]` or `openapi: {file: ...}` (or `builtin:` for a built-in group)")
        elif len(schemas) > 1:
            out.add(p + ("openapi",), f"action group {name!r} has both functions and openapi",
                    "action-group.schema-both", hint="Bedrock takes exactly one; split into two groups", key=True)
        executor = g.get("executor")
        if executor is None:
            out.add(p, f"action group {name!r} has no executor", "action-group.executor-missing",
                    hint="add `executor: {lambda: arn:aws:lambda:...}` or `executor: {returnControl: true}`")
        elif isinstance(executor, dict):
            rc_on = executor.get("returnControl") is True
            if executor.get("lambda") is not None and rc_on:
                out.add(p + ("executor",), "executor has both lambda and returnControl", "action-group.executor-both",
                        hint="choose one: a Lambda runs the tools, return of control hands them to the caller")
            elif executor.get("lambda") is None and not rc_on:
                out.add(p + ("executor",), "executor needs `lambda: ARN` or `returnControl: true`",
                        "action-group.executor-missing",
                        hint="add `lambda: arn:aws:lambda:...`, or `returnControl: true` to hand the "
                             "calls to the caller")
            if executor.get("handler") is not None and not rc_on:
                out.add(p + ("executor", "handler"), "`handler` is only used with returnControl",
                        "action-group.handler-unused",
                        hint="remove `handler`; a Lambda's local handler goes under the "
                             "environment's world.lambdas", key=True)
            lam = executor.get("lambda")
            known = {_unqualified(a) for a in ctx.world_lambdas or ()}
            if (ctx.target == "local" and ctx.world_lambdas is not None and isinstance(lam, str)
                    and _unqualified(lam) not in known):
                out.warn(p + ("executor", "lambda"), f"the local target has no handler for {lam}",
                         "world.unknown-lambda",
                         hint="add it under the environment's world.lambdas with `handler: module:function`")
        if i in openapi and isinstance(name, str):
            base = p + ("openapi", "file" if "file" in _dict(g.get("openapi")) else "inline")
            out.items.extend(openapi_rules.validate(openapi[i], name, base))


def _unqualified(arn: str) -> str:
    # arn:aws:lambda:<region>:<account>:function:<name>[:<version or alias>] -> without qualifier
    return ":".join(arn.split(":")[:7])


def _collaboration(doc: Mapping[str, Any], ctx: Context, out: _Out) -> None:
    collab = doc.get("collaboration")
    if not isinstance(collab, dict):
        return
    collaborators = _list(collab.get("collaborators"))
    mode = collab.get("mode")
    if mode in ("SUPERVISOR", "SUPERVISOR_ROUTER") and not collaborators:
        out.add(("collaboration", "mode"), f"{mode} needs at least one collaborator",
                "collaboration.no-collaborators",
                hint="add `collaborators:`, or remove `mode` (PrepareAgent fails for a supervisor "
                     "without collaborators)")
    me = doc.get("name")
    for i, c in enumerate(collaborators):
        if not isinstance(c, dict):
            continue
        p: PathT = ("collaboration", "collaborators", i)
        has_ref = "agent" in c or "alias" in c
        if "aliasArn" in c and has_ref:
            out.add(p, "give either aliasArn or agent + alias, not both", "collaborator.both", key=False,
                    hint="remove `aliasArn` to name a project agent, or remove `agent` and `alias`")
            continue
        if "aliasArn" in c:
            continue
        if not ("agent" in c and "alias" in c):
            missing = "alias" if "agent" in c else "agent"
            out.add(p, f"collaborator needs `agent` and `alias` (or `aliasArn`); `{missing}` is missing",
                    "collaborator.incomplete", hint=f"add `{missing}: ...`")
            continue
        agent, alias = c["agent"], c["alias"]
        if agent == me:
            out.add(p + ("agent",), "an agent cannot be its own collaborator", "collaborator.self",
                    hint="name another agent of the project, or remove this collaborator")
            continue
        if not ctx.agents:
            continue  # no project context (standalone file): cannot resolve
        if agent not in ctx.agents:
            close = difflib.get_close_matches(str(agent), list(ctx.agents), n=1, cutoff=0.6)
            out.add(p + ("agent",), f"no agent named {agent!r} in this project", "collaborator.unknown-agent",
                    hint=f"did you mean {close[0]!r}?" if close else
                    f"use one of the project's agents: {', '.join(sorted(ctx.agents))}")
        elif alias not in ctx.agents[agent]:
            aliases = sorted(ctx.agents[agent])
            close = difflib.get_close_matches(str(alias), aliases, n=1, cutoff=0.6)
            out.add(p + ("alias",), f"agent {agent!r} has no alias {alias!r}", "collaborator.unknown-alias",
                    hint=f"did you mean {close[0]!r}?" if close else
                    (f"use one of its aliases: {', '.join(aliases)}" if aliases
                     else f"add an alias to {agent}'s spec"))


def _knowledge_bases(doc: Mapping[str, Any], ctx: Context, out: _Out) -> None:
    if ctx.target != "local" or ctx.world_knowledge_bases is None:
        return
    for i, kb in enumerate(_list(doc.get("knowledgeBases"))):
        kb_id = _dict(kb).get("id")
        if isinstance(kb_id, str) and kb_id not in ctx.world_knowledge_bases:
            known = sorted(ctx.world_knowledge_bases)
            out.add(("knowledgeBases", i, "id"), f"knowledge base {kb_id} does not exist on the local target",
                    "world.unknown-knowledge-base",
                    hint="add it under the environment's world.knowledgeBases"
                    + (f" (known: {', '.join(known)})" if known else ""))


def _aliases(doc: Mapping[str, Any], out: _Out) -> None:
    aliases = _list(doc.get("aliases"))
    for i, a in enumerate(aliases):
        name = _dict(a).get("name")
        if name in rc.RESERVED_ALIAS_NAMES:
            out.add(("aliases", i, "name"), f"{name!r} is the built-in test alias of every agent",
                    "alias.reserved", hint="choose another name; TSTALIASID/AgentTestAlias always points at DRAFT")
        elif isinstance(name, str) and name.lower().startswith(rc.AGENTCTL_ALIAS_PREFIX):
            # agentctl's own aliases (the release alias of pinned-only agents, the candidate
            # alias of `invoke --version`) use this prefix; a declared one would be fought over.
            out.add(("aliases", i, "name"), f"alias names starting {rc.AGENTCTL_ALIAS_PREFIX!r} "
                    "are agentctl's own", "alias.reserved",
                    hint=f"choose another name (e.g. {name[len(rc.AGENTCTL_ALIAS_PREFIX):] or 'LIVE'!r})")
    # An agent whose aliases are all pinned gets agentctl's release alias on its next release
    # (docs/lifecycle.md "Releases"); it needs one of the per-agent alias slots.
    if len(aliases) == rc.MAX_ALIASES and not any(_dict(a).get("track") == "latest" for a in aliases):
        out.add(("aliases",), f"{len(aliases)} aliases, all pinned: agentctl needs one of the "
                f"{rc.MAX_ALIASES} alias slots for its release alias", "bedrock.quota.aliases",
                key=True, hint="declare one alias `track: latest` (apply moves it to each new "
                               "version), or remove one alias")


# Tag-key prefixes a spec cannot use. ``agentctl:`` keys are agentctl's own (ownership tags are
# written by apply and never diffed, so a spec's value would be silently dropped or fought over);
# ``aws:`` keys are reserved by AWS, whose tag API refuses them.
RESERVED_TAG_PREFIXES = ("agentctl:", "aws:")


def _reserved_tags(doc: Mapping[str, Any], out: _Out) -> None:
    places: list[tuple[PathT, Any]] = [(("tags",), doc.get("tags"))] + [
        (("aliases", i, "tags"), _dict(a).get("tags")) for i, a in enumerate(_list(doc.get("aliases")))]
    for base, tags in places:
        for key in _dict(tags):
            prefix = next((p for p in RESERVED_TAG_PREFIXES if str(key).lower().startswith(p)), None)
            if prefix is None:
                continue
            owner = ("agentctl writes its ownership tags (agentctl:managed-by, agentctl:project) "
                     "itself" if prefix == "agentctl:" else
                     "AWS reserves the aws: prefix and refuses such tags")
            out.add(base + (key,), f"tag key {key!r} uses the reserved prefix {prefix!r}",
                    "tags.reserved", key=True,
                    hint=f"{owner}; rename the tag (e.g. {str(key)[len(prefix):] or 'team'!r}) "
                         "or remove it")


# --- 4. warnings --------------------------------------------------------------------------------

def _thin(text: Any) -> bool:
    return not isinstance(text, str) or len(text.strip()) < rc.MIN_DESCRIPTION_CHARS


def _descriptions(doc: Mapping[str, Any], openapi: Mapping[int, OpenApiDoc], out: _Out) -> None:
    tools: list[tuple[PathT, str, str]] = []  # (path, tool name, description)
    hint = (f"write at least {rc.MIN_DESCRIPTION_CHARS} characters saying what it does and when to use it: "
            "the model chooses by this text")
    for i, g in enumerate(_list(doc.get("actionGroups"))):
        g = _dict(g)
        p: PathT = ("actionGroups", i)
        if g.get("builtin") is None and _thin(g.get("description")):
            out.warn(p + ("description",) if "description" in g else p,
                     f"action group {g.get('name')!r} has {'a too short' if 'description' in g else 'no'} description",
                     "description.thin", hint=hint, key="description" not in g)
        for j, f in enumerate(_list(g.get("functions"))):
            f = _dict(f)
            fp = p + ("functions", j)
            if _thin(f.get("description")):
                out.warn(fp + ("description",) if "description" in f else fp + ("name",),
                         f"function {f.get('name')!r} has {'a too short' if 'description' in f else 'no'} description",
                         "description.thin", hint=hint)
            elif isinstance(f.get("name"), str):
                tools.append((fp + ("description",), f"{g.get('name')}.{f['name']}", f["description"]))
            for pname, param in _dict(f.get("parameters")).items():
                param = _dict(param)
                pp = fp + ("parameters", pname)
                if _thin(param.get("description")):
                    out.warn(pp + ("description",) if "description" in param else pp,
                             f"parameter {pname!r} of {f.get('name')!r} has "
                             f"{'a too short' if 'description' in param else 'no'} description",
                             "description.thin", hint="say what the value means and give an example", key="description" not in param)
        if i in openapi:
            for path, method, op in openapi_rules.operations(openapi[i].value):
                if isinstance(op, dict) and isinstance(op.get("description"), str) and op["description"].strip():
                    base = p + ("openapi", "file" if "file" in _dict(g.get("openapi")) else "inline")
                    tools.append((base + ("paths", path, method, "description"),
                                  f"{g.get('name')}.{op.get('operationId', method)}", op["description"]))
    for i, kb in enumerate(_list(doc.get("knowledgeBases"))):
        kb = _dict(kb)
        if "description" in kb and _thin(kb.get("description")):
            out.warn(("knowledgeBases", i, "description"), f"knowledge base {kb.get('id')!r} has a too short description",
                     "description.thin", hint="say what it contains and which questions it answers")
    for b, a, ratio in near_duplicates([t[2] for t in tools]):
        out.warn(tools[b][0], f"{tools[b][1]} and {tools[a][1]} have near-identical descriptions "
                 f"({ratio:.0%} alike)", "description.near-duplicate",
                 hint="say how they differ, so the model can choose between them")


def near_duplicates(texts: list[str], threshold: float = rc.NEAR_DUPLICATE_RATIO
                    ) -> list[tuple[int, int, float]]:
    """(b, a, ratio) for each text ``b`` whose difflib ratio (case-insensitive) with an earlier
    text is >= ``threshold``, ``a`` the first such earlier text: each text is reported once.

    Not every pair is compared: ``ratio = 2 * matches / (len_a + len_b)`` cannot reach the
    threshold when the lengths differ too much, so only texts of a compatible length (found by
    bisection in the length order) are candidates, and of those only the ones that pass
    difflib's cheap upper bounds (``real_quick_ratio``, ``quick_ratio``) get the full ``ratio``,
    which is cached per pair of texts (a fleet of agents shares its tool descriptions)."""
    lowered = [t.lower() for t in texts]
    order = sorted(range(len(lowered)), key=lambda i: len(lowered[i]))
    lengths = [len(lowered[i]) for i in order]
    r = threshold
    out = []
    for b in range(1, len(lowered)):
        size = len(lowered[b])
        # Widened by one character on each side: the bound is exact, the float is not.
        lo = bisect.bisect_left(lengths, math.floor(size * r / (2 - r)) - 1)
        hi = bisect.bisect_right(lengths, math.ceil(size * (2 - r) / r) + 1)
        for a in sorted(i for i in order[lo:hi] if i < b):
            ratio = _ratio(lowered[a], lowered[b], r)
            if ratio >= r:
                out.append((b, a, ratio))
                break
    return out


@functools.lru_cache(maxsize=4096)
def _ratio(a: str, b: str, threshold: float) -> float:
    """difflib's ratio of (a, b), or an upper bound below ``threshold`` when one shows it
    cannot reach it."""
    m = difflib.SequenceMatcher(None, a, b)
    for bound in (m.real_quick_ratio, m.quick_ratio):
        value = bound()
        if value < threshold:
            return value
    return m.ratio()


_IDENT = re.compile(r"`([A-Za-z][A-Za-z0-9_-]*)`|\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+)\b")


def _instruction_mentions(doc: Mapping[str, Any], openapi: Mapping[int, OpenApiDoc], out: _Out) -> None:
    instruction = doc.get("instruction")
    if not isinstance(instruction, str):
        return
    known: set[str] = set()
    for i, g in enumerate(_list(doc.get("actionGroups"))):
        g = _dict(g)
        if isinstance(g.get("name"), str):
            known.add(g["name"])
        for f in _list(g.get("functions")):
            if isinstance(_dict(f).get("name"), str):
                known.add(f["name"])
        if i in openapi:
            for _, _, op in openapi_rules.operations(openapi[i].value):
                if isinstance(_dict(op).get("operationId"), str):
                    known.add(op["operationId"])
    for c in _list(_dict(doc.get("collaboration")).get("collaborators")):
        for k in ("name", "agent"):
            if isinstance(_dict(c).get(k), str):
                known.add(c[k])
    if isinstance(doc.get("name"), str):
        known.add(doc["name"])
    reported: set[str] = set()
    for m in _IDENT.finditer(instruction):
        word = m.group(1) or m.group(2)
        if word in known or word in reported:
            continue
        close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.75)
        if close or m.group(1):
            reported.add(word)
            out.warn(("instruction",), f"the instruction mentions {word!r}, which is no action group, function "
                     "or operation of this agent", "instruction.unknown-tool",
                     hint=f"did you mean {close[0]!r}?" if close else "rename it to an existing tool, or add the tool")
