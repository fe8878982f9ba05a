"""Fixtures for the emulator's unit tests: an emulator on a manual clock and a client on it.

Transitions only happen when a test advances the clock, so nothing here sleeps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from botocore.config import Config

from agentctl.emulator import Emulator, EmulatorConfig, World
from agentctl.emulator.clock import ManualClock

ROLE = "arn:aws:iam::123456789012:role/AgentRole"
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
INSTRUCTION = "You are a helpful test agent. Answer briefly and never make anything up."
KB_ID = "KB1234ABCD"
KB2_ID = "KB5678EFGH"
KB3_ID = "KB9999ZZZZ"
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def make_emulator(path: Path | None, clock: ManualClock, config: EmulatorConfig | None = None,
                  **seams: Any) -> Emulator:
    """An emulator on ``clock`` with the test world seeded; ``seams``: Emulator's test seams
    (``before_commit``, ``faults``)."""
    emu = Emulator(state_path=path, config=config, clock=clock, sleep=clock.sleep, **seams)
    emu.seed_world(World(knowledge_bases=[
        {"id": KB_ID, "name": "hr-policies", "description": "HR policies"},
        {"id": KB2_ID, "name": "it-howtos"},
        {"id": KB3_ID, "name": "legal"},
    ]))
    return emu


@pytest.fixture
def emu(tmp_path: Path, clock: ManualClock) -> Iterator[Emulator]:
    e = make_emulator(tmp_path / "state.db", clock)
    yield e
    e.close()


@pytest.fixture
def client(emu: Emulator) -> Any:
    return emu.client(config=NO_RETRIES)


def new_agent(client: Any, clock: ManualClock, name: str = "support-bot", **extra: Any) -> str:
    """Create an agent and let CREATING settle; returns its id."""
    params = {"agentName": name, "instruction": INSTRUCTION, "foundationModel": MODEL,
              "agentResourceRoleArn": ROLE, **extra}
    agent_id = client.create_agent(**params)["agent"]["agentId"]
    clock.advance(10)
    return agent_id


def prepared_agent(client: Any, clock: ManualClock, name: str = "support-bot", **extra: Any) -> str:
    agent_id = new_agent(client, clock, name, **extra)
    client.prepare_agent(agentId=agent_id)
    clock.advance(10)
    assert status(client, agent_id) == "PREPARED"
    return agent_id


def status(client: Any, agent_id: str) -> str:
    return client.get_agent(agentId=agent_id)["agent"]["agentStatus"]


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a call that must fail."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


FUNCTIONS = {"functions": [{"name": "get_order", "description": "Look up an order",
                            "parameters": {"order_id": {"type": "string", "required": True}}}]}
