"""Only the executor mutates (issue 7 item 2).

Statically: no module of agentctl other than ``agentctl/apply/executor.py`` (and the emulator,
which *implements* the operations) calls a mutating bedrock-agent operation, neither as a
boto3 client method (``client.update_agent_alias(...)``) nor through ``aws.call(..., "Op")``.
The set of mutating operations comes from botocore's model: every operation sent with another
HTTP method than GET, except the paginated List* reads (which this API sends as POST).

At runtime: apply, promote, rollback, adopt and destroy, run through the CLI against the
embedded emulator, make every mutating call from inside an executor step of that operation,
and the emulator's own call log sees no mutating call the hook did not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from agentctl.exitcodes import ExitCode

from .conftest import Project

PACKAGE = Path(__file__).resolve().parents[2] / "agentctl"
ALLOWED = {PACKAGE / "apply" / "executor.py"}
EXCLUDED_DIRS = {PACKAGE / "emulator"}


def mutating_operations() -> frozenset[str]:
    session = botocore.session.get_session()
    model = session.get_service_model("bedrock-agent")
    paginated = set(session.get_paginator_model("bedrock-agent")._paginator_config)
    return frozenset(op for op in model.operation_names
                     if model.operation_model(op).http["method"] != "GET" and op not in paginated)


MUTATING = mutating_operations()
MUTATING_METHODS = {xform_name(op): op for op in MUTATING}


def test_the_derived_set_is_the_service_s_writes():
    # A sanity check of the derivation on operations whose nature is not in doubt.
    for op in ("CreateAgent", "UpdateAgent", "DeleteAgent", "PrepareAgent", "TagResource",
               "UntagResource", "UpdateAgentAlias", "CreateAgentAlias", "DeleteAgentVersion",
               "AssociateAgentKnowledgeBase", "AssociateAgentCollaborator"):
        assert op in MUTATING
    for op in ("GetAgent", "ListAgents", "ListAgentAliases", "GetAgentAlias",
               "ListTagsForResource", "ListAgentVersions"):
        assert op not in MUTATING


def _mutating_uses(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else \
            func.id if isinstance(func, ast.Name) else None
        if name in MUTATING_METHODS:
            found.append((node.lineno, f"{name}(...)"))
        if name == "call":
            for arg in list(node.args) + [k.value for k in node.keywords]:
                if isinstance(arg, ast.Constant) and arg.value in MUTATING:
                    found.append((node.lineno, f"call(..., {arg.value!r})"))
    return found


def _sources() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if p not in ALLOWED and not any(d in p.parents for d in EXCLUDED_DIRS)]


def test_no_module_but_the_executor_calls_a_mutating_operation():
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
                      for line, what in _mutating_uses(tree)]
    assert offenders == [], "mutating calls outside agentctl/apply/executor.py:\n" + \
        "\n".join(offenders)


def test_the_scan_finds_both_forms():
    # The scan must be able to fail: both call forms, as the code before the one executor had.
    tree = ast.parse("aws.call(ctx.clients, 'UpdateAgentAlias', params)\n"
                     "client.tag_resource(resourceArn=arn, tags={})\n"
                     "aws.call(ctx.clients, 'GetAgent', {})\n")
    assert [what for _, what in _mutating_uses(tree)] == \
        ["call(..., 'UpdateAgentAlias')", "tag_resource(...)"]


# ----------------------------------------------------------------------------- at runtime

@pytest.fixture
def recorded(monkeypatch):
    """Every bedrock-agent call the CLI makes, with the executor step it ran in (if any)."""
    from agentctl.apply import executor
    from agentctl.aws import client as aws

    calls: list[tuple[str, object]] = []
    real = aws.make_clients

    def make_clients(*a, **kw):
        clients = real(*a, **kw)

        def before_call(model, **_):
            calls.append((model.name, executor.running_step()))

        clients.agent.meta.events.register("before-call.bedrock-agent", before_call)
        return clients

    monkeypatch.setattr(aws, "make_clients", make_clients)
    return calls


def _check(calls: list, p: Project, expected_ops: set[str]) -> None:
    mutating = [(op, step) for op, step in calls if op in MUTATING]
    outside = [op for op, step in mutating if step is None]
    assert outside == [], f"mutating calls outside an executor step: {outside}"
    mismatched = [(op, step.operation) for op, step in mutating if step.operation != op]
    assert mismatched == []
    assert {op for op, _ in mutating} == expected_ops
    # The emulator saw exactly these mutating calls (so the hook missed none).
    assert sorted(op for op, _ in mutating) == sorted(
        op for op in p.mutating_calls() if op in MUTATING)
    calls.clear()
    p.clear_calls()


AGENT = "support-bot"


def test_promote_rollback_adopt_destroy_mutate_only_through_executor_steps(support_bot,
                                                                           recorded):
    p = support_bot
    p.ungate()  # promote itself is under test here, not the example's eval gate on PROD
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    p.edit("agents/support-bot.yaml", "description: Customer support for orders",
           "description: Support for orders")
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    recorded.clear()
    p.clear_calls()

    assert p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING").code == 0
    _check(recorded, p, {"UpdateAgentAlias"})
    assert p.cli("rollback", "PROD", "--agent", AGENT).code == 0
    _check(recorded, p, {"UpdateAgentAlias"})

    emu, c = p.boto()
    try:
        c.create_agent(agentName="hand-made", agentResourceRoleArn="arn:aws:iam::123456789012:role/R",
                       foundationModel="anthropic.claude-3-5-sonnet-20241022-v2:0",
                       instruction="A hand-made agent that agentctl did not create. " * 2)
    finally:
        emu.close()
    p.clear_calls()
    assert p.cli("adopt", "hand-made", "--yes").code == 0
    _check(recorded, p, {"TagResource"})

    r = p.cli("destroy", "--auto-approve")
    assert r.code == 0, r.err
    _check(recorded, p, {"DeleteAgentAlias", "UpdateAgentActionGroup", "DeleteAgentActionGroup",
                         "DeleteAgent"})


def test_apply_refuses_an_agent_whose_ownership_changed_after_planning(support_bot):
    # The plan was made while the agent was ours; someone re-tags it before apply runs.
    from agentctl.apply import lifecycle

    p = support_bot
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    p.edit("agents/support-bot.yaml", "description: Customer support for orders",
           "description: Support for orders")
    with lifecycle.opened(p.root, None) as ctx:
        plan = lifecycle.compute_plan(ctx)
        agent_id = next(a.agent_id for a in lifecycle.read_project_live(ctx).agents.values())
        arn = f"arn:aws:bedrock:us-east-1:123456789012:agent/{agent_id}"
        ctx.clients.agent.tag_resource(resourceArn=arn, tags={"agentctl:project": "other"})
        p.clear_calls()
        result = lifecycle.apply_plan(ctx, plan, record=False)
    assert not result.ok and result.completed == ()
    assert "not managed by project 'support'" in result.failed.error
    assert p.mutating_calls() == []
