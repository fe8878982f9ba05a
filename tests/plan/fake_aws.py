"""A tiny in-memory stand-in for the bedrock-agent control plane, for pure planner tests.

It executes a plan's steps (resolving ``$ref`` placeholders from earlier steps' outputs the way
the executor must), keeps full-replacement semantics (§2.4: an optional member left out of an
update is cleared), and reads agents back in the *service's* response shapes: server-owned
fields added, defaults filled (TTL, agentCollaboration, orchestrationType, memory defaults,
actionGroupState, knowledgeBaseState), DEFAULT-mode prompt entries echoed for every prompt type
and default templates filled into state-only overrides (§9.1), ``parentActionSignature`` renamed
(§4.3), OpenAPI payloads returned as text. ``live_state()`` then goes through
``agentctl.core.normalize`` exactly like ``agentctl.aws.live`` does, so "plan after apply is empty" is
tested against those quirks. Not an emulator: no statuses, no timing, no validation, except
the multi-agent ordering rules, in their strictest reading (a broken rule fails the test with an
``AssertionError``): PrepareAgent of a SUPERVISOR / SUPERVISOR_ROUTER agent without
collaborators fails (service-behaviour.md §2.2); collaborators are associated only with a supervisor
and must all be disassociated before collaboration is disabled (AWS's multi-agent and
disable-collaboration pages; the service's enforcement of the latter two is UNCONFIRMED).
"""

from __future__ import annotations

import copy
import itertools
from typing import Any, Mapping

from agentctl.core.model import AliasConfig, LiveAgent, LiveAlias, LiveState, LiveVersion, Ref, digest
from agentctl.core.normalize import config_from_live, content_from_version
from agentctl.plan.model import Plan

PROMPT_TYPES = ("PRE_PROCESSING", "ORCHESTRATION", "KNOWLEDGE_BASE_RESPONSE_GENERATION",
                "POST_PROCESSING", "MEMORY_SUMMARIZATION")
REGION, ACCOUNT = "us-east-1", "123456789012"


