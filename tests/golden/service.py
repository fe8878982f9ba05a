"""The golden cases' inputs in the shapes agentctl really reads, so every case goes through the
real loaders instead of around them:

- the desired side is a project directory (``agentctl.yaml`` + ``agents/*.yaml``) loaded by
  ``agentctl.spec.load_project`` (YAML loader, schema, Bedrock rules, the field table);
- the live side is ``live.json``: what the bedrock-agent read operations return (GetAgent's
  ``agent``, GetAgentActionGroup's objects, tags, aliases, version snapshots, with the values the
  service fills in on read: default prompt configurations, ENABLED states, DISABLED collaboration,
  the idle TTL, the renamed ``parentActionSignature``, payloads as strings), read back by the real
  reader ``agentctl.aws.live.read_live`` through ``ReplayBedrock`` and normalized by it.

``make_cases`` writes the inputs with ``write_inputs``; ``test_golden`` reads them with
``load_inputs``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Mapping

import botocore.exceptions
import yaml

from agentctl.aws import client as aws
from agentctl.aws import live as live_mod
from agentctl.core.model import AgentConfig, LiveAgent, LiveState, Target, plain
from agentctl.core.normalize import explicit_agent_defaults
from agentctl.emulator import defaults as service_defaults
from agentctl.spec import load_project
from agentctl.spec.mapping import spec_document

PROJECT = "support"
T = "2026-01-01T00:00:00Z"


class _SpecDumper(yaml.SafeDumper):
    """Spec files as a person writes them: multi-line text as literal blocks."""


_SpecDumper.add_representer(str, lambda d, s: d.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


# --------------------------------------------------------------------------------- desired

def write_desired(directory: Path, desired: Mapping[str, AgentConfig]) -> None:
    """``desired`` as a project: one spec file per agent (``spec_document``), and a local
    environment whose world holds every knowledge base and Lambda the specs name."""
    agents = directory / "agents"
    agents.mkdir(parents=True, exist_ok=True)
    for old in agents.glob("*.yaml"):
        old.unlink()
    kbs, lambdas = set(), set()
    for name, cfg in sorted(desired.items()):
        doc = spec_document(cfg)
        kbs |= set(cfg.knowledge_bases)
        lambdas |= {g["actionGroupExecutor"]["lambda"] for g in cfg.action_groups.values()
                    if "lambda" in (g.get("actionGroupExecutor") or {})}
        (agents / f"{name}.yaml").write_text(
            "# Written by tests/golden/make_cases.py\n" + yaml.dump(doc, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True),
            encoding="utf-8")
    env = {"target": "local", "region": "us-east-1", "account": "123456789012",
           "world": {"knowledgeBases": [{"id": k} for k in sorted(kbs)],
                     "lambdas": [{"arn": a, "handler": "handlers:handler"} for a in sorted(lambdas)]}}
    (directory / "handlers.py").write_text("def handler(event, context):\n    return {}\n", encoding="utf-8")
    (directory / "agentctl.yaml").write_text(yaml.safe_dump(
        {"project": PROJECT, "agents": ["agents/*.yaml"], "environments": {"local": env}},
        sort_keys=False), encoding="utf-8")


def load_desired(directory: Path) -> dict[str, AgentConfig]:
    return dict(load_project(directory, environ={}).desired)


# --------------------------------------------------------------------------------- live

def _agent_object(agent_id: str, arn: str, status: str, members: Mapping[str, Any], *,
                  version: str | None = None) -> dict[str, Any]:
    # What the service stores is what agentctl sends (explicit defaults); on read it adds a
    # DEFAULT-mode entry for every prompt type not overridden (service-behaviour.md §9.1).
    obj = explicit_agent_defaults(members)
    stored = obj.get("promptOverrideConfiguration")
    memory = bool((obj.get("memoryConfiguration") or {}).get("enabledMemoryTypes"))
    poc = service_defaults.filled_prompt_override(stored, memory_enabled=memory,
                                                  pre_processing_state="DISABLED",
                                                  include_memory_summarization=memory)
    overridden = {e["promptType"]: e for e in (stored or {}).get("promptConfigurations", [])}
    poc["promptConfigurations"] = [overridden.get(e["promptType"], e) for e in poc["promptConfigurations"]]
    obj["promptOverrideConfiguration"] = poc
    obj.update(agentId=agent_id, agentArn=arn, agentStatus=status, createdAt=T, updatedAt=T)
    if version is None:
        obj["agentVersion"] = "DRAFT"
    else:
        obj["version"] = version
        for key in ("orchestrationType", "customOrchestration"):  # §3.2: not in a version
            obj.pop(key, None)
    return obj


def _children(agent_id: str, version: str, content: Mapping[str, Any], ids: Mapping[str, Mapping[str, str]]
              ) -> dict[str, list[dict[str, Any]]]:
    groups = []
    for name, g in sorted((content.get("action_groups") or {}).items()):
        obj = plain(g)
        obj.setdefault("actionGroupState", "ENABLED")  # §4.1: always returned
        if isinstance((obj.get("apiSchema") or {}).get("payload"), (dict, list)):
            obj["apiSchema"] = {"payload": json.dumps(obj["apiSchema"]["payload"], indent=2)}  # §4.3
        if "parentActionGroupSignature" in obj:  # §4.1: the response member's other name
            obj["parentActionSignature"] = obj.pop("parentActionGroupSignature")
        groups.append({**obj, "actionGroupId": ids["action_groups"].get(name, "GROUPXXXXX"),
                       "actionGroupName": name, "agentId": agent_id, "agentVersion": version,
                       "createdAt": T, "updatedAt": T})
    kbs = [{"knowledgeBaseState": "ENABLED", **plain(kb), "knowledgeBaseId": kb_id, "agentId": agent_id,
            "agentVersion": version, "createdAt": T, "updatedAt": T}
           for kb_id, kb in sorted((content.get("knowledge_bases") or {}).items())]
    collabs = [{"relayConversationHistory": "DISABLED", **plain(c), "collaboratorName": name,
                "collaboratorId": ids["collaborators"].get(name, "COLLABXXXX"), "agentId": agent_id,
                "agentVersion": version, "createdAt": T, "lastUpdatedAt": T}  # §6.4: lastUpdatedAt
               for name, c in sorted((content.get("collaborators") or {}).items())]
    return {"action_groups": groups, "knowledge_bases": kbs, "collaborators": collabs}


def live_document(live: LiveState) -> dict[str, Any]:
    """``live`` as the service would answer its read operations."""
    agents = {}
    for name, a in sorted(live.agents.items()):
        ids = {"action_groups": dict(a.action_group_ids), "collaborators": dict(a.collaborator_ids)}
        versions = []
        children = {"DRAFT": _children(a.agent_id, "DRAFT", a.config.content(), ids)}
        for v in a.versions:
            entry: dict[str, Any] = {"summary": {"agentVersion": v.version, "agentStatus": v.status,
                                                 **({"createdAt": v.created_at} if v.created_at else {})},
                                     "agentVersion": None}
            if v.content is not None:
                entry["agentVersion"] = _agent_object(a.agent_id, a.arn, v.status, v.content["agent"],
                                                      version=v.version)
                children[v.version] = _children(a.agent_id, v.version, v.content, ids)
            versions.append(entry)
        agents[a.agent_id] = {
            "agent": _agent_object(a.agent_id, a.arn, a.status,
                                   {**a.config.agent, "agentName": name}),
            "tags": {**dict(a.owner_tags), **dict(a.config.tags)},
            "children": children,
            "aliases": [{"alias": {
                "agentId": a.agent_id, "agentAliasId": al.alias_id, "agentAliasName": al.name,
                "agentAliasArn": al.arn, **({"description": al.description} if al.description else {}),
                "routingConfiguration": [{"agentVersion": al.routed_version}] if al.routed_version else [],
                "agentAliasStatus": al.status,
                "aliasInvocationState": al.invocation_state or "ACCEPT_INVOCATIONS",
                "agentAliasHistoryEvents": [plain(h) for h in al.history],
                "createdAt": T, "updatedAt": T}, "tags": dict(al.tags)}
                for al in sorted(a.aliases.values(), key=lambda x: x.name)],
            "versions": versions,
        }
    for name, agent_id in sorted(live.unowned.items()):
        agents[agent_id] = {"agent": {"agentId": agent_id, "agentName": name, "agentStatus": "PREPARED",
                                      "agentArn": f"arn:aws:bedrock:us-east-1:123456789012:agent/{agent_id}"},
                            "tags": {}, "children": {}, "aliases": [], "versions": []}
    return {"target": plain(live.target.__dict__), "agents": agents}


class ReplayBedrock:
    """A read-only bedrock-agent client answering from a ``live_document`` (one page per list:
    paging is the contract tests' business)."""

    def __init__(self, doc: Mapping[str, Any]):
        self.doc = doc

    def _agent(self, agent_id: str) -> Mapping[str, Any]:
        if agent_id not in self.doc["agents"]:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "not found"}}, "Get")
        return self.doc["agents"][agent_id]

    def list_agents(self, **_: Any) -> dict[str, Any]:
        return {"agentSummaries": [{"agentId": i, "agentName": a["agent"]["agentName"],
                                    "agentStatus": a["agent"]["agentStatus"]}
                                   for i, a in self.doc["agents"].items()]}

    def list_tags_for_resource(self, resourceArn: str) -> dict[str, Any]:
        for a in self.doc["agents"].values():
            if a["agent"]["agentArn"] == resourceArn:
                return {"tags": copy.deepcopy(a["tags"])}
            for al in a["aliases"]:
                if al["alias"]["agentAliasArn"] == resourceArn:
                    return {"tags": copy.deepcopy(al["tags"])}
        return {"tags": {}}

    def get_agent(self, agentId: str) -> dict[str, Any]:
        return {"agent": copy.deepcopy(self._agent(agentId)["agent"])}

    def _kids(self, agentId: str, agentVersion: str, kind: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self._agent(agentId)["children"].get(agentVersion, {}).get(kind, []))

    def _one(self, agentId: str, agentVersion: str, kind: str, key: str, value: str) -> dict[str, Any]:
        for item in self._kids(agentId, agentVersion, kind):
            if item[key] == value:
                return item
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": "not found"}}, "Get")

    def list_agent_action_groups(self, agentId: str, agentVersion: str, **_: Any) -> dict[str, Any]:
        return {"actionGroupSummaries": [_summary(g, "ActionGroupSummary")
                                         for g in self._kids(agentId, agentVersion, "action_groups")]}

    def get_agent_action_group(self, agentId: str, agentVersion: str, actionGroupId: str) -> dict[str, Any]:
        return {"agentActionGroup": self._one(agentId, agentVersion, "action_groups", "actionGroupId",
                                              actionGroupId)}

    def list_agent_knowledge_bases(self, agentId: str, agentVersion: str, **_: Any) -> dict[str, Any]:
        return {"agentKnowledgeBaseSummaries": [_summary(k, "AgentKnowledgeBaseSummary")
                                                for k in self._kids(agentId, agentVersion, "knowledge_bases")]}

    def get_agent_knowledge_base(self, agentId: str, agentVersion: str, knowledgeBaseId: str) -> dict[str, Any]:
        return {"agentKnowledgeBase": self._one(agentId, agentVersion, "knowledge_bases", "knowledgeBaseId",
                                                knowledgeBaseId)}

    def list_agent_collaborators(self, agentId: str, agentVersion: str, **_: Any) -> dict[str, Any]:
        return {"agentCollaboratorSummaries": [_summary(c, "AgentCollaboratorSummary")
                                               for c in self._kids(agentId, agentVersion, "collaborators")]}

    def get_agent_collaborator(self, agentId: str, agentVersion: str, collaboratorId: str) -> dict[str, Any]:
        return {"agentCollaborator": self._one(agentId, agentVersion, "collaborators", "collaboratorId",
                                               collaboratorId)}

    def list_agent_aliases(self, agentId: str, **_: Any) -> dict[str, Any]:
        return {"agentAliasSummaries": [_summary(al["alias"], "AgentAliasSummary")
                                        for al in self._agent(agentId)["aliases"]]}

    def get_agent_alias(self, agentId: str, agentAliasId: str) -> dict[str, Any]:
        for al in self._agent(agentId)["aliases"]:
            if al["alias"]["agentAliasId"] == agentAliasId:
                return {"agentAlias": copy.deepcopy(al["alias"])}
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": "not found"}}, "GetAgentAlias")

    def list_agent_versions(self, agentId: str, **_: Any) -> dict[str, Any]:
        return {"agentVersionSummaries": [{"agentVersion": "DRAFT", "agentStatus": "PREPARED"}]
                + [copy.deepcopy(v["summary"]) for v in self._agent(agentId)["versions"]]}

    def get_agent_version(self, agentId: str, agentVersion: str) -> dict[str, Any]:
        for v in self._agent(agentId)["versions"]:
            if v["summary"]["agentVersion"] == agentVersion and v["agentVersion"] is not None:
                return {"agentVersion": copy.deepcopy(v["agentVersion"])}
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": "not found"}}, "GetAgentVersion")


