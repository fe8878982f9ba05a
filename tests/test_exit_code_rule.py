"""The exit-code rule written in agentctl/exitcodes.py, applied to the cases issue 12 item 9 found
inconsistent: the same kind of mistake gets the same code whichever command or path meets it.
Each row failed before the rule was applied (corrupt/empty plan 1 vs missing 5, -C to a file 3 vs
a missing dir 5, promote of an agent deleted from the target 1, unknown -e 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentctl.exitcodes import ExitCode

pytestmark = pytest.mark.usefixtures("instant_emulator")


@pytest.mark.parametrize("content", [None, b"", b"   \n", b"{not json", b"\xff\xfe\x00",
                                     b'{"format_version": 1}', b"[]"])
def test_every_unusable_plan_file_is_a_usage_error(project, tmp_path, cli, content):
    path = tmp_path / "x.plan"
    if content is not None:
        path.write_bytes(content)
    code, out, err = cli("-C", str(project), "apply", str(path))
    assert code == ExitCode.USAGE, err
    assert "Traceback" not in err and "hint:" in err and str(path) in err


def test_chdir_to_a_file_or_a_missing_directory_is_the_same_usage_error(project, tmp_path,
                                                                        cli):
    missing = cli("-C", str(tmp_path / "nope"), "plan")
    a_file = cli("-C", str(project / "agentctl.yaml"), "plan")
    assert missing[0] == a_file[0] == ExitCode.USAGE
    assert "not a directory" in a_file[2]


def test_promote_of_an_agent_deleted_from_the_target_is_usage_like_other_promote_mistakes(
        project, cli):
    assert cli("-C", str(project), "apply", "--auto-approve")[0] == ExitCode.OK
    assert cli("-C", str(project), "destroy", "--auto-approve")[0] == ExitCode.OK
    code, _, err = cli("-C", str(project), "promote", "PROD", "--agent", "support-bot",
                       "--version", "1")
    assert code == ExitCode.USAGE, err
    assert "does not exist on the target" in err and "agentctl apply" in err


def test_promote_mistakes_share_one_code(project, cli):
    assert cli("-C", str(project), "apply", "--auto-approve")[0] == ExitCode.OK
    for argv in (["promote", "NOPE", "--agent", "support-bot", "--version", "1"],
                 ["promote", "PROD", "--agent", "support-bot", "--version", "99"],
                 ["promote", "PROD", "--agent", "nope", "--version", "1"],
                 ["promote", "PROD", "--agent", "support-bot"]):
        assert cli("-C", str(project), *argv)[0] == ExitCode.USAGE, argv


def test_unknown_environment_from_flag_or_variable_is_usage(project, cli, monkeypatch):
    code, _, err = cli("-C", str(project), "plan", "-e", "nope")
    assert code == ExitCode.USAGE and "(from -e/--env)" in err
    monkeypatch.setenv("AGENTCTL_ENV", "nope")
    code, _, err = cli("-C", str(project), "plan")
    assert code == ExitCode.USAGE and "(from AGENTCTL_ENV)" in err


def test_undefined_default_environment_is_an_invalid_project(project, cli):
    cfg = project / "agentctl.yaml"
    text = cfg.read_text()
    assert "defaultEnvironment:" in text
    cfg.write_text("\n".join("defaultEnvironment: nope" if line.startswith("defaultEnvironment:")
                             else line for line in text.splitlines()) + "\n")
    code, _, _ = cli("-C", str(project), "plan")
    assert code == ExitCode.INVALID_SPEC


@pytest.mark.parametrize("argv", [["plan"], ["status"], ["apply", "--auto-approve"],
                                  ["destroy", "--auto-approve"]])
def test_json_callers_get_one_document_on_failure(project, cli, argv):
    (project / "agents" / "support-bot.yaml").write_text("name: [unclosed\n")
    code, out, err = cli("-C", str(project), *argv, "-o", "json")
    assert code == ExitCode.INVALID_SPEC
    doc = json.loads(out)
    assert doc["ok"] is False and doc["error"]["kind"] == "invalid_spec"
    assert doc["error"]["problems"]


def test_relative_plan_paths_are_relative_to_chdir_like_git(project, tmp_path, cli,
                                                            monkeypatch):
    # `agentctl -C proj plan --out change.plan` wrote into the caller's directory (a test doing
    # it left change.plan in the repository) while the help says "as if started in DIR".
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli("-C", str(project), "plan", "--out", "change.plan")[0] == ExitCode.OK
    assert (project / "change.plan").is_file() and not (elsewhere / "change.plan").exists()
    code, _, err = cli("-C", str(project), "apply", "change.plan")
    assert code == ExitCode.OK, err
