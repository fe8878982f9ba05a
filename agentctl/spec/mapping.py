"""Map a resolved agent spec onto ``agentctl.core.model.AgentConfig`` (the table in
docs/spec-format.md), and onto the API requests used to validate it against botocore's model.

The mapping is a *mapping only*: spec keys become API member names, values the spec omits are
omitted, no service default is filled in and nothing is sorted. Canonicalisation is
``agentctl.core.normalize``'s job, on both sides of the diff.

``requests`` builds the CreateAgent / CreateAgentActionGroup / AssociateAgentKnowledgeBase /
AssociateAgentCollaborator / CreateAgentAlias request dicts of one agent (with placeholder ids)
and, for every member path, the spec path it came from, so a botocore ``Violation`` is reported
at the right line of the right file.

Must not: read files, validate, or raise on a document that failed schema validation in a way
the caller cannot catch (callers only map schema-clean documents for ``desired``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from agentctl.core.model import AgentConfig, AliasConfig, Ref, TRACK_PINNED
from agentctl.spec.resolve import OpenApiDoc
from agentctl.spec.yamlload import PathT

PLACEHOLDER_ID = "AAAAAAAAAA"
"""A well-formed 10-character id used where a request needs one that does not exist yet."""
PLACEHOLDER_ALIAS_ARN = "arn:aws:bedrock:us-east-1:123456789012:agent-alias/AAAAAAAAAA/BBBBBBBBBB"


def _bool_enum(value: Any, yes: str, no: str) -> str | None:
    if value is None:
        return None
    return yes if value else no


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def agent_members(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The agent's own members (UpdateAgent names, minus agentId)."""
    out: dict[str, Any] = {}
    _put(out, "agentName", doc.get("name"))
    _put(out, "foundationModel", doc.get("model"))
    _put(out, "instruction", doc.get("instruction"))
    _put(out, "description", doc.get("description"))
    _put(out, "agentResourceRoleArn", doc.get("role"))
    _put(out, "idleSessionTTLInSeconds", doc.get("idleSessionTtl"))
    _put(out, "customerEncryptionKeyArn", doc.get("encryptionKey"))
    guardrail = doc.get("guardrail")
    if isinstance(guardrail, dict):
        g: dict[str, Any] = {}
        _put(g, "guardrailIdentifier", guardrail.get("id"))
        _put(g, "guardrailVersion", guardrail.get("version"))
        out["guardrailConfiguration"] = g
    memory = doc.get("memory")
    if isinstance(memory, dict):
        m: dict[str, Any] = {}
        if memory.get("type") is not None:
            m["enabledMemoryTypes"] = [memory["type"]]
        _put(m, "storageDays", memory.get("storageDays"))
        if memory.get("maxRecentSessions") is not None:
            m["sessionSummaryConfiguration"] = {"maxRecentSessions": memory["maxRecentSessions"]}
        out["memoryConfiguration"] = m
    orch = doc.get("orchestration")
    if isinstance(orch, dict):
        _put(out, "orchestrationType", orch.get("type"))
        if orch.get("lambda") is not None:
            out["customOrchestration"] = {"executor": {"lambda": orch["lambda"]}}
    prompts = doc.get("prompts")
    if isinstance(prompts, dict):
        configs = []
        for ptype, ov in (prompts.get("overrides") or {}).items():
            configs.append(prompt_configuration(ptype, ov if isinstance(ov, dict) else {}))
        poc: dict[str, Any] = {"promptConfigurations": configs}
        _put(poc, "overrideLambda", prompts.get("parserLambda"))
        out["promptOverrideConfiguration"] = poc
    collab = doc.get("collaboration")
    if isinstance(collab, dict):
        _put(out, "agentCollaboration", collab.get("mode"))
    return out


def prompt_configuration(ptype: str, ov: Mapping[str, Any]) -> dict[str, Any]:
    # Every spec override is OVERRIDDEN (a state-only override is how a step is disabled, §6.2).
    c: dict[str, Any] = {"promptType": ptype, "promptCreationMode": "OVERRIDDEN"}
    _put(c, "promptState", ov.get("state"))
    _put(c, "basePromptTemplate", ov.get("template"))
    inf = ov.get("inference")
    if isinstance(inf, dict):
        c["inferenceConfiguration"] = {k: inf[k] for k in
                                       ("temperature", "topP", "topK", "maximumLength", "stopSequences")
                                       if inf.get(k) is not None}
    _put(c, "parserMode", ov.get("parser"))
    _put(c, "foundationModel", ov.get("model"))
    _put(c, "additionalModelRequestFields", ov.get("additionalModelRequestFields"))
    return c


