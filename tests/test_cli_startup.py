"""What each kind of agentctl process imports (issue 13: the fixed cost of every command).

No timings: each test runs a fresh interpreter and looks at ``sys.modules`` after the command.
``agentctl --help`` imports the CLI and typer's help formatter, nothing that serves a command
(the AWS SDK, spec loading, the console, markdown / syntax highlighting typer's formatter never
uses here); ``validate`` never the AWS SDK; ``plan`` against a served endpoint never the
emulator, the runtime, eval suites' runner, export/import, CloudFormation / Terraform libraries.
The help texts are typer's own: every command's help is compared with the one typer draws with
its formatter imported the usual way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from serving import ServerProcess  # tests/serving.py

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

_REPORT = (
    "import json, os, sys\n"
    "if os.environ.get('TEST_NO_WARM'):\n"
    "    import agentctl.cli.warm as w\n"
    "    w.in_background = lambda names: None\n"
    "sessions = []\n"
    "if os.environ.get('TEST_COUNT_SESSIONS'):\n"
    "    import botocore.session\n"
    "    real_init = botocore.session.Session.__init__\n"
    "    def init(self, *a, **kw):\n"
    "        sessions.append(1)\n"
    "        real_init(self, *a, **kw)\n"
    "    botocore.session.Session.__init__ = init\n"
    "from agentctl.cli import run\n"
    "code = run(json.loads(sys.argv[1]))\n"
    "sys.stdout.flush()\n"
    "print('\\n@@MODULES@@' + json.dumps(sorted(sys.modules)))\n"
    "print('@@SESSIONS@@' + str(len(sessions)))\n")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTCTL_", "AWS_"))}
    env.update({"NO_COLOR": "1", "CI": "1", "AGENTCTL_EMULATOR_TIME_SCALE": "0", **extra})
    return env


def _modules_after(args: list[str], cwd: Path, **env: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", _REPORT, json.dumps(args)], cwd=cwd,
                          capture_output=True, text=True, env=_env(**env), timeout=180)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    out, _, tail = proc.stdout.rpartition("\n@@MODULES@@")
    assert tail, proc.stdout[-2000:] + proc.stderr[-2000:]
    mods, _, sessions = tail.partition("\n@@SESSIONS@@")
    names = set(json.loads(mods))
    if env.get("TEST_COUNT_SESSIONS"):
        names.add(f"@botocore-sessions={int(sessions)}")
    return names


def _loaded(mods: set[str], names: set[str]) -> list[str]:
    """Which of ``names`` (a package stands for its submodules too) are in ``mods``."""
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in mods))


HELP_MUST_NOT = {
    # third party: the AWS SDK, validation, diffing, YAML, typer's unused formatter parts
    "boto3", "botocore", "s3transfer", "urllib3", "jsonschema", "openapi_spec_validator",
    "deepdiff", "pydantic", "yaml", "markdown_it", "pygments", "rich.markdown", "rich.traceback",
    "rich.syntax",
    # agentctl: everything a command does, the console included
    "agentctl.apply", "agentctl.aws", "agentctl.emulator", "agentctl.spec", "agentctl.plan",
    "agentctl.render", "agentctl.eval", "agentctl.runtime", "agentctl.locks",
    "agentctl.console", "agentctl.core",
}


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["plan", "--help"],
                                  ["emulator", "serve", "--help"]], ids=" ".join)
def test_help_imports_only_the_cli(tmp_path, args):
    mods = _modules_after(args, tmp_path)
    assert "typer" in mods and "agentctl.cli.lifecycle_cmds" in mods  # the measurement worked
    assert _loaded(mods, HELP_MUST_NOT) == []


def test_importing_the_cli_imports_no_command_machinery(tmp_path):
    code = "import sys, json, agentctl.cli; print(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_env(), timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    mods = set(json.loads(proc.stdout))
    assert _loaded(mods, HELP_MUST_NOT | {"rich"}) == []


_ALL_HELP = (
    "import io, json, sys, contextlib\n"
    "if sys.argv[1] == 'typer':\n"
    "    import typer.rich_utils  # typer's formatter imported the usual way, Markdown and all\n"
    "    assert 'rich.markdown' in sys.modules\n"
    "import typer.main\n"
    "from agentctl.cli import app, run\n"
    "def walk(cmd, path):\n"
    "    yield path\n"
    "    for name, sub in sorted(getattr(cmd, 'commands', {}).items()):\n"
    "        yield from walk(sub, path + [name])\n"
    "out = {}\n"
    "for path in walk(typer.main.get_command(app), []):\n"
    "    buf = io.StringIO()\n"
    "    with contextlib.redirect_stdout(buf):\n"
    "        run(path + ['--help'])\n"
    "    out[' '.join(path)] = buf.getvalue()\n"
    "if sys.argv[1] != 'typer':\n"
    "    assert 'rich.markdown' not in sys.modules\n"
    "print(json.dumps(out))\n")


@pytest.mark.parametrize("columns", ["80", "200"])
def test_every_help_text_is_what_typers_formatter_draws(tmp_path, columns):
    texts = {}
    for way in ("typer", "lean"):
        proc = subprocess.run([sys.executable, "-c", _ALL_HELP, way], capture_output=True,
                              text=True, env=_env(COLUMNS=columns), timeout=180, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        texts[way] = json.loads(proc.stdout)
    assert len(texts["lean"]) > 20 and all(texts["lean"].values())
    assert texts["lean"] == texts["typer"]


def test_the_stand_ins_become_the_real_classes_when_used():
    """typer.rich_utils imported lean still draws Markdown (markup mode "markdown") with the
    real rich.markdown, imported then."""
    code = (
        "import sys\n"
        "from agentctl.cli import richhelp\n"
        "richhelp.load()\n"
        "import typer.rich_utils as ru\n"
        "assert 'rich.markdown' not in sys.modules\n"
        "md = ru._make_rich_text(text='**bold**', markup_mode='markdown')\n"
        "import rich.markdown\n"
        "assert type(md) is rich.markdown.Markdown, type(md)\n"
        "assert isinstance(md, ru.Markdown)\n"
        "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_env(), timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr[-3000:]


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "support-bot"
    shutil.copytree(EXAMPLES / "support-bot", project,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    return project


def test_validate_imports_no_aws_sdk(tmp_path):
    mods = _modules_after(["validate"], _project(tmp_path))
    assert "agentctl.spec" in mods  # it validated
    assert _loaded(mods, {"boto3", "botocore", "s3transfer", "agentctl.aws", "agentctl.apply",
                          "agentctl.emulator", "agentctl.runtime", "typer._adapters"}) == []




@pytest.fixture
def served(tmp_path):
    """`agentctl emulator serve` on a state file of its own (an empty target)."""
    server = ServerProcess(tmp_path / "served.db", None, tmp_path / "server.err", env=_env())
    yield server.url
    server.stop()


PLAN_MUST_NOT = {
    # the local target's server side and the runtime: the endpoint serves them
    "agentctl.emulator", "agentctl.runtime", "agentctl.aws.runtime", "sqlite3",
    # other commands' machinery
    "agentctl.eval.runner", "agentctl.eval.judge", "agentctl.spec.export",
    "agentctl.spec.importer", "agentctl.apply.importing", "agentctl.aws.s3state",
    "agentctl.aws.iam", "agentctl.plan.explain", "agentctl.plan.drift", "deepdiff", "cfnlint",
    "hcl2",
    # typer's pydantic converters and its unused help formatter parts
    "typer._adapters", "markdown_it", "pygments",
    # the Markdown renderers, outside GitHub Actions (no step summary is written)
    "agentctl.render.markdown", "agentctl.render.github",
}


def test_plan_against_a_served_endpoint_imports_only_its_path(tmp_path, served):
    mods = _modules_after(["plan", "-o", "json"], _project(tmp_path),
                          AWS_ENDPOINT_URL_BEDROCK_AGENT=served, TEST_COUNT_SESSIONS="1")
    assert "agentctl.aws.live" in mods and "agentctl.plan.planner" in mods  # it planned
    assert _loaded(mods, PLAN_MUST_NOT) == []
    # One botocore session: the client's service model serves agentctl too (aws.model_of).
    assert "@botocore-sessions=1" in mods


@pytest.mark.parametrize("output", ["human", "json", "markdown"])
def test_what_plan_imports_while_it_reads_is_what_it_renders_with(tmp_path, output):
    """The modules ``plan`` imports in the background during its reads (lifecycle_cmds
    ``_PLAN_RENDERING``) are ones it imports anyway to render (checked with the background
    import switched off): nothing imported for nothing."""
    from agentctl.cli.lifecycle_cmds import _PLAN_RENDERING

    mods = _modules_after(["plan", "-o", output], _project(tmp_path), TEST_NO_WARM="1")
    assert "agentctl.plan.planner" in mods  # it planned
    assert set(_PLAN_RENDERING[output]) <= mods


def test_a_finished_command_exits_through_the_interpreter_with_its_objects_frozen(tmp_path):
    """main() freezes the objects before exiting (the interpreter's final collections would
    walk them all for nothing), and exits normally: atexit handlers and flushes still run."""
    marker = tmp_path / "atexit-ran"
    code = (
        "import atexit, gc, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write(str(gc.get_freeze_count())))\n"
        "from agentctl.cli import main\n"
        "sys.stdout.write('buffered, not flushed: ')\n"
        "main(['--version'])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_env(), timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("buffered, not flushed: agentctl ")
    assert int(marker.read_text()) > 10000  # the handler ran, with the objects frozen
