"""examples/gitops (issue 10 item 4): both pipelines parse, every ``agentctl`` command line in
their scripts parses with this agentctl's own command tree (read from the typer/click app, not
from a list kept here: a renamed flag or subcommand fails this test), and their structure is
what examples/gitops/README.md claims: OIDC roles and no long-lived AWS keys, one run at a time
per environment, prod behind a protected environment after staging.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GITOPS = ROOT / "examples" / "gitops"
GITHUB = GITOPS / "github" / "agentctl.yml"
GITLAB = GITOPS / ".gitlab-ci.yml"
README = GITOPS / "README.md"

_SHELL_OPS = {"|", "||", "&&", ";", ">", ">>", "<", "2>", "2>&1", "&", ")", "$("}


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _github_scripts(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            if "run" in step:
                yield name, step["run"]


def _gitlab_scripts(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, job in doc.items():
        if not isinstance(job, dict):
            continue
        for key in ("before_script", "script", "after_script"):
            for line in job.get(key, None) or []:
                yield name, line
    for line in (doc.get("default") or {}).get("before_script", []):
        yield "default", line


def agentctl_commands(script: str) -> list[list[str]]:
    """Every ``agentctl ...`` invocation in a shell script, as argv after ``agentctl``, cut at
    the first shell operator (pipes, redirections, ``;``, ``&&``)."""
    # GitHub replaces ${{ ... }} expressions before the shell runs: one word each.
    text = re.sub(r"\$\{\{.*?\}\}", "GITHUB_EXPRESSION", script.replace("\\\n", " "))
    out = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>()")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        for i, tok in enumerate(tokens):
            if tok != "agentctl" or (i and tokens[i - 1] not in _SHELL_OPS | {"set", "+e;"}
                                     and not tokens[i - 1].endswith(";")
                                     and tokens[i - 1] not in ("then", "do", "time")):
                continue
            argv = []
            for t in tokens[i + 1:]:
                if t in _SHELL_OPS or set(t) <= set(";&|<>()"):
                    break
                argv.append(t)
            out.append(argv)
    return out


def test_command_extraction_itself():
    assert agentctl_commands("set +e; agentctl plan -e x --out p > plan.md; rc=$?") == [
        ["plan", "-e", "x", "--out", "p"]]
    assert agentctl_commands("pip install agentctl\nagentctl validate \\\n  --strict | tee o") == [
        ["validate", "--strict"]]
    assert agentctl_commands("echo agentctl is great") == []


def _root_command():
    import typer.main

    from agentctl.cli import app

    return typer.main.get_command(app)


def check_invocation(argv: list[str]) -> None:
    """Parse ``agentctl ARGV`` with the real command tree: unknown subcommands and flags,
    missing required options and bad ``--output`` values raise. Nothing is run."""
    root = _root_command()
    ctx = root.make_context("agentctl", [], resilient_parsing=True)
    args = list(argv)
    # Global options before the subcommand, from the root command's own parameters.
    globals_ = {o: p for p in root.params for o in (*p.opts, *p.secondary_opts)}
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        assert opt in globals_, f"agentctl has no global option {opt}"
        if not getattr(globals_[opt], "is_flag", False):
            args.pop(0)
    assert args, f"no subcommand in agentctl {' '.join(argv)}"
    cmd, name = root, "agentctl"
    while hasattr(cmd, "get_command") and args:
        sub = cmd.get_command(ctx, args[0])
        assert sub is not None, f"{name} has no subcommand {args[0]!r}"
        name = f"{name} {args.pop(0)}"
        cmd = sub
    cmd.make_context(name, args)   # raises for unknown flags / missing arguments / bad values


@pytest.mark.parametrize("path,scripts", [(GITHUB, _github_scripts), (GITLAB, _gitlab_scripts)],
                         ids=["github", "gitlab"])
def test_every_agentctl_command_and_flag_exists(path, scripts):
    commands = [(job, argv) for job, script in scripts(_load(path))
                for argv in agentctl_commands(script)]
    used = {argv[0] for _, argv in commands}
    # The pipeline the README describes, in full.
    assert {"validate", "plan", "apply", "eval", "promote"} <= used, used
    for job, argv in commands:
        try:
            check_invocation(argv)
        except Exception as e:   # click's UsageError, or an assertion above
            message = getattr(e, "format_message", lambda: str(e))()
            pytest.fail(f"{path.name} job {job}: `agentctl {' '.join(argv)}`: {message}")


def test_a_wrong_flag_is_caught():
    # The check itself must fail on what it exists to catch.
    for bad in (["plan", "--no-such-flag"], ["promote", "PROD", "--from", "STAGING"],
                ["plan", "--output", "xml"], ["nope"], ["--nope", "plan"]):
        with pytest.raises(Exception):
            check_invocation(bad)


def _readme_rows() -> dict[str, dict[str, str]]:
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0]] = dict(zip(("runs on", "environment", "serialized", "role"),
                                      cells[1:]))
    return rows


def _no_static_keys(text: str) -> None:
    for key in ("aws-access-key-id", "aws-secret-access-key", "AWS_SECRET_ACCESS_KEY",
                "AWS_ACCESS_KEY_ID", "AKIA"):
        assert key not in text, f"long-lived AWS key material ({key}) in a pipeline"


def test_github_workflow_structure_is_what_the_readme_says():
    doc = _load(GITHUB)
    on = doc.get("on", doc.get(True))   # YAML 1.1 reads a bare `on` key as true
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    jobs = doc["jobs"]
    rows = _readme_rows()
    _no_static_keys(GITHUB.read_text())
    for name, job in jobs.items():
        creds = [s for s in job.get("steps", [])
                 if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")]
        if name == "validate":
            assert not creds and rows["`validate`"]["role"] == "-"
            continue
        # Every AWS job: OIDC (id-token: write) and a role to assume, nothing else.
        assert creds and all("role-to-assume" in s["with"] for s in creds), name
        assert job["permissions"]["id-token"] == "write", name
        assert set(creds[0]["with"]) <= {"role-to-assume", "aws-region", "role-session-name"}
        assert "concurrency" in job, name
    assert jobs["plan"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["plan"]["permissions"]["pull-requests"] == "write"
    assert "agentctl-plan-${{ matrix.env }}" in jobs["plan"]["concurrency"]["group"]
    assert {i["env"] for i in jobs["plan"]["strategy"]["matrix"]["include"]} == {"staging", "prod"}
    for env in ("staging", "prod"):
        row = rows[f"`{env}`"]
        job = jobs[env]
        assert job["environment"] == env and f"`{env}`" in row["environment"]
        assert job["concurrency"] == {"group": f"agentctl-{env}", "cancel-in-progress": False}
        assert row["serialized"] == f"`agentctl-{env}`"
    assert "protected" in rows["`prod`"]["environment"]
    assert jobs["prod"]["needs"] == "staging" and "after `staging`" in rows["`prod`"]["runs on"]
    assert jobs["staging"]["if"] == "github.event_name == 'push'"
    # The eval gate runs before promote in the prod job.
    runs = [s.get("run", "") for s in jobs["prod"]["steps"]]
    assert [i for i, r in enumerate(runs) if "agentctl eval" in r][0] < \
        [i for i, r in enumerate(runs) if "agentctl promote" in r][0]


def test_gitlab_pipeline_structure_is_what_the_readme_says():
    doc = _load(GITLAB)
    rows = _readme_rows()
    _no_static_keys(GITLAB.read_text())
    oidc = doc[".aws-oidc"]
    assert oidc["id_tokens"]["AWS_ID_TOKEN"]["aud"] == "sts.amazonaws.com"
    assert any("AWS_WEB_IDENTITY_TOKEN_FILE" in line for line in oidc["before_script"])
    for name in ("plan-staging", "plan-prod", "staging", "prod"):
        job = doc[name]
        parents = [job.get("extends")] + [doc[job["extends"]].get("extends")] \
            if job.get("extends") else []
        assert ".aws-oidc" in parents, f"{name} does not get an OIDC token"
        env = name.split("-")[-1]
        assert job["resource_group"] == (f"agentctl-{env}" if name == env
                                         else f"agentctl-plan-{env}")
    assert doc["staging"]["environment"]["name"] == "staging"
    prod = doc["prod"]
    assert prod["environment"] == {"name": "prod", "deployment_tier": "production"}
    assert prod["needs"] == ["staging"]
    assert prod["rules"][0]["when"] == "manual" and "approved" in rows["`prod`"]["runs on"]
    script = prod["script"]
    assert [i for i, s in enumerate(script) if s.startswith("agentctl eval")][0] < \
        [i for i, s in enumerate(script) if s.startswith("agentctl promote")][0]
    for name in ("staging", "prod"):
        assert f"`{doc[name]['resource_group']}`" == rows[f"`{name}`"]["serialized"]