def action_group_members(group: Mapping[str, Any], payload: Any | None) -> dict[str, Any]:
    """CreateAgentActionGroup members minus agentId/agentVersion/clientToken/actionGroupName.
    ``payload`` is the parsed OpenAPI document for ``openapi.file`` / ``openapi.inline``."""
    out: dict[str, Any] = {}
    _put(out, "description", group.get("description"))
    _put(out, "actionGroupState", group.get("state"))
    executor = group.get("executor")
    if isinstance(executor, dict):
        if executor.get("lambda") is not None:
            out["actionGroupExecutor"] = {"lambda": executor["lambda"]}
        elif executor.get("returnControl"):
            out["actionGroupExecutor"] = {"customControl": "RETURN_CONTROL"}
    functions = group.get("functions")
    if isinstance(functions, list):
        out["functionSchema"] = {"functions": [function_member(f) for f in functions if isinstance(f, dict)]}
    openapi = group.get("openapi")
    if isinstance(openapi, dict):
        if isinstance(openapi.get("s3"), dict):
            s3 = openapi["s3"]
            out["apiSchema"] = {"s3": {k2: s3[k1] for k1, k2 in (("bucket", "s3BucketName"), ("key", "s3ObjectKey"))
                                       if s3.get(k1) is not None}}
        elif payload is not None:
            out["apiSchema"] = {"payload": payload}
    _put(out, "parentActionGroupSignature", group.get("builtin"))
    _put(out, "parentActionGroupSignatureParams", group.get("builtinParams"))
    return out


def function_member(f: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "name", f.get("name"))
    _put(out, "description", f.get("description"))
    params = f.get("parameters")
    if isinstance(params, dict):
        out["parameters"] = {
            name: {k: p[k] for k in ("type", "description", "required") if p.get(k) is not None}
            for name, p in params.items() if isinstance(p, dict)
        }
    _put(out, "requireConfirmation", _bool_enum(f.get("requireConfirmation"), "ENABLED", "DISABLED"))
    return out


