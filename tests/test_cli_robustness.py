"""Red-team tests of the CLI as a demanding user meets it: bad directories, unknown names, broken
state files and saved plans, misleading hints. Each test pins one defect found by driving the
real CLI (``agentctl.cli.run``): the message must say where, what and what to do, the exit code
must follow ``agentctl.exitcodes``, and nothing may surface as a traceback or as the generic
"internal error" message.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import botocore.session
import pytest
from botocore.stub import Stubber

from agentctl.aws import client as aws
from agentctl.apply import lifecycle
from agentctl.errors import AwsError, PartialApply
from agentctl.exitcodes import ExitCode
from agentctl.core.model import Target
from agentctl.plan.model import ApplyResult, Step, StepResult

pytestmark = pytest.mark.usefixtures("instant_emulator")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def assert_clean_error(err: str) -> None:
    assert "Traceback" not in err
    assert "internal error" not in err
    assert err.startswith("error: ") or "\nerror: " in err


# ------------------------------------------------------------------------- -C DIR


def test_chdir_to_a_missing_directory_says_it_does_not_exist(tmp_path, cli):
    missing = tmp_path / "no-such-dir"
    code, out, err = cli("-C", str(missing), "plan")
    assert code == ExitCode.USAGE
    assert out == ""
    assert_clean_error(err)
    assert f"{missing}" in err and "does not exist" in err
    # not the misleading "no agentctl.yaml found in ... or any parent directory"
    assert "any parent directory" not in err


# ----------------------------------------------------------------- unknown --agent


def test_status_of_an_unknown_agent_is_a_usage_error(project, cli):
    code, out, err = cli("-C", str(project), "status", "--agent", "nope")
    assert code == ExitCode.USAGE
    assert out == ""
    assert_clean_error(err)
    assert "nope" in err and "support-bot" in err


def test_status_json_of_an_unknown_agent_prints_one_error_document(project, cli):
    # Issue 12 item 10: a JSON caller gets one document on failure too (the message stays on
    # stderr for humans).
    code, out, err = cli("-C", str(project), "status", "--agent", "nope",
                         "--output", "json")
    assert code == ExitCode.USAGE
    doc = json.loads(out)
    assert doc["kind"] == "error" and doc["exit_code"] == ExitCode.USAGE
    assert "nope" in doc["error"]["message"]
    assert "nope" in err


@pytest.mark.parametrize("argv", [
    ["promote", "PROD", "--agent", "nope", "--version", "1"],
    ["rollback", "PROD", "--agent", "nope"],
    ["history", "PROD", "--agent", "nope"],
])
def test_alias_commands_on_an_agent_not_in_the_project_are_usage_errors(project, cli, argv):
    code, out, err = cli("-C", str(project), *argv)
    assert code == ExitCode.USAGE
    assert out == ""
    assert_clean_error(err)
    assert "'nope'" in err and "support-bot" in err
    # "run `agentctl apply` to create it" would be wrong: no spec names it
    assert "apply" not in err


# ------------------------------------------------------------- emulator state file


@pytest.mark.parametrize("command", [["plan"], ["status"], ["apply", "--auto-approve"],
                                     ["promote", "PROD", "--agent", "support-bot",
                                      "--version", "1"]])
def test_corrupt_state_database_is_a_clear_error(project, cli, command):
    state = project / ".agentctl" / "local.db"
    state.parent.mkdir()
    state.write_bytes(bytes(range(256)) * 20)
    code, out, err = cli("-C", str(project), *command)
    assert code == ExitCode.ERROR
    assert out == ""
    assert_clean_error(err)
    assert str(state) in err
    assert "not a usable emulator state" in err
    assert "hint:" in err and "agentctl emulator reset --yes" in err
    assert state.read_bytes() == bytes(range(256)) * 20  # untouched


def test_state_path_that_is_a_directory_is_a_clear_error(project, cli):
    state = project / ".agentctl" / "local.db"
    state.mkdir(parents=True)
    code, out, err = cli("-C", str(project), "plan")
    assert code == ExitCode.ERROR
    assert_clean_error(err)
    assert str(state) in err and "not a usable emulator state" in err


def test_state_directory_that_cannot_be_created_is_a_clear_error(project, cli):
    # `state:` below a regular file: the directory cannot be created.
    (project / "blocker").write_text("x")
    cfg = project / "agentctl.yaml"
    cfg.write_text(cfg.read_text().replace("state: .agentctl/local.db",
                                           "state: blocker/local.db"))
    code, out, err = cli("-C", str(project), "plan")
    assert code == ExitCode.ERROR
    assert_clean_error(err)
    assert "blocker" in err


# ------------------------------------------------------------------- saved plans


def test_binary_plan_file_is_reported_like_any_other_non_plan(project, tmp_path, cli):
    bad = tmp_path / "random.plan"
    bad.write_bytes(b"\xff\xfe\x00garbage\x9c")
    code, out, err = cli("-C", str(project), "apply", str(bad))
    truncated = tmp_path / "truncated.plan"
    truncated.write_text('{"format_version": 1, "pla')
    code2, _, err2 = cli("-C", str(project), "apply", str(truncated))
    assert out == ""
    assert_clean_error(err)
    assert "not a saved plan" in err and str(bad) in err
    assert "agentctl plan" in err  # what to do
    assert code == code2  # one kind of problem, one exit code
    assert "not a saved plan" in err2
    # ... and one hint, naming the flag that writes a plan file (-o is --output).
    assert "`agentctl plan --out FILE`" in err and "`agentctl plan --out FILE`" in err2


def test_plan_file_with_a_non_integer_format_version_is_corrupt_not_stale(project, tmp_path,
                                                                         cli):
    assert cli("-C", str(project), "plan", "--out", str(tmp_path / "p.plan"))[0] == 0
    doc = json.loads((tmp_path / "p.plan").read_text())
    doc["format_version"] = "1"
    (tmp_path / "p.plan").write_text(json.dumps(doc))
    code, out, err = cli("-C", str(project), "apply", str(tmp_path / "p.plan"))
    assert code != ExitCode.STALE_PLAN
    assert code == ExitCode.USAGE  # a damaged plan file is a bad argument (exitcodes.py)
    assert_clean_error(err)
    assert "format_version" in err and "'1'" in err
    assert "this agentctl reads format_version 1" not in err  # the old, confusing wording


# ------------------------------------------------------------------ project globs


def test_glob_matching_only_outside_files_is_one_clear_problem(project, cli):
    cfg = project / "agentctl.yaml"
    cfg.write_text(cfg.read_text().replace('agents: ["agents/*.yaml"]',
                                           'agents: ["../support-bot/agents/*.yaml", "/etc/*"]'))
    code, out, err = cli("-C", str(project), "validate")
    assert code == ExitCode.INVALID_SPEC
    text = out + err
    # /etc/* matches files, all outside: "outside", not also "matches no file"
    assert "'/etc/*' matches files outside the project directory" in text
    assert "'/etc/*' matches no file" not in text


# ------------------------------------------------- a knowledge base missing at apply


def _stubbed_clients():
    client = botocore.session.get_session().create_client(
        "bedrock-agent", region_name="us-east-1", aws_access_key_id="x",
        aws_secret_access_key="x")
    target = Target(kind="local", region="us-east-1", account="123456789012",
                    endpoint="http://127.0.0.1:1")
    return client, aws.Clients(agent=client, target=target, timing=aws.LOCAL_TIMING)


def test_associating_a_missing_knowledge_base_names_it_and_says_what_to_do():
    client, clients = _stubbed_clients()
    params = {"agentId": "AGENT12345", "agentVersion": "DRAFT", "knowledgeBaseId": "KBMISSING1",
              "description": "HR policies for employees"}
    with Stubber(client) as stub:
        stub.add_client_error(
            "associate_agent_knowledge_base", service_error_code="ResourceNotFoundException",
            service_message="Failed to retrieve resource because it doesn't exist.",
            http_status_code=404, expected_params=params)
        with pytest.raises(AwsError) as ei:
            aws.call(clients, "AssociateAgentKnowledgeBase", params,
                     where="agent.bot.knowledge_base.KBMISSING1")
    hint = ei.value.hint or ""
    assert "KBMISSING1" in hint
    assert "world.knowledgeBases" in hint  # the local target's remedy
    assert "knowledgeBases" in hint and "spec" in hint
    assert "changed outside agentctl" not in hint  # the generic, misleading hint


def test_partial_apply_message_does_not_repeat_the_step_address():
    step = Step(operation="AssociateAgentKnowledgeBase", params={},
                address="agent.bot.knowledge_base.KB1", description="associate")
    err = AwsError("AssociateAgentKnowledgeBase", "ResourceNotFoundException", "gone",
                   where="agent.bot.knowledge_base.KB1", hint="create it")
    failed = StepResult(step=step, ok=False, error=err.message())
    result = ApplyResult(completed=(), failed=failed, not_run=(), outputs={}, failures=(failed,))
    with pytest.raises(PartialApply) as ei:
        lifecycle.raise_for_result(result)
    message = ei.value.message()
    assert message.count("agent.bot.knowledge_base.KB1") == 1
    assert "create it" in message


# ------------------------------------------------------------------- plan --out


@pytest.mark.parametrize("target", [".", "plans-dir"])
def test_plan_out_to_a_directory_is_a_usage_error_and_leaves_no_temp_file(project, tmp_path,
                                                                           cli, monkeypatch,
                                                                           target):
    # A relative --out is relative to -C DIR, as if agentctl was started there (like git -C).
    (project / "plans-dir").mkdir()
    monkeypatch.chdir(tmp_path)
    before = sorted(p.relative_to(project).as_posix() for p in project.rglob("*")
                    if ".agentctl" not in p.parts)
    code, out, err = cli("-C", str(project), "plan", "--out", target)
    assert code == ExitCode.USAGE
    assert out == ""
    assert_clean_error(err)
    assert "directory" in err and "--out" in err
    after = sorted(p.relative_to(project).as_posix() for p in project.rglob("*")
                   if ".agentctl" not in p.parts)
    assert after == before  # no stray .tmp file


# ----------------------------------------------------------------- the project lock


@pytest.mark.parametrize("command", [["apply", "--auto-approve"],
                                     ["destroy", "--auto-approve"]])
def test_unusable_project_lock_directory_is_a_clear_error(project, tmp_path, cli, command):
    # The state lives elsewhere, but `.agentctl` (where the lock goes) cannot be a directory.
    cfg = project / "agentctl.yaml"
    cfg.write_text(cfg.read_text().replace("state: .agentctl/local.db",
                                           f"state: {tmp_path / 'state' / 'local.db'}"))
    (project / ".agentctl").write_text("not a directory")
    code, out, err = cli("-C", str(project), *command)
    assert code == ExitCode.ERROR
    assert_clean_error(err)
    assert str(project / ".agentctl") in err and "lock" in err
    assert "hint:" in err


@pytest.mark.parametrize("value", ["nan", "-1", "inf", "abc"])
def test_bad_lock_timeout_is_a_usage_error(project, cli, monkeypatch, value):
    # -1 would make filelock wait forever, nan made it raise a bare ValueError.
    monkeypatch.setenv("AGENTCTL_LOCK_TIMEOUT", value)
    code, out, err = cli("-C", str(project), "apply", "--auto-approve")
    assert code == ExitCode.USAGE
    assert_clean_error(err)
    assert "AGENTCTL_LOCK_TIMEOUT" in err and value in err


def test_saved_plan_for_another_environment_is_stale_before_touching_the_target(project, tmp_path,
                                                                               cli):
    # -e prod (target aws, profile "prod" absent here) must not fail on the profile: the plan
    # was made for "local", which is the problem to report.
    plan = tmp_path / "local.plan"
    assert cli("-C", str(project), "plan", "--out", str(plan))[0] == 0
    code, out, err = cli("-C", str(project), "apply", str(plan), "-e", "prod")
    assert code == ExitCode.STALE_PLAN
    assert out == ""
    assert_clean_error(err)
    assert "'local'" in err and "'prod'" in err
    assert "profile" not in err


# ------------------------------------------------------------------------ endpoints


def test_invalid_endpoint_in_the_environment_variable_is_a_usage_error(project, cli,
                                                                      monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT", "garbage")
    code, out, err = cli("-C", str(project), "plan")
    assert code == ExitCode.USAGE
    assert out == ""
    assert_clean_error(err)
    assert "AWS_ENDPOINT_URL_BEDROCK_AGENT" in err and "'garbage'" in err


def test_invalid_endpoint_in_agentctl_yaml_names_the_environment(project, cli):
    cfg = project / "agentctl.yaml"
    # passes the schema's https?://.* pattern, but is no URL botocore accepts
    cfg.write_text(cfg.read_text().replace("state: .agentctl/local.db",
                                           "endpoint: http://exa mple:99"))
    code, out, err = cli("-C", str(project), "plan")
    assert code == ExitCode.INVALID_SPEC
    assert_clean_error(err)
    assert "environment local" in err and "endpoint" in err


# --------------------------------------------------------- the applied-plans record


@pytest.mark.parametrize("damage", ["binary", "directory"])
def test_unreadable_applied_plans_record_is_a_clear_error_before_any_change(project, tmp_path,
                                                                           cli, damage):
    plan = tmp_path / "a.plan"
    assert cli("-C", str(project), "plan", "--out", str(plan))[0] == 0
    record = project / ".agentctl" / "applied-plans"
    record.parent.mkdir(exist_ok=True)
    if damage == "binary":
        record.write_bytes(b"\xfd\xff\x00\x81garbage")
    else:
        record.mkdir()
    code, out, err = cli("-C", str(project), "apply", str(plan))
    assert code == ExitCode.ERROR
    assert_clean_error(err)
    assert str(record) in err and "hint:" in err
    assert "nothing was changed" in err
    # and indeed nothing was: the plan still has all its changes
    assert cli("-C", str(project), "plan", "--detailed-exitcode")[0] == ExitCode.CHANGES


def test_apply_that_cannot_record_the_plan_still_reports_its_result(project, tmp_path, cli):
    plan = tmp_path / "a.plan"
    assert cli("-C", str(project), "plan", "--out", str(plan))[0] == 0
    record = project / ".agentctl" / "applied-plans"
    record.parent.mkdir(exist_ok=True)
    record.symlink_to(tmp_path / "no-such-dir" / "applied-plans")  # dangling: writes fail
    code, out, err = cli("-C", str(project), "apply", str(plan))
    assert code == ExitCode.OK  # every change was made: that is the result
    assert "Apply complete!" in out
    assert_clean_error("error: " + err)  # no traceback / internal error
    assert "warning:" in err and "applied-plans" in err
    assert cli("-C", str(project), "plan", "--detailed-exitcode")[0] == ExitCode.OK


# ----------------------------------------------------------------------- validate


def test_validate_of_the_project_file_validates_the_project(project, cli):
    # `agentctl validate agentctl.yaml` used to check agentctl.yaml *as an agent spec*: a flood
    # of "missing required key 'name'" errors on a valid project.
    code, out, err = cli("-C", str(project), "validate", "agentctl.yaml")
    assert code == ExitCode.OK, out + err
    assert "OK: 1 agent spec(s)" in out


# ------------------------------------------------------------------------ destroy


def test_destroying_a_collaborator_says_which_supervisor_still_uses_it(tmp_path, cli):
    root = tmp_path / "multi-agent"
    shutil.copytree(EXAMPLES / "multi-agent", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    assert cli("-C", str(root), "apply", "--auto-approve")[0] == 0
    code, out, err = cli("-C", str(root), "destroy", "--agent", "billing-agent",
                         "--auto-approve")
    assert code == ExitCode.OK, err
    preview = out.split("Destroy complete")[0]
    # the supervisor keeps a collaborator pointing at the deleted alias until the next apply
    assert "helpdesk-supervisor" in preview and "collaborator" in preview


def test_validate_of_a_spec_file_from_outside_its_project_uses_that_project(project, tmp_path,
                                                                            cli, monkeypatch):
    # From a directory with no agentctl.yaml, `agentctl validate path/to/proj/agents/x.yaml`
    # used to check the file standalone, rooted at the cwd: its includes "resolve outside the
    # project directory" and ${var.*} are "undefined" although the project is right there.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    spec = project / "agents" / "support-bot.yaml"
    code, out, err = cli("validate", str(spec))
    assert code == ExitCode.OK, out + err
    assert "environment local" in out


# ------------------------------------------------------------------- promote


def test_promote_whose_alias_never_settles_says_the_update_was_made(project, cli,
                                                                    monkeypatch):
    from tests.e2e.conftest import ungate

    ungate(project)  # promote itself, not the eval gate (tests/e2e/test_eval_gate_e2e.py)
    assert cli("-C", str(project), "apply", "--auto-approve")[0] == 0
    spec = project / "agents" / "support-bot.yaml"
    spec.write_text(spec.read_text().replace("temperature: 0.0", "temperature: 0.2"))
    assert cli("-C", str(project), "apply", "--auto-approve")[0] == 0  # version 2

    real_wait = aws.wait_for

    def stuck(clients, spec, **kw):
        if spec.startswith("alias:"):
            raise AwsError("wait for alias X", "Timeout", "still UPDATING after 120s",
                           where=kw.get("where"), hint="the service is slow or stuck")
        return real_wait(clients, spec, **kw)

    monkeypatch.setattr(aws, "wait_for", stuck)
    code, out, err = cli("-C", str(project), "promote", "PROD", "--agent",
                         "support-bot", "--version", "2")
    assert code == ExitCode.APPLY_FAILED  # stopped part-way, not a plain error
    assert_clean_error(err)
    assert "UpdateAgentAlias" in err and "version 2" in err  # what was done
    assert "still UPDATING" in err                           # what went wrong
    assert "agentctl status" in err                          # what to do


def test_state_path_that_is_not_a_regular_file_is_not_advised_for_deletion(project, cli):
    cfg = project / "agentctl.yaml"
    cfg.write_text(cfg.read_text().replace("state: .agentctl/local.db", "state: /dev/null"))
    code, out, err = cli("-C", str(project), "plan")
    assert code == ExitCode.ERROR
    assert_clean_error(err)
    assert "/dev/null" in err and "not a regular file" in err
    assert "delete" not in err


@pytest.mark.parametrize("command", ["plan", "status", "validate"])
def test_dash_o_means_output_format_on_every_command(command, project, cli):
    # `-o` is `--output` everywhere (as in kubectl); `plan --out FILE` has no short form, so
    # `plan -o json` can never silently write a plan file named "json".
    code, out, err = cli("-C", str(project), command, "-o", "json")
    assert code == 0, err
    json.loads(out)
    assert not (project / "json").exists()
