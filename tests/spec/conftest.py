"""Helpers for spec tests: write a small project into tmp_path and load it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest

PROJECT = """\
project: t
agents: ["agents/*.yaml"]
defaultEnvironment: local
environments:
  local:
    target: local
    region: us-east-1
    account: "123456789012"
    variables:
      lam: arn:aws:lambda:us-east-1:123456789012:function:tools
      kb: KB1234ABCD
    world:
      knowledgeBases: [{id: KB1234ABCD, name: hr}, {id: KB2222ABCD}, {id: KB3333ABCD}]
      lambdas: [{arn: "arn:aws:lambda:us-east-1:123456789012:function:tools", handler: "h:f"}]
  prod:
    target: aws
    region: us-west-2
    account: "111111111111"
    variables:
      lam: arn:aws:lambda:us-west-2:111111111111:function:tools
      kb: KB9999ABCD
"""

# Lines 1-4 of every test agent; cases add their own lines from line 5 on.
BASE = """\
name: bot
model: anthropic.claude-3-5-sonnet-20241022-v2:0
instruction: You are a careful assistant that answers questions about customer orders.
role: arn:aws:iam::123456789012:role/AgentRole
"""

# A valid action group (lines as appended after BASE start at 5).
GROUP = """\
actionGroups:
  - name: Tools
    description: Order tools for looking orders up by their ID.
    executor: { lambda: "${var.lam}" }
    functions:
      - name: get_order
        description: Look up one order by its ID and return its status.
        parameters:
          order_id: { type: string, description: "The order ID, e.g. A-482.", required: true }
"""


def dedent(text: str) -> str:
    return textwrap.dedent(text)


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Path]:
    """``project({"agents/bot.yaml": "...", ...}, project_file=...)`` writes files (str or bytes)
    under tmp_path/proj and returns the project directory."""

    def make(files: dict[str, str | bytes], project_file: str | None = PROJECT) -> Path:
        root = tmp_path / "proj"
        root.mkdir(exist_ok=True)
        if project_file is not None:
            (root / "agentctl.yaml").write_text(project_file, encoding="utf-8")
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make
