"""The scripted model file (located errors, matching, placeholders), the runtime settings of an
environment, and the routing of both services on one port."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentctl.emulator.transports import wire
from agentctl.emulator.runtime.models.base import ModelRequest, StepRecord
from agentctl.emulator.runtime.models.scripted import ScriptedModel, ScriptInvalid, load
from agentctl.emulator.runtime.settings import RuntimeSettings
from agentctl.emulator.runtime.tools import ToolUse
from agentctl.errors import UsageError

REPO = Path(__file__).resolve().parents[3]


def _load(tmp_path: Path, text: str):
    p = tmp_path / "m.yaml"
    p.write_text(text)
    return load(p, display="models/m.yaml")


@pytest.mark.parametrize("text, where, message", [
    ("turns: []\n", "models/m.yaml:1:8", "`turns` must be a non-empty list"),
    ("turns:\n  - when: {input: hi}\n    anser: x\n", "models/m.yaml:3:5", "unknown key 'anser'"),
    ("turns:\n  - when: {input: {regex: '(unclosed'}}\n    answer: x\n", "models/m.yaml:2:27",
     "invalid regular expression"),
    ("turns:\n  - when: {input: hi}\n    answer: x\n    call: {actionGroup: G, function: f}\n", "models/m.yaml:2:5",
     "exactly one of call, search or answer"),
    ("turns:\n  - call: {actionGroup: G}\n", "models/m.yaml:2:11", "exactly one of `function` or `apiPath`"),
    ("turns:\n  - when: {input: {regex: 'order (?P<id>\\d+)'}}\n    answer: 'order {idd}'\n", "models/m.yaml:3:13",
     "unknown placeholder {idd}"),
    ("turns:\n  - answer: '{date:someday}'\n", "models/m.yaml:2:13", "unknown date expression"),
    ("turns:\n  - answer: ok\n    when: {after: 5}\n", "models/m.yaml:3:19", "expected a step name"),
    ("turns:\n  - answer: ok\n  - answer: [1]\n", "models/m.yaml:3:13", "expected a text"),
    ("turns:\n  - answer: ok\n bad: indent\n", "models/m.yaml:3:2", ""),
])
def test_errors_are_located(tmp_path, text, where, message):
    with pytest.raises(ScriptInvalid) as err:
        _load(tmp_path, text)
    rendered = "\n".join(p.render() for p in err.value.problems)
    assert where in rendered and message in rendered, rendered


def test_all_problems_at_once(tmp_path):
    with pytest.raises(ScriptInvalid) as err:
        _load(tmp_path, "turns:\n  - anser: x\n  - answer: '{nope}'\nextra: 1\n")
    assert len(err.value.problems) == 4   # anser, no action, {nope}, extra


def _req(text: str, steps=(), **kw) -> ModelRequest:
    return ModelRequest(prompt_type="ORCHESTRATION", prompt="p", system="p", input_text=text,
                        foundation_model="m", steps=tuple(steps), **kw)


def _step(name: str, output: str, status: str = "ok") -> StepRecord:
    return StepRecord(ToolUse(action_group="G", function=name), None, status, output)


def test_matching_on_input_steps_results_and_placeholders(tmp_path):
    model = ScriptedModel(_load(tmp_path, """
turns:
  - when: {input: {regex: "order (?P<id>[A-Z]-\\\\d+)"}}
    rationale: look up {id}
    call: {actionGroup: G, function: get, parameters: {id: "{id}", who: "{session.user}"}}
  - when: {input: {regex: "order (?P<id>[A-Z]-\\\\d+)"}, after: get, result: {contains: SHIPPED}}
    answer: "{id} shipped on {result.date}"
  - when: {after: get}
    answer: "other: {results.get.status}"
  - when: {after: "denied:cancel"}
    answer: denied
  - answer: "{date:next monday} / {prompt.current_date} / {{literal}}"