def collaborator_member(c: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.get("aliasArn") is not None:
        out["agentDescriptor"] = {"aliasArn": c["aliasArn"]}
    elif c.get("agent") is not None and c.get("alias") is not None:
        # The alias ARN of another project agent is known only after apply (agentctl.core.model.Ref).
        out["agentDescriptor"] = {"aliasArn": Ref(f"agent.{c['agent']}.alias.{c['alias']}", "agentAliasArn")}
    _put(out, "collaborationInstruction", c.get("instruction"))
    _put(out, "relayConversationHistory",
         _bool_enum(c.get("relayConversationHistory"), "TO_COLLABORATOR", "DISABLED"))
    return out


def to_config(doc: Mapping[str, Any], openapi: Mapping[int, OpenApiDoc]) -> AgentConfig:
    groups: dict[str, dict[str, Any]] = {}
    for i, g in enumerate(doc.get("actionGroups") or []):
        payload = openapi[i].value if i in openapi else None
        groups[g["name"]] = action_group_members(g, payload)
    kbs: dict[str, dict[str, Any]] = {}
    for kb in doc.get("knowledgeBases") or []:
        entry: dict[str, Any] = {}
        _put(entry, "description", kb.get("description"))
        _put(entry, "knowledgeBaseState", kb.get("state"))
        kbs[kb["id"]] = entry
    collabs = {c["name"]: collaborator_member(c)
               for c in ((doc.get("collaboration") or {}).get("collaborators") or [])}
    aliases = {}
    for a in doc.get("aliases") or []:
        aliases[a["name"]] = AliasConfig(
            name=a["name"], description=a.get("description"), track=a.get("track") or TRACK_PINNED,
            tags=dict(a.get("tags") or {}), invocation_state=a.get("invocationState"))
    return AgentConfig(
        name=doc["name"], agent=agent_members(doc), tags=dict(doc.get("tags") or {}),
        action_groups=groups, knowledge_bases=kbs, collaborators=collabs, aliases=aliases)


# --- requests for botocore validation ------------------------------------------------------------

@dataclass
class Request:
    """One API request built from the spec, and where each member came from."""

    operation: str
    params: dict[str, Any]
    origin: dict[str, PathT] = field(default_factory=dict)
    """Coral member path (``functionSchema.functions.1.member.name``) -> spec path."""
    base: PathT = ()

    def spec_path(self, member: str) -> PathT:
        parts = member.split(".")
        while parts:
            key = ".".join(parts)
            if key in self.origin:
                return self.origin[key]
            parts.pop()
        return self.base


def requests(doc: Mapping[str, Any], openapi: Mapping[int, OpenApiDoc]) -> list[Request]:
    out: list[Request] = []
    agent = agent_members(doc)
    params = {**agent, "tags": doc["tags"]} if isinstance(doc.get("tags"), dict) else dict(agent)
    r = Request("CreateAgent", params)
    for member, spec in (("agentName", "name"), ("foundationModel", "model"), ("instruction", "instruction"),
                         ("description", "description"), ("agentResourceRoleArn", "role"),
                         ("idleSessionTTLInSeconds", "idleSessionTtl"), ("customerEncryptionKeyArn", "encryptionKey"),
                         ("tags", "tags"), ("guardrailConfiguration", "guardrail"),
                         ("memoryConfiguration", "memory"), ("orchestrationType", "orchestration"),
                         ("customOrchestration", "orchestration"), ("promptOverrideConfiguration", "prompts"),
                         ("agentCollaboration", "collaboration")):
        r.origin[member] = (spec,)
    r.origin["guardrailConfiguration.guardrailIdentifier"] = ("guardrail", "id")
    r.origin["guardrailConfiguration.guardrailVersion"] = ("guardrail", "version")
    r.origin["memoryConfiguration.enabledMemoryTypes"] = ("memory", "type")
    r.origin["memoryConfiguration.storageDays"] = ("memory", "storageDays")
    r.origin["memoryConfiguration.sessionSummaryConfiguration"] = ("memory", "maxRecentSessions")
    r.origin["orchestrationType"] = ("orchestration", "type")
    r.origin["customOrchestration"] = ("orchestration", "lambda")
    r.origin["promptOverrideConfiguration.overrideLambda"] = ("prompts", "parserLambda")
    r.origin["promptOverrideConfiguration.promptConfigurations"] = ("prompts", "overrides")
    r.origin["agentCollaboration"] = ("collaboration", "mode")
    if isinstance(doc.get("tags"), dict):
        for i, k in enumerate(doc["tags"], start=1):
            r.origin[f"tags.{i}.key"] = ("tags", k)
            r.origin[f"tags.{i}.value"] = ("tags", k)
    overrides = (doc.get("prompts") or {}).get("overrides") if isinstance(doc.get("prompts"), dict) else None
    if isinstance(overrides, dict):
        for i, ptype in enumerate(overrides, start=1):
            base = f"promptOverrideConfiguration.promptConfigurations.{i}.member"
            sp = ("prompts", "overrides", ptype)
            r.origin[base] = sp
            r.origin[base + ".promptType"] = sp
            for member, key in (("promptState", "state"), ("basePromptTemplate", "template"),
                                ("inferenceConfiguration", "inference"), ("parserMode", "parser"),
                                ("foundationModel", "model"),
                                ("additionalModelRequestFields", "additionalModelRequestFields")):
                r.origin[f"{base}.{member}"] = sp + (key,)
            for k in ("temperature", "topP", "topK", "maximumLength", "stopSequences"):
                r.origin[f"{base}.inferenceConfiguration.{k}"] = sp + ("inference", k)
    out.append(r)

    for i, g in enumerate(doc.get("actionGroups") or []):
        if not isinstance(g, dict):
            continue
        gp: PathT = ("actionGroups", i)
        payload = openapi[i].value if i in openapi else None
        members = action_group_members(g, payload)
        if "apiSchema" in members and "payload" in members["apiSchema"]:
            # The API takes the document as a string (§4.3); length/pattern rules apply to that.
            members["apiSchema"] = {"payload": json.dumps(members["apiSchema"]["payload"])}
        params = {"agentId": PLACEHOLDER_ID, "agentVersion": "DRAFT", **members}
        if g.get("name") is not None:
            params["actionGroupName"] = g["name"]
        r = Request("CreateAgentActionGroup", params, base=gp)
        r.origin.update({
            "actionGroupName": gp + ("name",), "description": gp + ("description",),
            "actionGroupState": gp + ("state",), "actionGroupExecutor": gp + ("executor",),
            "actionGroupExecutor.lambda": gp + ("executor", "lambda"),
            "functionSchema": gp + ("functions",), "apiSchema": gp + ("openapi",),
            "apiSchema.s3.s3BucketName": gp + ("openapi", "s3", "bucket"),
            "apiSchema.s3.s3ObjectKey": gp + ("openapi", "s3", "key"),
            "parentActionGroupSignature": gp + ("builtin",),
            "parentActionGroupSignatureParams": gp + ("builtinParams",),
        })
        if isinstance(g.get("builtinParams"), dict):
            for k_i, k in enumerate(g["builtinParams"], start=1):
                r.origin[f"parentActionGroupSignatureParams.{k_i}.key"] = gp + ("builtinParams", k)
                r.origin[f"parentActionGroupSignatureParams.{k_i}.value"] = gp + ("builtinParams", k)
        for j, f in enumerate(g.get("functions") or [] if isinstance(g.get("functions"), list) else []):
            fp = gp + ("functions", j)
            fb = f"functionSchema.functions.{j + 1}.member"
            r.origin[fb] = fp
            for member in ("name", "description", "requireConfirmation", "parameters"):
                r.origin[f"{fb}.{member}"] = fp + (member,)
            params_map = f.get("parameters") if isinstance(f, dict) else None
            if isinstance(params_map, dict):
                for k_i, pname in enumerate(params_map, start=1):
                    r.origin[f"{fb}.parameters.{k_i}.key"] = fp + ("parameters", pname)
                    r.origin[f"{fb}.parameters.{k_i}.value"] = fp + ("parameters", pname)
                    for member in ("type", "description", "required"):
                        r.origin[f"{fb}.parameters.{k_i}.value.{member}"] = fp + ("parameters", pname, member)
        out.append(r)

    for i, kb in enumerate(doc.get("knowledgeBases") or []):
        if not isinstance(kb, dict):
            continue
        kp: PathT = ("knowledgeBases", i)
        params = {"agentId": PLACEHOLDER_ID, "agentVersion": "DRAFT"}
        _put(params, "knowledgeBaseId", kb.get("id"))
        _put(params, "description", kb.get("description"))
        _put(params, "knowledgeBaseState", kb.get("state"))
        r = Request("AssociateAgentKnowledgeBase", params, base=kp)
        r.origin.update({"knowledgeBaseId": kp + ("id",), "description": kp + ("description",),
                         "knowledgeBaseState": kp + ("state",)})
        out.append(r)

    collab = doc.get("collaboration")
    for i, c in enumerate((collab.get("collaborators") or []) if isinstance(collab, dict) else []):
        if not isinstance(c, dict):
            continue
        cp: PathT = ("collaboration", "collaborators", i)
        members = collaborator_member(c)
        if isinstance((members.get("agentDescriptor") or {}).get("aliasArn"), Ref):
            members["agentDescriptor"] = {"aliasArn": PLACEHOLDER_ALIAS_ARN}
        params = {"agentId": PLACEHOLDER_ID, "agentVersion": "DRAFT", **members}
        _put(params, "collaboratorName", c.get("name"))
        r = Request("AssociateAgentCollaborator", params, base=cp)
        r.origin.update({"collaboratorName": cp + ("name",), "agentDescriptor": cp + ("aliasArn",),
                         "collaborationInstruction": cp + ("instruction",),
                         "relayConversationHistory": cp + ("relayConversationHistory",)})
        out.append(r)

    for i, a in enumerate(doc.get("aliases") or []):
        if not isinstance(a, dict):
            continue
        ap: PathT = ("aliases", i)
        params = {"agentId": PLACEHOLDER_ID}
        _put(params, "agentAliasName", a.get("name"))
        _put(params, "description", a.get("description"))
        _put(params, "tags", a.get("tags"))
        r = Request("CreateAgentAlias", params, base=ap)
        r.origin.update({"agentAliasName": ap + ("name",), "description": ap + ("description",),
                         "tags": ap + ("tags",)})
        if isinstance(a.get("tags"), dict):
            for k_i, k in enumerate(a["tags"], start=1):
                r.origin[f"tags.{k_i}.key"] = ap + ("tags", k)
                r.origin[f"tags.{k_i}.value"] = ap + ("tags", k)
        out.append(r)
        if a.get("invocationState") is not None:
            u = Request("UpdateAgentAlias", {"agentId": PLACEHOLDER_ID, "agentAliasId": "BBBBBBBBBB",
                                             "agentAliasName": a.get("name") or "x",
                                             "aliasInvocationState": a["invocationState"]}, base=ap)
            u.origin["aliasInvocationState"] = ap + ("invocationState",)
            out.append(u)
    return out
