"""``agentctl export``: the project's agents as a CloudFormation template or Terraform HCL.

Derived from the specs (the desired configurations ``agentctl.spec.mapping.to_config`` built
through the field table; no AWS reads), for teams that must hand agents over to those tools:

- CloudFormation (YAML): one ``AWS::Bedrock::Agent`` per agent (action groups, knowledge bases
  and collaborators are properties of it) and one ``AWS::Bedrock::AgentAlias`` per alias.
  Property names are the API member names in PascalCase (``agentResourceRoleArn`` ->
  ``AgentResourceRoleArn``), which is how that resource schema is written;
- Terraform (HCL): ``aws_bedrockagent_agent``, ``aws_bedrockagent_agent_action_group``,
  ``aws_bedrockagent_agent_knowledge_base_association``, ``aws_bedrockagent_agent_collaborator``
  and ``aws_bedrockagent_agent_alias``; argument names are the member names in snake_case, with
  the provider's few renames (``RENAMES_TF``) and its list-of-blocks shapes (function
  parameters as ``parameters { map_block_key = ... }``).

Members a format has no property for are not dropped silently: each is named in a comment of
the output and in ``Export.notes`` (the command prints them on stderr), and so is what neither
tool can express of agentctl's own model (``AGENTCTL_ONLY``: version cutting and alias moves,
eval gates, return-of-control handlers, version retention). A ``track: pinned`` alias routes to
a version given as a template parameter / Terraform variable (default ``1``): which version it
serves is decided by ``agentctl promote``, not by the specs.

Must not: read files, call AWS, or print; it writes only the ``--out`` file (``write_atomic``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import yaml

from agentctl.core.model import AGENT, KNOWLEDGE_BASE, TRACK_LATEST, AgentConfig, Ref, plain
from agentctl.core.normalize import with_defaults
from agentctl.spec import fields

AGENTCTL_ONLY = (
    "agentctl cuts a numbered version only when the DRAFT content changed and moves "
    "`track: latest` aliases to it on apply; here an alias without a routing configuration gets "
    "a version only when the alias resource itself is created or updated",
    "`track: pinned` aliases move only with `agentctl promote` / `rollback`; here their version "
    "is a parameter to set by hand",
    "eval gates (settings.gates: promote only a version with a passing eval run) have no "
    "equivalent",
    "return-of-control handlers (executor.handler) run locally in agentctl and are not part of "
    "the agent",
    "version retention (settings.versionRetention) and agentctl's ownership tags are not "
    "exported",
)

# Members of the bedrock-agent API that the target resource has no property for: CloudFormation
# from cfn-lint's AWS::Bedrock::Agent / AgentAlias schemas, Terraform from the aws provider's
# bedrockagent resource docs (tests/export check both lists against those sources).
UNSUPPORTED_CFN = {
    "parentActionGroupSignatureParams": "AgentActionGroup has no ParentActionGroupSignatureParams",
    "aliasInvocationState": "AWS::Bedrock::AgentAlias has no invocation state",
}
UNSUPPORTED_TF = {
    "orchestrationType": "aws_bedrockagent_agent has no orchestration_type",
    "customOrchestration": "aws_bedrockagent_agent has no custom_orchestration",
    "sessionSummaryConfiguration": "memory_configuration has no session_summary_configuration",
    "foundationModel@prompt": "prompt_configurations has no foundation_model",
    "additionalModelRequestFields": "prompt_configurations has no additional_model_request_fields",
    "requireConfirmation": "functions has no require_confirmation",
    "parentActionGroupSignatureParams": "aws_bedrockagent_agent_action_group has no "
                                        "parent_action_group_signature_params",
    "aliasInvocationState": "aws_bedrockagent_agent_alias has no invocation state",
}
# parentActionGroupSignature values each target accepts (cfn-lint's schema enum; the provider
# docs' valid values); a built-in group of another kind is left out, and said.
SIGNATURES_CFN = ("AMAZON.UserInput", "AMAZON.CodeInterpreter")
SIGNATURES_TF = ("AMAZON.UserInput",)
RENAMES_TF = {"maximumLength": "max_length", "idleSessionTTLInSeconds": "idle_session_ttl_in_seconds"}


@dataclass(frozen=True)
class Export:
    text: str
    notes: tuple[str, ...] = ()
    """What the format cannot express, for stderr (the same is in comments of ``text``)."""


# --- names ---------------------------------------------------------------------------------------

def pascal(member: str) -> str:
    return member[:1].upper() + member[1:]


def snake(member: str) -> str:
    if member in RENAMES_TF:
        return RENAMES_TF[member]
    out = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", member)
    out = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", out)
    return out.lower()


def _logical(*parts: str) -> str:
    """A CloudFormation logical id: alphanumeric, PascalCase pieces."""
    words = [w for p in parts for w in re.split(r"[^A-Za-z0-9]+", p) if w]
    return "".join(w[:1].upper() + w[1:] for w in words)


def _tf_name(*parts: str) -> str:
    name = "_".join(re.sub(r"[^A-Za-z0-9_]+", "_", p).strip("_").lower() for p in parts if p)
    return name if name[:1].isalpha() else f"a_{name}"


def _opaque_members() -> tuple[frozenset[str], frozenset[str]]:
    """(members copied as is: maps and free-form objects; name-keyed maps of sub-objects), from
    the field table."""
    opaque, keyed = set(), set()
    for resource in fields.RESOURCES:
        for f in resource.fields:
            if f.member is None:
                continue
            last = f.member.split(".")[-1]
            if f.kind == fields.MAP or (f.schema is False and f.kind == fields.VALUE):
                opaque.add(last)
            elif f.kind == fields.MAP_OF:
                keyed.add(last)
    return frozenset(opaque), frozenset(keyed)


OPAQUE, KEYED = _opaque_members()


def _convert(value: Any, name: Callable[[str], str], skip: Callable[[str, str], bool],
             where: str, dropped: list[str], parent: str = "") -> Any:
    """API members -> the format's property names, recursively; ``skip(member, parent)`` drops
    what the format cannot hold (recorded in ``dropped``)."""
    if not isinstance(value, Mapping):
        if isinstance(value, list):
            return [_convert(v, name, skip, where, dropped, parent) for v in value]
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        if skip(k, parent):
            dropped.append(f"{where}: {k}")
            continue
        if k in OPAQUE:
            out[name(k)] = plain(v)
        elif k in KEYED and isinstance(v, Mapping):
            out[name(k)] = {pk: _convert(pv, name, skip, where, dropped, k) for pk, pv in v.items()}
        else:
            out[name(k)] = _convert(v, name, skip, where, dropped, k)
    return out


def _payload_text(doc: Any, *, compact: bool = False) -> str:
    """The OpenAPI document as the API takes it, a string (service-behaviour.md §4.3)."""
    if compact:
        return json.dumps(plain(doc), separators=(",", ":"), ensure_ascii=False)
    return json.dumps(plain(doc), indent=2, ensure_ascii=False)


def _unsupported_builtin(group: Mapping[str, Any], accepted: tuple[str, ...], where: str,
                         dropped: list[str]) -> bool:
    signature = group.get("parentActionGroupSignature")
    if signature is None or signature in accepted:
        return False
    dropped.append(f"{where}: the built-in action group {signature} is not supported there "
                   f"(only {', '.join(accepted)}); the whole group is left out")
    return True


def _minter(config: AgentConfig) -> str | None:
    """The alias created without routing (it cuts the first version): the first tracking one,
    else the first alias."""
    tracking = sorted(a for a, c in config.aliases.items() if c.track == TRACK_LATEST)
    return tracking[0] if tracking else (sorted(config.aliases)[0] if config.aliases else None)


# --- CloudFormation -----------------------------------------------------------------------------

def cloudformation(desired: Mapping[str, AgentConfig], *, project: str, environment: str) -> Export:
    dropped: list[str] = []
    resources: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    alias_ids = {fields.alias_address(n, a): _logical(n, a, "Alias")
                 for n, c in desired.items() for a in c.aliases}

    def skip(member: str, parent: str) -> bool:
        return member in UNSUPPORTED_CFN

    def arn(value: Any) -> Any:
        if isinstance(value, Ref) and value.address in alias_ids:
            return {"Fn::GetAtt": [alias_ids[value.address], "AgentAliasArn"]}
        return value

    for name in sorted(desired):
        cfg = desired[name]
        where = f"agent.{name}"
        props = _convert(dict(cfg.agent), pascal, skip, where, dropped)
        props["AgentName"] = name
        props["AutoPrepare"] = True
        groups = []
        for g, members in sorted(cfg.action_groups.items()):
            m = dict(members)
            if _unsupported_builtin(m, SIGNATURES_CFN, f"{where}.action_group.{g}", dropped):
                continue
            if isinstance((m.get("apiSchema") or {}).get("payload"), (dict, list)):
                m["apiSchema"] = {"payload": _payload_text(m["apiSchema"]["payload"])}
            groups.append({"ActionGroupName": g,
                           **_convert(m, pascal, skip, f"{where}.action_group.{g}", dropped)})
        if groups:
            props["ActionGroups"] = groups
        kbs = [{"KnowledgeBaseId": k, **_convert(dict(m), pascal, skip, where, dropped)}
               for k, m in sorted(cfg.knowledge_bases.items())]
        if kbs:
            props["KnowledgeBases"] = kbs
        collabs = []
        for c, members in sorted(cfg.collaborators.items()):
            m = plain(members)
            item = {"CollaboratorName": c,
                    **_convert({k: v for k, v in m.items() if k != "agentDescriptor"}, pascal,
                               skip, where, dropped),
                    "AgentDescriptor": {"AliasArn": arn(members["agentDescriptor"]["aliasArn"])}}
            collabs.append(item)
        if collabs:
            props["AgentCollaborators"] = collabs
        if cfg.tags:
            props["Tags"] = dict(cfg.tags)
        agent_id = _logical(name, "Agent")
        # (a collaborator's Fn::GetAtt orders the supervisor after that alias by itself)
        resources[agent_id] = {"Type": "AWS::Bedrock::Agent", "Properties": props}
        minter = _minter(cfg)
        for a in sorted(cfg.aliases):
            al = cfg.aliases[a]
            logical = alias_ids[fields.alias_address(name, a)]
            aprops: dict[str, Any] = {"AgentId": {"Fn::GetAtt": [agent_id, "AgentId"]},
                                      "AgentAliasName": a}
            if al.description:
                aprops["Description"] = al.description
            if al.tags:
                aprops["Tags"] = dict(al.tags)
            if al.invocation_state:
                dropped.append(f"{where}.alias.{a}: aliasInvocationState")
            entry: dict[str, Any] = {"Type": "AWS::Bedrock::AgentAlias", "Properties": aprops}
            if a != minter and al.track != TRACK_LATEST:
                param = _logical(name, a, "Version")
                parameters[param] = {
                    "Type": "String", "Default": "1",
                    "Description": f"The version alias {a} of {name} routes to (agentctl: "
                                   "track pinned, moved by agentctl promote)"}
                aprops["RoutingConfiguration"] = [{"AgentVersion": {"Ref": param}}]
                if minter is not None:
                    entry["DependsOn"] = [alias_ids[fields.alias_address(name, minter)]]
            resources[logical] = entry
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Bedrock agents of agentctl project {project} (environment {environment})",
    }
    if parameters:
        template["Parameters"] = parameters
    template["Resources"] = resources
    notes = [f"CloudFormation cannot express {d} ({UNSUPPORTED_CFN[d.rsplit(': ', 1)[1]]}): "
             "left out" if d.rsplit(": ", 1)[1] in UNSUPPORTED_CFN else d for d in dropped]
    header = _comments("#", project, environment, "CloudFormation", notes)
    body = yaml.dump(template, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
    return Export(header + body, tuple(notes))


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value and not value[:1].isspace() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]


def _comments(mark: str, project: str, environment: str, tool: str, notes: list[str]) -> str:
    lines = [f"Exported by `agentctl export` from project {project}, environment {environment}.",
             f"What {tool} cannot express of this project (agentctl does it):"]
    lines += [f"- {n}" for n in AGENTCTL_ONLY]
    if notes:
        lines.append("Left out of this file:")
        lines += [f"- {n}" for n in notes]
    return "".join(f"{mark} {line}\n" for line in lines) + "\n"


# --- Terraform ------------------------------------------------------------------------------------

def terraform(desired: Mapping[str, AgentConfig], *, project: str, environment: str) -> Export:
    dropped: list[str] = []
    blocks: list[str] = []
    variables: list[str] = []
    alias_refs = {fields.alias_address(n, a): f"aws_bedrockagent_agent_alias.{_tf_name(n, a)}"
                  for n, c in desired.items() for a in c.aliases}

    def skip(member: str, parent: str) -> bool:
        if member == "foundationModel" and parent == "promptConfigurations":
            return True
        return member in UNSUPPORTED_TF

    for name in sorted(desired):
        cfg = desired[name]
        where = f"agent.{name}"
        agent = _tf_name(name)
        agent_ref = f"aws_bedrockagent_agent.{agent}.agent_id"
        members = dict(cfg.agent)
        if "promptOverrideConfiguration" in members:
            # The provider requires parser_mode and prompt_state in every prompt configuration:
            # the service defaults the spec leaves out, made explicit.
            members["promptOverrideConfiguration"] = with_defaults(
                AGENT, {"promptOverrideConfiguration": members["promptOverrideConfiguration"]}
            )["promptOverrideConfiguration"]
        attrs = _convert(members, snake, skip, where, dropped)
        attrs["agent_name"] = name
        for poc in (attrs.get("prompt_override_configuration") or {}).get("prompt_configurations") or ():
            missing = [k for k in ("base_prompt_template", "inference_configuration", "parser_mode",
                                   "prompt_state") if k not in poc]
            if missing:
                # The spec overrides only part of the prompt and the service fills the rest with
                # its defaults (service-behaviour.md §6.2); the provider requires every one.
                dropped.append(f"{where}: prompt {poc['prompt_type']} sets no "
                               f"{', '.join(missing)} (the provider requires them: copy the "
                               "service's defaults in)")
        # The supervisor is prepared once its collaborators are associated (as in the provider's
        # own collaborator example); every other agent is prepared on each change.
        attrs["prepare_agent"] = not cfg.collaborators
        if cfg.tags:
            attrs["tags"] = _Map(dict(cfg.tags))
        blocks.append(_resource("aws_bedrockagent_agent", agent, attrs))
        for g, members in sorted(cfg.action_groups.items()):
            m = dict(members)
            if _unsupported_builtin(m, SIGNATURES_TF, f"{where}.action_group.{g}", dropped):
                continue
            if isinstance((m.get("apiSchema") or {}).get("payload"), (dict, list)):
                m["apiSchema"] = {"payload": _payload_text(m["apiSchema"]["payload"], compact=True)}
            fs = m.pop("functionSchema", None)
            body = {"agent_id": _Expr(agent_ref), "agent_version": "DRAFT",
                    "action_group_name": g,
                    **_convert(m, snake, skip, f"{where}.action_group.{g}", dropped)}
            if fs is not None:
                fns = []
                for fn in fs.get("functions") or ():
                    fn = _convert(dict(fn), snake, skip, f"{where}.action_group.{g}", dropped)
                    params = fn.pop("parameters", None) or {}
                    fn["parameters"] = [{"map_block_key": k, **v} for k, v in params.items()]
                    if not fn["parameters"]:
                        del fn["parameters"]
                    fns.append(fn)
                body["function_schema"] = {"functions": fns}
            blocks.append(_resource("aws_bedrockagent_agent_action_group", _tf_name(name, g), body))
        for k, m in sorted(cfg.knowledge_bases.items()):
            # knowledge_base_state is required by the provider: the default made explicit
            body = {"agent_id": _Expr(agent_ref), "agent_version": "DRAFT", "knowledge_base_id": k,
                    **_convert(with_defaults(KNOWLEDGE_BASE, m), snake, skip, where, dropped)}
            blocks.append(_resource("aws_bedrockagent_agent_knowledge_base_association",
                                    _tf_name(name, k), body))
        for c, members in sorted(cfg.collaborators.items()):
            m = plain(members)
            target = members["agentDescriptor"]["aliasArn"]
            arn: Any = target
            if isinstance(target, Ref) and target.address in alias_refs:
                arn = _Expr(f"{alias_refs[target.address]}.agent_alias_arn")
            body = {"agent_id": _Expr(agent_ref), "agent_version": "DRAFT", "collaborator_name": c,
                    **_convert({k: v for k, v in m.items() if k != "agentDescriptor"}, snake,
                               skip, where, dropped),
                    "agent_descriptor": {"alias_arn": arn}}
            blocks.append(_resource("aws_bedrockagent_agent_collaborator", _tf_name(name, c), body))
        minter = _minter(cfg)
        for a in sorted(cfg.aliases):
            al = cfg.aliases[a]
            body = {"agent_id": _Expr(agent_ref), "agent_alias_name": a}
            if al.description:
                body["description"] = al.description
            if al.tags:
                body["tags"] = _Map(dict(al.tags))
            if al.invocation_state:
                dropped.append(f"{where}.alias.{a}: aliasInvocationState")
            if a != minter and al.track != TRACK_LATEST:
                var = _tf_name(name, a, "version")
                variables.append(
                    f'variable "{var}" {{\n  description = {_hcl_str(f"The version alias {a} of {name} routes to (agentctl: track pinned, moved by agentctl promote)")}\n'
                    f'  type        = string\n  default     = "1"\n}}\n')
                body["routing_configuration"] = {"agent_version": _Expr(f"var.{var}")}
                if minter is not None:
                    body["depends_on"] = _Expr(f"[{alias_refs[fields.alias_address(name, minter)]}]")
            blocks.append(_resource("aws_bedrockagent_agent_alias", _tf_name(name, a), body))
    notes = [f"Terraform cannot express {d} ({_tf_reason(d)}): left out"
             if _tf_reason(d) != "incomplete" else d for d in dropped]
    header = _comments("#", project, environment, "Terraform", notes)
    return Export(header + "".join(v + "\n" for v in variables) + "\n".join(blocks), tuple(notes))


def _tf_reason(dropped: str) -> str:
    member = dropped.rsplit(": ", 1)[1]
    return UNSUPPORTED_TF.get(member) or UNSUPPORTED_TF.get(f"{member}@prompt") or "incomplete"


class _Expr(str):
    """An HCL expression written as is (a reference), not as a string."""


class _Map(dict):
    """A map attribute (``tags = {...}``), not a nested block."""


def _resource(kind: str, name: str, body: Mapping[str, Any]) -> str:
    return f'resource "{kind}" "{name}" {{\n' + _body(body, 1) + "}\n"


def _body(body: Mapping[str, Any], depth: int) -> str:
    pad = "  " * depth
    out = []
    for k, v in body.items():
        if v is None:
            continue
        if isinstance(v, Mapping) and not isinstance(v, _Map):
            out.append(f"{pad}{k} {{\n{_body(v, depth + 1)}{pad}}}\n")
        elif isinstance(v, list) and v and all(isinstance(x, Mapping) for x in v):
            for x in v:  # a list of nested blocks: the block repeated
                out.append(f"{pad}{k} {{\n{_body(x, depth + 1)}{pad}}}\n")
        else:
            out.append(f"{pad}{k} = {_hcl_value(v)}\n")
    return "".join(out)


def _hcl_value(v: Any) -> str:
    if isinstance(v, _Expr):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return _hcl_str(v)
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_hcl_str(str(k))} = {_hcl_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_hcl_value(x) for x in v) + "]"
    return _hcl_str(str(v))


def _hcl_str(s: str) -> str:
    """A quoted HCL string: JSON escapes, and template sequences (``${``, ``%{``) doubled."""
    return json.dumps(s, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def write_atomic(path: Path, text: str) -> None:
    """``--out FILE``: a temporary file beside it, then a rename (never half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.agentctl-tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