"""))
    reply = model.orchestrate(_req("where is order A-1?", session_attributes={"user": "u-1"}))
    assert reply.rationale == "look up A-1"
    (use,) = reply.tool_uses
    assert (use.action_group, use.function, dict(use.parameters)) == ("G", "get", {"id": "A-1", "who": "u-1"})
    shipped = model.orchestrate(_req("where is order A-1?", [_step("get", '{"status": "SHIPPED", "date": "d1"}')]))
    assert shipped.answer == "A-1 shipped on d1"
    other = model.orchestrate(_req("where is order A-1?", [_step("get", '{"status": "LOST"}')]))
    assert other.answer == "other: LOST"
    assert model.orchestrate(_req("x", [_step("cancel", "no", "denied")])).answer == "denied"
    fallback = model.orchestrate(_req("hi", prompt_session_attributes={"current_date": "2026-04-22"}))
    assert fallback.answer == "2026-04-27 / 2026-04-22 / {literal}"


def test_the_example_model_file_loads():
    script = load(REPO / "examples" / "support-bot" / "models" / "support-bot.yaml")
    assert len(script.turns) >= 10


def test_runtime_settings_are_checked(tmp_path):
    with pytest.raises(UsageError, match="provider must be one of"):
        RuntimeSettings.from_mapping({"model": {"provider": "gpt"}}, tmp_path)
    with pytest.raises(UsageError, match="needs `file:`"):
        RuntimeSettings.from_mapping({"model": {"provider": "scripted"}}, tmp_path)
    with pytest.raises(UsageError, match="unknown setting"):
        RuntimeSettings.from_mapping({"model": {"provider": "bedrock", "file": "x"}}, tmp_path)
    ok = RuntimeSettings.from_mapping({"model": {"provider": "openai-compatible", "baseUrl": "http://127.0.0.1:1/v1",
                                                 "model": "m"}}, tmp_path)
    assert ok.provider == "openai-compatible"


def test_validate_reports_missing_runtime_files(tmp_path, capsys):
    import shutil

    from agentctl.cli import run

    root = tmp_path / "sb"
    shutil.copytree(REPO / "examples" / "support-bot", root, ignore=shutil.ignore_patterns(".agentctl"))
    text = (root / "agentctl.yaml").read_text()
    text = text.replace("file: models/support-bot.yaml", "file: models/missing.yaml")
    text = text.replace('documents: ["kb/hr/*.md"]', 'documents: ["kb/nothing/*.md"]')
    (root / "agentctl.yaml").write_text(text)
    code = run(["-C", str(root), "validate"])
    out = capsys.readouterr()
    assert code == 3
    report = out.out + out.err
    assert re.search(r"agentctl\.yaml:\d+:\d+: error: no such file: models/missing\.yaml", report), report
    assert re.search(r"agentctl\.yaml:\d+:\d+: error: 'kb/nothing/\*\.md' matches no file", report), report


def test_runtime_routes_do_not_overlap_the_control_plane():
    for op, path, method in (("InvokeAgent", "/agents/A1/agentAliases/B1/sessions/s-1/text", "POST"),
                             ("GetAgentMemory", "/agents/A1/agentAliases/B1/memories", "GET"),
                             ("DeleteAgentMemory", "/agents/A1/agentAliases/B1/memories", "DELETE")):
        assert wire.match(method, path, {}, "bedrock-agent") is None
        assert wire.match(method, path, {}, "bedrock-agent-runtime")[0] == op


def test_a_bad_runtime_block_fails_invoke_not_plan(tmp_path):
    from agentctl.emulator.runtime.models import ModelCache, ModelUnavailable

    settings = RuntimeSettings.lenient({"model": {"provider": "scripted"}}, tmp_path, "environments.local.runtime")
    assert settings.problem and "needs `file:`" in settings.problem
    with pytest.raises(ModelUnavailable, match="needs `file:`"):
        ModelCache().get(settings)


def test_validate_reports_provider_settings(tmp_path, capsys):
    import shutil

    from agentctl.cli import run

    root = tmp_path / "sb"
    shutil.copytree(REPO / "examples" / "support-bot", root, ignore=shutil.ignore_patterns(".agentctl"))
    text = (root / "agentctl.yaml").read_text()
    (root / "agentctl.yaml").write_text(text.replace("        file: models/support-bot.yaml\n", ""))
    assert run(["-C", str(root), "validate"]) == 3
    out = capsys.readouterr()
    assert re.search(r"agentctl\.yaml:\d+:\d+: error: provider scripted needs `file`", out.out + out.err)
