"""Every command README.md shows is run, and what README says it prints is what it prints
(issue 12 item 14).

The README's ```console and ```bash blocks are parsed: ``$ `` lines (console) or every line
(bash) are commands, the lines after a console command are its output. Each ``agentctl``
command runs in-process (``agentctl.cli.run``) in a temporary copy of ``examples/`` on the local
target; it must exit 0 (or, for ``cmd; rc=$?``, 0 or 2 as recorded), and every output line the
README shows (``...`` elides) must appear in its stdout, in order. Shell glue the README uses
(``cd``, ``&&`` chains, ``> file``, ``rc=$?``, ``[ $rc -eq N ] &&``) is interpreted. Commands
that are not agentctl's (installing, the test suite itself, the AWS CLI, a background server)
are listed in ``NOT_RUN`` with the reason; every entry must still match a README line, and any
other command fails the test, so a new README command cannot go unrun.

A console block without a ``cd`` continues the previous one (the walkthrough); the one manual
step its prose asks for (change the orchestration temperature) is ``EDITS``. The pipeline block
names ``-e prod`` (an AWS account): it runs against the local environment instead.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agentctl.cli import run

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

NOT_RUN = {
    r"^python3? -m venv \.venv$": "creates a virtualenv (the test already runs in one)",
    r"^\. \.venv/bin/activate$": "activates that virtualenv",
    r"^pip install -e '?\.(\[test\])?'?$": "installs agentctl (the test imports it)",
    r"^python -m pytest\b": "the test suite itself",
    r"^agentctl emulator serve --port \d+ &$":
        "a background server; tests/test_emulator_server.py runs it in a second process",
    r"^AWS_ENDPOINT_URL_BEDROCK_AGENT=\S+ .*\baws bedrock-agent ":
        "the AWS CLI against that server (not installed here)",
}

EDITS = {
    # README: "Change the orchestration temperature in agents/support-bot.yaml and plan again".
    "agentctl plan --out change.plan": ("agents/support-bot.yaml", "temperature: 0.0",
                                        "temperature: 0.2"),
}

RUNTIME = re.compile(r"^agentctl( -C \S+)? (invoke|chat)\b")


@dataclass
class Command:
    text: str
    line: int
    output: list[str] = field(default_factory=list)


@dataclass
class Block:
    lang: str
    line: int
    commands: list[Command]


def _strip_comment(text: str) -> str:
    # README comments are "  # ..." after the command; '#' inside quotes never occurs there.
    return re.split(r"\s+#\s", text, maxsplit=1)[0].rstrip()


def parse_readme(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^\s*```(console|bash)\s*$", lines[i])
        if not m:
            i += 1
            continue
        lang, start, body = m.group(1), i + 1, []
        indent = len(lines[i]) - len(lines[i].lstrip())
        i += 1
        while not lines[i].strip().startswith("```"):
            # Output keeps its own indentation; only the block's (a list item's) is removed.
            body.append((i + 1, lines[i][indent:].rstrip()))
            i += 1
        i += 1
        commands: list[Command] = []
        pending = ""
        for n, raw in body:
            if lang == "console" and not raw.startswith("$ ") and not pending:
                if commands and raw and raw != "...":
                    commands[-1].output.append(raw)
                continue
            piece = (raw[2:] if lang == "console" and not pending else raw).strip()
            if not piece:
                continue
            if piece.endswith("\\"):
                pending += piece[:-1] + " "
                continue
            commands.append(Command(_strip_comment(pending + piece), n))
            pending = ""
        blocks.append(Block(lang, start, commands))
    return blocks


class Shell:
    """Just enough of a shell for README's glue, with agentctl run in-process."""

    def __init__(self, base: Path, capsys, monkeypatch):
        self.base, self.cwd, self.capsys, self.monkeypatch = base, base, capsys, monkeypatch
        self.rc = 0
        self.not_run: set[str] = set()

    def run_line(self, cmd: Command) -> None:
        text = cmd.text
        cond = re.match(r"^\[ \$rc -eq (\d+) \] && (.*)$", text)
        if cond:
            if self.rc != int(cond.group(1)):
                return
            text = cond.group(2)
        for segment in text.split(" && "):
            self._segment(segment.strip(), cmd)

    def _segment(self, text: str, cmd: Command) -> None:
        where = f"README.md:{cmd.line}: {text}"
        for pattern in NOT_RUN:
            if re.search(pattern, text):
                self.not_run.add(pattern)
                return
        if text.startswith("cd "):
            self.cwd = (self.cwd / text[3:].strip()).resolve()
            return
        record = text.endswith("; rc=$?")
        if record:
            text = text[: -len("; rc=$?")].strip()
        argv = shlex.split(text)
        redirect = None
        if ">" in argv:
            k = argv.index(">")
            redirect, argv = argv[k + 1], argv[:k]
        assert argv and argv[0] == "agentctl", f"{where}: not an agentctl command; run it here " \
            "or add it to NOT_RUN with the reason"
        argv = ["local" if a == "prod" and argv[i - 1] in ("-e", "--env") else a
                for i, a in enumerate(argv)]
        edit = EDITS.get(text)
        if edit:
            path = self.cwd / edit[0]
            content = path.read_text()
            assert edit[1] in content, f"{where}: the README's edit no longer applies"
            path.write_text(content.replace(edit[1], edit[2], 1))
        self.monkeypatch.chdir(self.cwd)
        self.monkeypatch.setattr("sys.stdin", io.StringIO("/exit\n"))
        self.capsys.readouterr()
        code = run(argv[1:])
        out, err = self.capsys.readouterr()
        if redirect:
            (self.cwd / redirect).write_text(out)
            out = ""
        if record:
            assert code in (0, 2), f"{where}: exit {code}\n{err}"
            self.rc = code
        else:
            assert code == 0, f"{where}: exit {code}\n{out}\n{err}"
        _shows(out, cmd.output, where)


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
_AGENT_ID = re.compile(r"(?<![A-Z0-9])[A-Z0-9]{10}(?![A-Z0-9])")