def _summary(full: Mapping[str, Any], shape: str) -> dict[str, Any]:
    """A List operation's summary of ``full`` (a Get's object): the members of botocore's
    summary shape, as the service returns them."""
    from agentctl.core.servicemodel import service_model

    members = service_model().shape_for(shape).members
    return copy.deepcopy({k: v for k, v in full.items() if k in members})


def read_live(doc: Mapping[str, Any], wanted: set[str]) -> LiveState:
    """The live state the real reader builds from ``doc`` for the desired agents plus every agent
    the project owns (as ``agentctl.apply.lifecycle.read_project_live`` does)."""
    clients = aws.Clients(agent=ReplayBedrock(doc), target=Target(**doc["target"]))
    found = live_mod.list_agents(clients)
    tags = live_mod.agent_tags(clients, found, max_workers=1)
    names = set(wanted) | set(live_mod.discover_project_agents(clients, PROJECT, found, tags=tags))
    return live_mod.read_live(clients, sorted(names), project=PROJECT, found=found, tags=tags,
                              max_workers=1)


# --------------------------------------------------------------------------------- a case

def write_inputs(directory: Path, desired: Mapping[str, AgentConfig], live: LiveState,
                 options: Mapping[str, Any] | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in ("desired.json", "options.json"):
        (directory / stale).unlink(missing_ok=True)
    write_desired(directory / "desired", desired)
    _write_json(directory / "live.json", live_document(live))
    if options:
        _write_json(directory / "options.json", dict(options))


def load_inputs(directory: Path) -> tuple[dict[str, AgentConfig], LiveState, dict[str, Any]]:
    desired = load_desired(directory / "desired")
    live = read_live(json.loads((directory / "live.json").read_text("utf-8")), set(desired))
    options_file = directory / "options.json"
    options = json.loads(options_file.read_text("utf-8")) if options_file.exists() else {}
    return desired, live, options


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
