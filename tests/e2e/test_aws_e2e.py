"""The lifecycle scenarios against real Amazon Bedrock (marker ``aws``; skipped unless
``AGENTCTL_AWS_TESTS=1``). Needs credentials, ``AGENTCTL_AWS_TEST_ROLE_ARN`` (an agent role),
optionally ``AGENTCTL_AWS_TEST_MODEL``; region from ``AWS_REGION`` / ``AWS_DEFAULT_REGION``.
The agent gets a unique name and is destroyed at teardown (``agentctl destroy``).

Emulator-only checks (the call log) have no equivalent here; instead "a second apply is a
no-op" is checked through ``plan --detailed-exitcode`` and the alias versions not moving.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest

from agentctl.exitcodes import ExitCode

from .conftest import Project

pytestmark = pytest.mark.aws

SPEC = """\
name: {name}
description: agentctl end-to-end test agent (safe to delete).
model: {model}
instruction: You are a test agent used by agentctl's end-to-end suite. Answer briefly.
role: {role}
actionGroups:
  - name: ClientTools
    description: Tools that run in the calling application.
    executor: {{ returnControl: true }}
    functions:
      - name: open_calendar
        description: Open the user's calendar on a date.
        parameters:
          date: {{ type: string, description: The date as YYYY-MM-DD., required: true }}
aliases:
  - name: STAGING
    track: latest
  - name: PROD
    track: pinned
"""


@pytest.fixture
def aws_project(tmp_path, capsys):
    import boto3

    role = os.environ.get("AGENTCTL_AWS_TEST_ROLE_ARN")
    if not role:
        pytest.fail("AGENTCTL_AWS_TEST_ROLE_ARN must be set for AWS end-to-end tests")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    model = os.environ.get("AGENTCTL_AWS_TEST_MODEL", "anthropic.claude-3-haiku-20240307-v1:0")
    name = f"agentctl-e2e-{uuid.uuid4().hex[:8]}"
    root = tmp_path / "proj"
    (root / "agents").mkdir(parents=True)
    (root / "agentctl.yaml").write_text(
        f"project: agentctl-e2e\nagents: [\"agents/*.yaml\"]\ndefaultEnvironment: test\n"
        f"environments:\n  test:\n    target: aws\n    region: {region}\n"
        f"    account: \"{account}\"\n")
    (root / "agents" / "agent.yaml").write_text(SPEC.format(name=name, model=model, role=role))
    p = Project(root, capsys)
    p.agent = name  # type: ignore[attr-defined]
    yield p
    p.cli("destroy", "--auto-approve")


def test_aws_apply_converges_promote_rollback_destroy(aws_project):
    p = aws_project
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.CHANGES
    r = p.cli("apply", "--auto-approve")
    assert r.code == 0, r.err
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK
    r = p.cli("apply", "--auto-approve", "--output", "json")
    assert r.code == 0 and json.loads(r.out)["result"] is None  # nothing to do
    p.edit("agents/agent.yaml", "Answer briefly.", "Answer briefly and politely.")
    assert p.cli("apply", "--auto-approve").code == 0
    r = p.cli("promote", "PROD", "--agent", p.agent, "--from", "STAGING")
    assert (r.code, r.out) == (0, "PROD: 1 -> 2\n"), r.err
    r = p.cli("rollback", "PROD", "--agent", p.agent)
    assert (r.code, r.out) == (0, "PROD: 2 -> 1\n"), r.err
    r = p.cli("history", "PROD", "--agent", p.agent, "--output", "json")
    assert [e["version"] for e in json.loads(r.out)["events"]][:2] == ["1", "2"]
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK
    r = p.cli("destroy", "--auto-approve")
    assert r.code == 0, r.err
    assert "not created" in p.cli("status").out


def test_aws_saved_plan_is_refused_once_applied(aws_project):
    p = aws_project
    plan_file = p.root / "plan.json"
    assert p.cli("plan", "--out", str(plan_file)).code == 0
    assert p.cli("apply", str(plan_file)).code == 0
    assert p.cli("apply", str(plan_file)).code == ExitCode.STALE_PLAN
