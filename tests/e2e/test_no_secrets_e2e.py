"""No secret in agentctl's output (issue 11 item 7), end to end on the local target.

Distinctive values are passed through every path that takes them, with ``--debug`` on, and then
looked for in stdout, stderr, every file under ``.agentctl/`` (the emulator's database included:
only its sessions table may hold session attributes, as the service keeps them for the
session), the JUnit file, the ``--trace-out`` file and the emulator's call log:

- session attributes and prompt session attributes of ``invoke``, ``chat`` and eval suites;
- AWS credentials from the environment, across plan / apply / invoke / eval.

Where a trace needs them, attribute *names* are shown with the values redacted.
"""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from agentctl.exitcodes import ExitCode

from .conftest import Project

SESSION_VALUE = "zq7SESSIONvalue4410"
PROMPT_VALUE = "zq7PROMPTvalue9932"
EVAL_SESSION_VALUE = "zq7EVALsessionValue2718"
EVAL_PROMPT_VALUE = "zq7EVALpromptValue3141"
SECRETS = (SESSION_VALUE, PROMPT_VALUE, EVAL_SESSION_VALUE, EVAL_PROMPT_VALUE)


def _files(root: Path) -> list[Path]:
    return [p for p in sorted((root / ".agentctl").rglob("*")) if p.is_file()]


def _db_rows_with(db: Path, needles: tuple[str, ...]) -> dict[str, int]:
    """table (``resources:<kind>`` for the resources table) -> rows containing a needle."""
    con = sqlite3.connect(str(db))
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        found: dict[str, int] = {}
        for t in tables:
            cur = con.execute(f'select * from "{t}"')
            cols = [d[0] for d in cur.description]
            for row in cur:
                text = " ".join(str(c) for c in row if c is not None)
                if any(s in text for s in needles):
                    where = f"{t}:{row[cols.index('kind')]}" if "kind" in cols else t
                    found[where] = found.get(where, 0) + 1
        return found
    finally:
        con.close()


def _leaks(p: Project, texts: dict[str, str], extra_files: list[Path],
           needles: tuple[str, ...], *, db_allowed: frozenset[str] = frozenset()) -> list[str]:
    out = [f"{where}: {s}" for where, text in texts.items() for s in needles if s in text]
    for f in _files(p.root) + extra_files:
        if f.suffix == ".db" or f.name.endswith((".db-wal", ".db-shm")):
            continue
        data = f.read_bytes().decode("utf-8", "replace")
        out += [f"{f}: {s}" for s in needles if s in data]
    db = p.state
    if db.exists():
        rows = _db_rows_with(db, needles)
        out += [f"{db} table {t}: {n} row(s)" for t, n in rows.items() if t not in db_allowed]
    return out


SUITE = f"""
suite: secret-attrs
agent: support-bot
cases:
  - name: attrs
    turns:
      - input: Where is order A-482?
        sessionAttributes: {{apiToken: {EVAL_SESSION_VALUE}}}
        promptSessionAttributes: {{hint: {EVAL_PROMPT_VALUE}}}
        expect:
          answer: {{contains: A-482}}
"""


