"""``agentctl validate`` through the CLI boundary: exit codes, human and JSON output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentctl.cli import run
from agentctl.exitcodes import ExitCode

from .conftest import BASE, GROUP

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = ["support-bot", "multi-agent"]


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("AGENTCTL_ENV", raising=False)


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("env", ["local", "prod"])
def test_examples_validate_clean_even_strict(example, env, capsys):
    code = run(["-C", str(REPO / "examples" / example), "validate", "-e", env, "--strict", "--output", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK, doc["problems"]
    assert doc["valid"] is True and doc["problems"] == [] and doc["environment"] == env


def test_valid_project_human_output(project, capsys):
    root = project({"agents/bot.yaml": BASE + GROUP})
    assert run(["-C", str(root), "validate"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.strip() == "OK: 1 agent spec(s) (environment local) valid."


def test_invalid_project_human_output_and_exit_code(project, capsys):
    root = project({"agents/bot.yaml": BASE + "descripton: Answers questions.\nidleSessionTtl: 1\n"})
    assert run(["-C", str(root), "validate"]) == ExitCode.INVALID_SPEC
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "agents/bot.yaml:5:1: error: unknown key 'descripton' [descripton] (schema.unknown-key)"
    assert out[1] == "  hint: did you mean 'description'?"
    assert out[2].startswith("agents/bot.yaml:6:17: error: 1 is out of range: must be >= 60 [idleSessionTtl]")
    assert out[-1] == "Invalid: 2 error(s), 0 warning(s) (environment local)."


def test_json_output_is_a_versioned_document(project, capsys):
    root = project({"agents/bot.yaml": BASE + "idleSessionTtl: 1\n"})
    assert run(["-C", str(root), "validate", "--output", "json"]) == ExitCode.INVALID_SPEC
    doc = json.loads(capsys.readouterr().out)
    assert doc["format_version"] == 1 and doc["valid"] is False
    assert doc["summary"] == {"errors": 1, "warnings": 0}
    assert doc["problems"] == [{
        "file": "agents/bot.yaml", "line": 5, "col": 17, "severity": "error", "code": "schema.range",
        "path": "idleSessionTtl", "message": "1 is out of range: must be >= 60",
        "hint": "use a value from 60 to 5400"}]


def test_json_report_of_an_invalid_agent_spec_names_the_project(project, capsys):
    root = project({"agents/bot.yaml": BASE + "idleSessionTtl: 1\n"})
    assert run(["-C", str(root), "validate", "--output", "json"]) == ExitCode.INVALID_SPEC
    doc = json.loads(capsys.readouterr().out)
    assert (doc["project"], doc["environment"], doc["root"]) == ("t", "local", str(root.resolve()))
    assert doc["valid"] is False and doc["agents"] == []


def test_json_report_of_an_invalid_project_file_has_no_project(project, capsys):
    from .conftest import PROJECT

    root = project({"agents/bot.yaml": BASE}, project_file=PROJECT.replace("project: t\n", "",
                                                                          1))
    assert run(["-C", str(root), "validate", "--output", "json"]) == ExitCode.INVALID_SPEC
    doc = json.loads(capsys.readouterr().out)
    assert doc["project"] is None and doc["valid"] is False
    assert any(p["file"] == "agentctl.yaml" for p in doc["problems"])


def test_warnings_pass_unless_strict(project, capsys):
    root = project({"agents/bot.yaml": BASE + GROUP.replace(
        "description: Look up one order by its ID and return its status.", "description: Get it.")})
    assert run(["-C", str(root), "validate"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "warning: function 'get_order' has a too short description" in out
    assert out.strip().endswith("valid, 1 warning(s).")
    assert run(["-C", str(root), "validate", "--strict"]) == ExitCode.INVALID_SPEC


def test_paths_in_project_context(project, capsys, monkeypatch):
    root = project({"agents/bot.yaml": BASE + GROUP, "agents/broken.yaml": "name: x\nname: y\n"})
    monkeypatch.chdir(root)
    assert run(["validate", "agents/bot.yaml"]) == ExitCode.OK
    assert run(["validate", "agents/broken.yaml", "-o", "json"]) == ExitCode.INVALID_SPEC
    out = capsys.readouterr().out
    doc = json.loads(out[out.index("{"):])
    assert [p["code"] for p in doc["problems"]] == ["yaml.duplicate-key"]


def test_paths_without_a_project(tmp_path, capsys):
    (tmp_path / "bot.yaml").write_text(BASE)
    assert run(["-C", str(tmp_path), "validate", "bot.yaml"]) == ExitCode.OK
    (tmp_path / "bad.yaml").write_text(BASE + "role: again\n")
    assert run(["-C", str(tmp_path), "validate", "bad.yaml"]) == ExitCode.INVALID_SPEC
    assert "bad.yaml:5:1: error: duplicate key 'role'" in capsys.readouterr().out


def test_no_project_and_no_paths_is_an_error_without_traceback(tmp_path, capsys):
    assert run(["-C", str(tmp_path), "validate"]) == ExitCode.INVALID_SPEC
    err = capsys.readouterr().err
    assert "no agentctl.yaml found" in err and "Traceback" not in err


def test_unknown_environment_and_bad_output_flag(project, capsys):
    root = project({"agents/bot.yaml": BASE})
    assert run(["-C", str(root), "validate", "-e", "staging"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "known environments: local, prod" in err and "(from -e/--env)" in err


def test_unknown_agentctl_env_says_where_it_came_from(project, capsys, monkeypatch):
    # Issue 12 item 9: it used to say "(from -e/--env)" and exit 3.
    root = project({"agents/bot.yaml": BASE})
    monkeypatch.setenv("AGENTCTL_ENV", "staging")
    for argv in (["validate"], ["plan"], ["status"]):
        capsys.readouterr()
        assert run(["-C", str(root), *argv]) == ExitCode.USAGE
        err = capsys.readouterr().err
        assert "unknown environment 'staging' (from AGENTCTL_ENV)" in err, argv
    assert run(["-C", str(root), "validate", "--output", "xml"]) == ExitCode.USAGE


def test_agentctl_env_variable_selects_the_environment(project, capsys, monkeypatch):
    root = project({"agents/bot.yaml": BASE})
    monkeypatch.setenv("AGENTCTL_ENV", "prod")
    assert run(["-C", str(root), "validate", "-o", "json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["environment"] == "prod"


def test_copied_example_still_validates_and_breaks_when_edited(tmp_path, capsys):
    dest = tmp_path / "support-bot"
    shutil.copytree(REPO / "examples" / "support-bot", dest)
    assert run(["-C", str(dest), "validate"]) == ExitCode.OK
    (dest / "openapi" / "orders.yaml").write_text(
        (dest / "openapi" / "orders.yaml").read_text().replace("operationId: listCustomerOrders",
                                                               "operationId: getDeliveryEstimate"))
    assert run(["-C", str(dest), "validate"]) == ExitCode.INVALID_SPEC
    assert "(openapi.operation-id-duplicate)" in capsys.readouterr().out


def test_a_directory_path_means_its_spec_files(project, capsys):
    root = project({"agents/bot.yaml": BASE, "agents/other.yaml": BASE.replace("name: bot", "name: other")})
    assert run(["-C", str(root), "validate", "agents", "-o", "json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["agents"] == ["bot", "other"]
    assert run(["-C", str(root), "validate", "nowhere.yaml"]) == ExitCode.INVALID_SPEC
    assert "nowhere.yaml: error: no such spec file" in capsys.readouterr().out
