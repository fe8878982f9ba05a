"""Golden plan outputs: each ``tests/golden/<case>/`` holds ``desired.json`` (agent name ->
canonical AgentConfig document), ``live.json`` (a LiveState document), optionally
``options.json`` (build_plan keyword arguments), and the expected renderings ``expected.txt``
(human, colour off) and ``expected.json`` (the JSON document). ``pytest --update-golden``
rewrites the expected files so reviewers read output changes as diffs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import pytest

from agentctl.core.model import AgentConfig, LiveAgent, LiveAlias, LiveState, LiveVersion, Target
from agentctl.core.normalize import config_document, config_from_document
from agentctl.plan.planner import build_plan
from agentctl.render.human import render_plan
from agentctl.render.json import plan_to_document

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.iterdir() if p.is_dir() and (p / "desired.json").exists())


# ------------------------------------------------------------------------------ (de)serializers


def desired_to_doc(desired: Mapping[str, AgentConfig]) -> dict[str, Any]:
    return {name: config_document(cfg) for name, cfg in sorted(desired.items())}


def desired_from_doc(doc: Mapping[str, Any]) -> dict[str, AgentConfig]:
    return {name: config_from_document(d) for name, d in doc.items()}


def live_to_doc(live: LiveState) -> dict[str, Any]:
    def alias(a: LiveAlias) -> dict[str, Any]:
        return {"alias_id": a.alias_id, "name": a.name, "arn": a.arn, "description": a.description,
                "routed_version": a.routed_version, "status": a.status,
                "invocation_state": a.invocation_state, "tags": dict(a.tags),
                "history": [dict(h) for h in a.history]}

    def agent(a: LiveAgent) -> dict[str, Any]:
        return {
            "agent_id": a.agent_id, "arn": a.arn, "status": a.status,
            "config": config_document(a.config), "owner_tags": dict(a.owner_tags),
            "action_group_ids": dict(a.action_group_ids),
            "action_group_states": dict(a.action_group_states),
            "aliases": {k: alias(v) for k, v in a.aliases.items()},
            "versions": [{"version": v.version, "status": v.status, "created_at": v.created_at,
                          "content": v.content} for v in a.versions],
            "fingerprint": a.fingerprint, "failure_reasons": list(a.failure_reasons),
            "collaborator_ids": dict(a.collaborator_ids),
        }

    return {
        "target": {"kind": live.target.kind, "region": live.target.region,
                   "account": live.target.account, "endpoint": live.target.endpoint},
        "agents": {k: agent(v) for k, v in sorted(live.agents.items())},
        "absent": sorted(live.absent),
        "unowned": dict(live.unowned),
    }


def live_from_doc(doc: Mapping[str, Any]) -> LiveState:
    def agent(d: Mapping[str, Any]) -> LiveAgent:
        return LiveAgent(
            agent_id=d["agent_id"], arn=d["arn"], status=d["status"],
            config=config_from_document(d["config"]), owner_tags=d["owner_tags"],
            action_group_ids=d["action_group_ids"], action_group_states=d["action_group_states"],
            aliases={k: LiveAlias(**{**a, "history": tuple(a["history"])})
                     for k, a in d["aliases"].items()},
            versions=tuple(LiveVersion(**v) for v in d["versions"]),
            fingerprint=d["fingerprint"], failure_reasons=tuple(d["failure_reasons"]),
            collaborator_ids=d["collaborator_ids"],
        )

    return LiveState(target=Target(**doc["target"]),
                     agents={k: agent(v) for k, v in doc["agents"].items()},
                     absent=frozenset(doc["absent"]), unowned=dict(doc["unowned"]))


def write_case(directory: Path, desired: Mapping[str, AgentConfig], live: LiveState,
               options: Mapping[str, Any] | None = None) -> None:
    """Used to create a case's inputs (see tests/golden/README.md)."""
    directory.mkdir(parents=True, exist_ok=True)
    _write_json(directory / "desired.json", desired_to_doc(desired))
    _write_json(directory / "live.json", live_to_doc(live))
    if options:
        _write_json(directory / "options.json", dict(options))


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


# ------------------------------------------------------------------------------ the test


def test_there_are_enough_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, update_golden: bool) -> None:
    directory = HERE / case
    desired = desired_from_doc(json.loads((directory / "desired.json").read_text("utf-8")))
    live = live_from_doc(json.loads((directory / "live.json").read_text("utf-8")))
    options_file = directory / "options.json"
    options = json.loads(options_file.read_text("utf-8")) if options_file.exists() else {}
    plan = build_plan(desired, live, project="support", environment="local", **options)
    text = render_plan(plan, color=False)
    document = json.dumps(plan_to_document(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if update_golden:
        (directory / "expected.txt").write_text(text, encoding="utf-8")
        (directory / "expected.json").write_text(document, encoding="utf-8")
        return
    assert text == (directory / "expected.txt").read_text("utf-8")
    assert document == (directory / "expected.json").read_text("utf-8")


@pytest.mark.parametrize("case", CASES)
def test_golden_inputs_round_trip(case: str) -> None:
    """The case files are what the serializers produce (no hand-edited drift)."""
    directory = HERE / case
    desired_doc = json.loads((directory / "desired.json").read_text("utf-8"))
    live_doc = json.loads((directory / "live.json").read_text("utf-8"))
    assert desired_to_doc(desired_from_doc(desired_doc)) == desired_doc
    assert live_to_doc(live_from_doc(live_doc)) == live_doc
