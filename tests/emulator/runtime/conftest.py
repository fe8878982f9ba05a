"""Fixtures for the local runtime (InvokeAgent on the emulator).

``support_bot`` is the support-bot example copied to a temporary directory and applied once per
test module against the embedded emulator (time scale 0: statuses settle at once); tests get a
plain boto3 ``bedrock-agent-runtime`` client answered in-process by the same emulator, the ids
of the agent and its aliases, and helpers that collect a call's events.

``agent_with`` builds a small agent directly through the emulator's bedrock-agent client, for
tests that need a specific configuration (a raising Lambda, a DISABLED knowledge base, ...).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from botocore.config import Config

from agentctl.emulator import Emulator, EmulatorConfig, World
from agentctl.emulator.runtime.settings import RuntimeSettings

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "support-bot"
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})
ROLE = "arn:aws:iam::123456789012:role/AgentRole"
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
INSTRUCTION = "You are a helpful test agent. Answer briefly and never make anything up."
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:tools"


@dataclass
class Deployed:
    root: Path
    emulator: Emulator
    runtime: Any
    agent: Any
    agent_id: str
    aliases: dict[str, str]

    def invoke(self, text: str | None = None, *, alias: str = "STAGING", session: str | None = None,
               trace: bool = True, **kw: Any) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"agentId": self.agent_id, "agentAliasId": self.aliases.get(alias, alias),
                                  "sessionId": session or f"s-{uuid.uuid4().hex[:12]}", "enableTrace": trace, **kw}
        if text is not None:
            params["inputText"] = text
        return list(self.runtime.invoke_agent(**params)["completion"])


def answer(events: list[dict[str, Any]]) -> str:
    return "".join(e["chunk"]["bytes"].decode("utf-8") for e in events if "chunk" in e)


def traces(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["trace"]["trace"] for e in events if "trace" in e]


def steps(events: list[dict[str, Any]]) -> list[str]:
    """``orchestrationTrace.rationale``-style names of the trace steps, in order."""
    out = []
    for t in traces(events):
        (kind, body), = t.items()
        out.append(kind if not isinstance(body, dict) or kind in ("failureTrace", "guardrailTrace")
                   else f"{kind}.{next(iter(body))}")
    return out


def return_control(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((e["returnControl"] for e in events if "returnControl" in e), None)


def apply_example(dest: Path) -> Path:
    root = dest / "support-bot"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    from agentctl.cli import run

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
        for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                    "AGENTCTL_EMULATOR_CONFIG"):
            mp.delenv(var, raising=False)
        code = run(["-C", str(root), "apply", "--auto-approve"])
    assert code == 0, "applying the support-bot example failed"
    return root


def open_example(root: Path) -> Deployed:
    """The applied example's state through a fresh embedded local target (make_clients)."""
    from agentctl.aws.client import make_clients
    from agentctl.aws.runtime import make_runtime_client
    from agentctl.spec.project import load_project

    project = load_project(root)
    clients = make_clients(project.environment, root=project.root,
                           emulator_config=EmulatorConfig(time_scale=0))
    agent = clients.agent
    summary = next(a for a in agent.list_agents()["agentSummaries"] if a["agentName"] == "support-bot")
    aliases = {a["agentAliasName"]: a["agentAliasId"]
               for a in agent.list_agent_aliases(agentId=summary["agentId"])["agentAliasSummaries"]}
    runtime = make_runtime_client(project.environment, clients)
    return Deployed(root, clients.emulator, runtime, agent, summary["agentId"], aliases)


@pytest.fixture(scope="module")
def support_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    root = apply_example(tmp_path_factory.mktemp("rt"))
    deployed = open_example(root)
    yield deployed
    deployed.emulator.close()


# --- hand-built agents ---------------------------------------------------------------------------

@dataclass
class Built:
    emulator: Emulator
    client: Any
    runtime: Any
    agent_id: str

    def invoke(self, text: str | None = "hello", *, alias: str = "TSTALIASID", session: str = "s-1",
               trace: bool = True, **kw: Any) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"agentId": self.agent_id, "agentAliasId": alias, "sessionId": session,
                                  "enableTrace": trace, **kw}
        if text is not None:
            params["inputText"] = text
        return list(self.runtime.invoke_agent(**params)["completion"])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project directory for hand-built agents: write handlers/ and model.yaml into it."""
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "__init__.py").write_text("")
    return tmp_path


def build_agent(project: Path, model_yaml: str, *, groups: list[dict[str, Any]] = (),
                kbs: list[dict[str, Any]] = (), handlers: dict[str, str] | None = None,
                world_kbs: list[dict[str, Any]] = (), prepare: bool = True,
                config: EmulatorConfig | None = None, runtime: RuntimeSettings | None = None,
                clock: Callable[[], float] | None = None, **agent_fields: Any) -> Built:
    (project / "model.yaml").write_text(model_yaml)
    for name, code in (handlers or {}).items():
        (project / "handlers" / f"{name}.py").write_text(code)
    emu = Emulator(state_path=project / "state.db", config=config or EmulatorConfig(time_scale=0), clock=clock,
                   runtime=runtime or RuntimeSettings.from_mapping(
                       {"model": {"provider": "scripted", "file": "model.yaml"}}, project))
    emu.seed_world(World(knowledge_bases=list(world_kbs),
                         lambdas=[{"arn": LAMBDA_ARN, "handler": f"handlers.{n}:handler"} for n in (handlers or {})][:1]))
    client = emu.client(config=NO_RETRIES)
    params = {"agentName": "test-agent", "instruction": INSTRUCTION, "foundationModel": MODEL,
              "agentResourceRoleArn": ROLE, **agent_fields}
    agent_id = client.create_agent(**params)["agent"]["agentId"]
    client.get_agent(agentId=agent_id)
    for g in groups:
        client.create_agent_action_group(agentId=agent_id, agentVersion="DRAFT", **g)
    for kb in kbs:
        client.associate_agent_knowledge_base(agentId=agent_id, agentVersion="DRAFT", **kb)
    if prepare:
        client.prepare_agent(agentId=agent_id)
        client.get_agent(agentId=agent_id)
    return Built(emu, client, emu.runtime_client(config=NO_RETRIES), agent_id)


def function_group(name: str = "Tools", functions: list[dict[str, Any]] | None = None, *,
                   roc: bool = False) -> dict[str, Any]:
    executor = {"customControl": "RETURN_CONTROL"} if roc else {"lambda": LAMBDA_ARN}
    return {"actionGroupName": name, "actionGroupExecutor": executor, "functionSchema": {"functions": functions or [
        {"name": "lookup", "description": "Look a thing up.",
         "parameters": {"key": {"type": "string", "required": True}}}]}}


ECHO_HANDLER = '''
import json
def handler(event, context):
    return {"messageVersion": "1.0", "response": {"actionGroup": event["actionGroup"], "function": event["function"],
            "functionResponse": {"responseBody": {"TEXT": {"body": json.dumps(event)}}}}}
'''