def _shape(line: str) -> str:
    # Times and generated agent ids differ on every run; README shows real ones.
    return _AGENT_ID.sub("<id>", _TIMESTAMP.sub("<time>", line.rstrip()))


def _shows(out: str, expected: list[str], where: str) -> None:
    """Every expected line, in order, is a line of ``out`` (trailing spaces ignored; times and
    agent ids stand for any)."""
    actual = [_shape(line) for line in out.splitlines()]
    pos = 0
    for want in expected:
        want = _shape(want)
        try:
            pos = actual.index(want, pos) + 1
        except ValueError:
            raise AssertionError(f"{where}: README shows {want!r}, the command printed:\n{out}")


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                "AGENTCTL_EMULATOR_CONFIG", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)

    def fresh() -> Path:
        base = tmp_path / f"copy{len(list(tmp_path.iterdir()))}"
        shutil.copytree(ROOT / "examples", base / "examples",
                        ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
        return base
    return fresh


def _blocks(runtime: bool) -> list[Block]:
    out = []
    for b in parse_readme(README.read_text(encoding="utf-8")):
        is_runtime = any(RUNTIME.match(c.text) for c in b.commands)
        if is_runtime == runtime:
            out.append(b)
    return out


def _run_blocks(blocks: list[Block], sandbox, capsys, monkeypatch) -> Shell:
    shell = None
    not_run: set[str] = set()
    for b in blocks:
        starts_fresh = b.lang == "bash" or any(c.text.startswith("cd ") for c in b.commands)
        if shell is None or starts_fresh:
            base = sandbox()
            if shell is not None:
                not_run |= shell.not_run
            shell = Shell(base, capsys, monkeypatch)
            if b.lang == "bash" and not any("-C " in c.text for c in b.commands):
                # The pipeline runs inside a project, as CI does.
                shell.cwd = base / "examples" / "support-bot"
        for c in b.commands:
            shell.run_line(c)
    assert shell is not None
    shell.not_run |= not_run
    return shell


def test_readme_parses_into_blocks_and_commands():
    blocks = parse_readme(README.read_text(encoding="utf-8"))
    commands = [c.text for b in blocks for c in b.commands]
    assert len(blocks) >= 6 and len(commands) >= 20
    assert "agentctl apply change.plan" in commands
    walk = next(c for b in blocks for c in b.commands if c.text == "agentctl validate")
    assert walk.output == ["OK: 1 agent spec(s) (environment local) valid."]


def test_every_command_readme_shows_runs_as_shown(sandbox, capsys, monkeypatch):
    shell = _run_blocks(_blocks(runtime=False), sandbox, capsys, monkeypatch)
    # Every NOT_RUN entry still names a README line (no stale excuses).
    assert set(NOT_RUN) - shell.not_run == set()


def test_readme_running_an_agent_runs_as_shown(sandbox, capsys, monkeypatch):
    _run_blocks(_blocks(runtime=True), sandbox, capsys, monkeypatch)