class FakeBedrock:
    def __init__(self) -> None:
        self.agents: dict[str, dict[str, Any]] = {}
        self.ids = (f"ID{n:08d}" for n in itertools.count(1))
        self.calls: list[str] = []
        self.prepared: list[tuple[str, Any, int]] = []
        """(agentId, agentCollaboration, number of collaborators) at each PrepareAgent."""

    # ---------------------------------------------------------------------------- apply
    def apply(self, plan: Plan) -> dict[str, dict[str, Any]]:
        outputs: dict[str, dict[str, Any]] = {}
        for step in plan.steps:
            params = _resolve(step.params, outputs)
            response = self.call(step.operation, params)
            if step.outputs:
                got = outputs.setdefault(step.address, {})
                for key, path in step.outputs.items():
                    value = _dig(response, path)
                    if value is not None:
                        got[key] = value
        return outputs

    def call(self, op: str, p: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(op)
        handler = getattr(self, "_" + op)
        return handler(copy.deepcopy(p))

    # ---------------------------------------------------------------------------- agents
    def _CreateAgent(self, p: dict[str, Any]) -> dict[str, Any]:
        agent_id = next(self.ids)
        tags = p.pop("tags", {})
        self.agents[agent_id] = {"agent": p, "tags": tags, "groups": {}, "kbs": {}, "collabs": {},
                                 "aliases": {}, "versions": {}, "next_version": 1}
        return {"agent": self._agent_shape(agent_id)}

    def _UpdateAgent(self, p: dict[str, Any]) -> dict[str, Any]:
        agent_id = p.pop("agentId")
        a = self.agents[agent_id]
        assert _supervises(p) or not a["collabs"], \
            "collaboration disabled while collaborators are still associated"
        a["agent"] = p  # full replacement
        return {"agent": self._agent_shape(agent_id)}

    def _PrepareAgent(self, p: dict[str, Any]) -> dict[str, Any]:
        a = self.agents[p["agentId"]]
        assert not (_supervises(a["agent"]) and not a["collabs"]), (
            "ValidationException: This agent cannot be prepared. The AgentCollaboration attribute "
            "is set to SUPERVISOR but no agent collaborators are added.")
        self.prepared.append((p["agentId"], a["agent"].get("agentCollaboration"), len(a["collabs"])))
        return {"agentId": p["agentId"], "agentStatus": "PREPARING", "agentVersion": "DRAFT"}

    def _GetAgent(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"agent": self._agent_shape(p["agentId"])}

    def _DeleteAgent(self, p: dict[str, Any]) -> dict[str, Any]:
        a = self.agents[p["agentId"]]
        assert not a["aliases"], "DeleteAgent with active aliases"
        del self.agents[p["agentId"]]
        return {"agentId": p["agentId"], "agentStatus": "DELETING"}

    def _TagResource(self, p: dict[str, Any]) -> dict[str, Any]:
        self._tags_of(p["resourceArn"]).update(p["tags"])
        return {}

    def _UntagResource(self, p: dict[str, Any]) -> dict[str, Any]:
        tags = self._tags_of(p["resourceArn"])
        for k in p["tagKeys"]:
            tags.pop(k, None)
        return {}

    def _tags_of(self, arn: str) -> dict[str, str]:
        for agent_id, a in self.agents.items():
            if arn == _agent_arn(agent_id):
                return a["tags"]
            for alias in a["aliases"].values():
                if alias["agentAliasArn"] == arn:
                    return alias["tags"]
        raise KeyError(arn)

    # ---------------------------------------------------------------------------- sub-resources
    def _CreateAgentActionGroup(self, p: dict[str, Any]) -> dict[str, Any]:
        a = self.agents[p.pop("agentId")]
        p.pop("agentVersion")
        group_id = next(self.ids)
        a["groups"][p["actionGroupName"]] = {"actionGroupId": group_id, **p}
        return {"agentActionGroup": {"actionGroupId": group_id}}

    def _UpdateAgentActionGroup(self, p: dict[str, Any]) -> dict[str, Any]:
        a = self.agents[p.pop("agentId")]
        p.pop("agentVersion")
        gid = p["actionGroupId"]
        name = next(n for n, g in a["groups"].items() if g["actionGroupId"] == gid)
        del a["groups"][name]
        a["groups"][p["actionGroupName"]] = p
        return {"agentActionGroup": {"actionGroupId": gid}}

    def _DeleteAgentActionGroup(self, p: dict[str, Any]) -> dict[str, Any]:
        a = self.agents[p["agentId"]]
        name = next(n for n, g in a["groups"].items() if g["actionGroupId"] == p["actionGroupId"])
        assert a["groups"][name].get("actionGroupState") == "DISABLED", "deleting an ENABLED group"
        del a["groups"][name]
        return {}

    def _AssociateAgentKnowledgeBase(self, p: dict[str, Any]) -> dict[str, Any]:
        a = self.agents[p.pop("agentId")]
        p.pop("agentVersion")
        a["kbs"][p["knowledgeBaseId"]] = p
        return {"agentKnowledgeBase": {"knowledgeBaseId": p["knowledgeBaseId"]}}

    _UpdateAgentKnowledgeBase = _AssociateAgentKnowledgeBase

    def _DisassociateAgentKnowledgeBase(self, p: dict[str, Any]) -> dict[str, Any]:
        del self.agents[p["agentId"]]["kbs"][p["knowledgeBaseId"]]
        return {}

    def _AssociateAgentCollaborator(self, p: dict[str, Any]) -> dict[str, Any]:
        a = self.agents[p.pop("agentId")]
        p.pop("agentVersion")
        assert _supervises(a["agent"]), "collaborator associated with an agent that is not a supervisor"
        cid = p.pop("collaboratorId", None) or next(self.ids)
        a["collabs"] = {n: c for n, c in a["collabs"].items() if c["collaboratorId"] != cid}
        a["collabs"][p["collaboratorName"]] = {"collaboratorId": cid, **p}
        return {"agentCollaborator": {"collaboratorId": cid}}

    _UpdateAgentCollaborator = _AssociateAgentCollaborator

    def _DisassociateAgentCollaborator(self, p: dict[str, Any]) -> dict[str, Any]:
        a = self.agents[p["agentId"]]
        a["collabs"] = {n: c for n, c in a["collabs"].items()
                        if c["collaboratorId"] != p["collaboratorId"]}
        return {}

    # ---------------------------------------------------------------------------- aliases
    def _route(self, agent_id: str, routing: list[dict[str, Any]] | None) -> str:
        a = self.agents[agent_id]
        if routing is None:  # §3.1: no routing = cut a new version from the DRAFT
            number = str(a["next_version"])
            a["next_version"] += 1
            a["versions"][number] = copy.deepcopy(
                {k: a[k] for k in ("agent", "groups", "kbs", "collabs")})
            return number
        version = routing[0]["agentVersion"]
        assert version in a["versions"], f"routing to unknown version {version}"
        return version

    def _CreateAgentAlias(self, p: dict[str, Any]) -> dict[str, Any]:
        agent_id = p["agentId"]
        alias_id = next(self.ids)
        version = self._route(agent_id, p.get("routingConfiguration"))
        alias = {"agentAliasId": alias_id, "agentAliasName": p["agentAliasName"],
                 "agentAliasArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent-alias/{agent_id}/{alias_id}",
                 "description": p.get("description"), "tags": p.get("tags", {}),
                 "routingConfiguration": [{"agentVersion": version}],
                 "aliasInvocationState": "ACCEPT_INVOCATIONS"}
        self.agents[agent_id]["aliases"][alias_id] = alias
        return {"agentAlias": {k: v for k, v in alias.items() if k != "tags"}}

    def _UpdateAgentAlias(self, p: dict[str, Any]) -> dict[str, Any]:
        agent_id = p["agentId"]
        alias = self.agents[agent_id]["aliases"][p["agentAliasId"]]
        version = self._route(agent_id, p.get("routingConfiguration"))
        alias.update({"agentAliasName": p["agentAliasName"], "description": p.get("description"),
                      "routingConfiguration": [{"agentVersion": version}],
                      "aliasInvocationState": p.get("aliasInvocationState", "ACCEPT_INVOCATIONS")})
        return {"agentAlias": {k: v for k, v in alias.items() if k != "tags"}}

    def _DeleteAgentAlias(self, p: dict[str, Any]) -> dict[str, Any]:
        del self.agents[p["agentId"]]["aliases"][p["agentAliasId"]]
        return {}

    def _DeleteAgentVersion(self, p: dict[str, Any]) -> dict[str, Any]:
        a = self.agents[p["agentId"]]
        routed = {al["routingConfiguration"][0]["agentVersion"] for al in a["aliases"].values()}
        assert p["agentVersion"] not in routed, "deleting a version an alias routes to"
        del a["versions"][p["agentVersion"]]
        return {}

    # ---------------------------------------------------------------------------- read-back
    def _agent_shape(self, agent_id: str, snapshot: Mapping[str, Any] | None = None) -> dict[str, Any]:
        a = snapshot or self.agents[agent_id]
        sent = copy.deepcopy(a["agent"])
        out = {"agentId": agent_id, "agentArn": _agent_arn(agent_id), "agentVersion": "DRAFT",
               "agentStatus": "PREPARED", "createdAt": "2026-01-01T00:00:00Z",
               "updatedAt": "2026-01-01T00:00:00Z", "clientToken": "x" * 36, **sent}
        out.setdefault("idleSessionTTLInSeconds", 1800)
        out.setdefault("agentCollaboration", "DISABLED")
        out.setdefault("orchestrationType", "DEFAULT")
        mem = out.get("memoryConfiguration")
        if mem:
            mem.setdefault("storageDays", 30)
            mem.setdefault("sessionSummaryConfiguration", {"maxRecentSessions": 20})
        # §9.1: every prompt type is echoed; DEFAULT ones with default settings; state-only
        # overrides come back with the default template filled in.
        sent_prompts = {c["promptType"]: c for c in
                        (out.get("promptOverrideConfiguration") or {}).get("promptConfigurations", [])}
        entries = []
        for ptype in PROMPT_TYPES:
            entry = {"promptType": ptype, "promptCreationMode": "DEFAULT", "promptState": "ENABLED",
                     "basePromptTemplate": f"default {ptype} template", "parserMode": "DEFAULT",
                     "inferenceConfiguration": {"temperature": 0.0, "topP": 1.0, "topK": 250,
                                                "maximumLength": 2048, "stopSequences": []}}
            entry.update(sent_prompts.get(ptype, {}))
            entries.append(entry)
        poc = out.get("promptOverrideConfiguration") or {}
        out["promptOverrideConfiguration"] = {**poc, "promptConfigurations": entries}
        return out

    def live_state(self, project: str = "support") -> LiveState:
        from .builders import TARGET

        agents = {}
        for agent_id, a in self.agents.items():
            agent = self._agent_shape(agent_id)
            groups = [_group_shape(agent_id, "DRAFT", n, g) for n, g in a["groups"].items()]
            kbs = [{"agentId": agent_id, "agentVersion": "DRAFT", "knowledgeBaseState": "ENABLED",
                    "updatedAt": "t", **kb} for kb in a["kbs"].values()]
            collabs = [{"agentId": agent_id, "agentVersion": "DRAFT", "lastUpdatedAt": "t",
                        "relayConversationHistory": "DISABLED", **c} for c in a["collabs"].values()]
            aliases = {al["agentAliasName"]: AliasConfig(
                name=al["agentAliasName"], description=al["description"],
                tags=dict(al["tags"]), invocation_state=al["aliasInvocationState"])
                for al in a["aliases"].values()}
            cfg = config_from_live(agent, groups, kbs, collabs, a["tags"], aliases)
            versions = []
            for number in sorted(a["versions"], key=int):
                snap = a["versions"][number]
                vobj = self._agent_shape(agent_id, snap)
                vobj.pop("orchestrationType", None)  # §3.2: not in the version shape
                vobj.pop("customOrchestration", None)
                vobj.pop("agentVersion")
                vobj["version"] = number
                content = content_from_version(
                    vobj, [_group_shape(agent_id, number, n, g) for n, g in snap["groups"].items()],
                    [{"knowledgeBaseState": "ENABLED", **kb} for kb in snap["kbs"].values()],
                    [{"relayConversationHistory": "DISABLED", **c} for c in snap["collabs"].values()])
                versions.append(LiveVersion(version=number, status="PREPARED", created_at=None,
                                            content=content))
            live_aliases = {al["agentAliasName"]: LiveAlias(
                alias_id=al["agentAliasId"], name=al["agentAliasName"], arn=al["agentAliasArn"],
                description=al["description"],
                routed_version=al["routingConfiguration"][0]["agentVersion"], status="PREPARED",
                invocation_state=al["aliasInvocationState"], tags=dict(al["tags"]), history=())
                for al in a["aliases"].values()}
            agents[cfg.name] = LiveAgent(
                agent_id=agent_id, arn=_agent_arn(agent_id), status="PREPARED", config=cfg,
                owner_tags={k: v for k, v in a["tags"].items() if k.startswith("agentctl:")},
                action_group_ids={n: g["actionGroupId"] for n, g in a["groups"].items()},
                action_group_states={n: g.get("actionGroupState", "ENABLED")
                                     for n, g in a["groups"].items()},
                aliases=live_aliases, versions=tuple(versions),
                fingerprint=digest([agent, groups, kbs, collabs, sorted(a["versions"])]),
                collaborator_ids={n: c["collaboratorId"] for n, c in a["collabs"].items()})
        return LiveState(target=TARGET, agents=agents)


def _supervises(agent: Mapping[str, Any]) -> bool:
    return agent.get("agentCollaboration") in ("SUPERVISOR", "SUPERVISOR_ROUTER")


def _agent_arn(agent_id: str) -> str:
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/{agent_id}"


def _group_shape(agent_id: str, version: str, name: str, g: Mapping[str, Any]) -> dict[str, Any]:
    out = {"agentId": agent_id, "agentVersion": version, "actionGroupName": name,
           "createdAt": "t", "updatedAt": "t", "actionGroupState": "ENABLED", **copy.deepcopy(g)}
    if "parentActionGroupSignature" in out:  # §4.1: the response member's other name
        out["parentActionSignature"] = out.pop("parentActionGroupSignature")
    return out


def _resolve(value: Any, outputs: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(value, Ref):
        return outputs[value.address][value.key]
    if isinstance(value, dict):
        return {k: _resolve(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, outputs) for v in value]
    return value


def _dig(response: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(response, list):
            response = response[int(part)] if int(part) < len(response) else None
        elif isinstance(response, dict):
            response = response.get(part)
        else:
            return None
    return response

