"""Commands: emulator_cmds (registered on agentctl.cli.app.app)."""

from __future__ import annotations

from agentctl.cli.app import app  # noqa: F401