def test_session_attributes_never_leave_the_session(support_bot, monkeypatch):
    p = support_bot
    p.ungate()
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    texts: dict[str, str] = {}
    trace_file = p.root / "trace.jsonl"
    attrs = ("--session-attr", f"apiToken={SESSION_VALUE}",
             "--prompt-attr", f"hint={PROMPT_VALUE}")

    r = p.cli("--debug", "invoke", "Where is order A-482?", "--agent", "support-bot",
              "--alias", "STAGING", *attrs, "--trace", "--trace-out", str(trace_file))
    assert r.code == ExitCode.OK, r.err
    texts["invoke stdout"], texts["invoke stderr"] = r.out, r.err
    # The trace says which attributes the turn sent, not their values.
    assert "session attributes: apiToken=(redacted); prompt session attributes: " \
           "hint=(redacted)" in r.err
    assert trace_file.stat().st_size > 0
    r = p.cli("--debug", "invoke", "Where is order A-482?", "--agent", "support-bot",
              "--version", "1", *attrs, "--output", "json")
    assert r.code == ExitCode.OK, r.err
    texts["invoke json"], texts["invoke json stderr"] = r.out, r.err
    json.loads(r.out)

    monkeypatch.setattr("sys.stdin", io.StringIO("Where is order A-482?\n/trace\n"
                                                 "Where is order A-482?\n/last\n/exit\n"))
    r = p.cli("--debug", "chat", "--agent", "support-bot", "--alias", "STAGING", *attrs)
    assert r.code == ExitCode.OK, r.err
    texts["chat stdout"], texts["chat stderr"] = r.out, r.err
    assert "session attributes: apiToken=(redacted)" in r.err

    suite = p.root / "evals" / "secret-attrs.yaml"
    suite.write_text(SUITE)
    junit = p.root / "eval.xml"
    r = p.cli("--debug", "eval", str(suite), "--agent", "support-bot", "--alias", "STAGING",
              "--junit", str(junit))
    texts["eval stdout"], texts["eval stderr"] = r.out, r.err
    assert r.code == ExitCode.OK, r.out + r.err
    r = p.cli("--debug", "eval", str(suite), "--agent", "support-bot", "--version", "1",
              "--output", "json")
    assert r.code == ExitCode.OK, r.out + r.err
    texts["eval json"], texts["eval json stderr"] = r.out, r.err
    suite.unlink()

    # The emulator keeps session attributes in its sessions, as the service does for a
    # session's lifetime; nowhere else (its call log, in particular, holds them redacted).
    leaks = _leaks(p, texts, [junit, trace_file], SECRETS)
    # ... but for the session attributes in the emulator's sessions, which the service keeps
    # for the session's lifetime too (prompt session attributes are one turn's: never kept).
    sessions = "resources:rt_session"
    assert any(f"table {sessions}:" in x for x in leaks)  # the values did reach the service
    leaks = [x for x in leaks if f"table {sessions}:" not in x]
    assert _db_rows_with(p.state, (PROMPT_VALUE, EVAL_PROMPT_VALUE)) == {}
    assert leaks == [], "session attribute values found:\n" + "\n".join(leaks)
    # The names are kept where the values were: the prompt the trace shows, the call log.
    assert "hint" in trace_file.read_text() and "(redacted)" in trace_file.read_text()
    emu = p.emulator()
    try:
        sent = [c.params["sessionState"] for c in emu.calls("InvokeAgent")
                if "sessionState" in c.params]
    finally:
        emu.close()
    assert {"sessionAttributes": {"apiToken": "(redacted)"},
            "promptSessionAttributes": {"hint": "(redacted)"}} in sent


# ------------------------------------------------------------------------------ credentials

KEY_ID = "AKIAZQ7FAKEKEYID0042"
SECRET_KEY = "zq7FakeSecretAccessKey/ForTests+0042abcdEFGH"
TOKEN = "zq7FakeSessionTokenIQoJb3JpZ2luX2VjEJr0042"


def test_credentials_from_the_environment_never_appear(support_bot, monkeypatch):
    p = support_bot
    p.ungate()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    texts = {}
    junit = p.root / "eval.xml"
    plan_file = p.root / "change.plan"
    for i, args in enumerate([
        ("plan", "--out", str(plan_file)),
        ("apply", str(plan_file)),
        ("plan", "--output", "json"),
        ("status", "--output", "json"),
        ("invoke", "Where is order A-482?", "--agent", "support-bot", "--alias", "STAGING",
         "--trace"),
        ("eval", "--agent", "support-bot", "--alias", "STAGING", "--junit", str(junit)),
        # An AWS environment: the account guard asks STS with these credentials (and fails:
        # no network); its error must not quote them either.
        ("plan", "-e", "prod"),
    ]):
        r = p.cli("--debug", *args)
        texts[f"{i} {args[0]} stdout"], texts[f"{i} {args[0]} stderr"] = r.out, r.err
        if args[-1] != "prod":
            assert r.code in (ExitCode.OK, ExitCode.CHANGES), (args, r.err)
    assert "Traceback" in texts["6 plan stderr"] or texts["6 plan stderr"]  # --debug ran
    leaks = _leaks(p, texts, [junit, plan_file], (KEY_ID, SECRET_KEY, TOKEN))
    assert leaks == [], "credentials found:\n" + "\n".join(leaks)
