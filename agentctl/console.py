"""agentctl's one console: results on stdout, progress and diagnostics on stderr.

Every command prints through this module, so colour, terminal detection, the confirmation
prompt and the progress display behave the same everywhere:

- ``out(x)`` prints a result (a string, or a renderable from ``agentctl.render``) on stdout;
  ``err(x)`` a diagnostic on stderr; ``json_out(doc)`` one JSON document on stdout.
- **Colour** (``color_enabled``), first rule that applies: ``--no-color`` or ``NO_COLOR`` (any
  non-empty value, https://no-color.org) -> off; ``FORCE_COLOR`` (non-empty, not ``0``) -> on;
  ``TERM=dumb`` -> off; otherwise on exactly when the stream is a terminal. Decided per stream:
  ``agentctl plan > plan.txt`` on a terminal colours stderr but writes plain text to the file.
- **Markup and highlighting are off**: user data (``functions[get_order_status]``,
  ``/orders/{orderId}``, ``[bold]`` in a description) prints verbatim, never as rich markup,
  and no number or path is recoloured. Lines are never wrapped (``soft_wrap``), so a diff line
  stays one line.
- **Progress** (``progress()``): on an interactive stderr (a terminal, ``TERM`` not ``dumb``, no
  ``CI`` variable) a live display with one line per agent, its latest step; otherwise a plain
  log, one line per event, consecutive duplicates of an agent's line dropped. Either way every
  warning and failure line stays in the scroll-back.
- **Non-interactive** (``noninteractive``): when ``CI`` is set (GitHub Actions, GitLab CI,
  CircleCI, Buildkite, ... all set it) or stdin is not a terminal. Then no prompt ever waits
  and there is no live display: ``confirm`` refuses (a usage error naming ``--auto-approve``
  or a saved plan) unless the command's ``--auto-approve`` / ``--yes`` was given, so a CI job
  never hangs or proceeds silently, even on a runner that allocates a pseudo-terminal.
- **GitHub Actions** (``GITHUB_ACTIONS=true``): ``annotate`` prints workflow commands
  (``::error file=...,line=...::``, built by ``render.github``) on stdout, where GitHub
  documents them, except when stdout carries a machine-readable document (``--output json``
  or ``markdown``, usually redirected to a file): then on stderr, which the runner reads for
  workflow commands too. ``step_summary`` appends Markdown to ``$GITHUB_STEP_SUMMARY``
  (never overwrites), within what is left of GitHub's 1 MiB per step.

The palette is ``agentctl.render.palette.THEME``; renderers return text or renderables and
never print. Must not: import boto3/botocore, load specs, or decide exit codes.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterator, Mapping

import agentctl.core.sensitive as sensitive
from agentctl.render.palette import WIDE, make_console, to_text


@dataclass
class Settings:
    """Process-wide console options set by the CLI's global flags."""

    no_color: bool = False
    json_documents: int = 0
    """JSON documents printed on stdout in this run (the CLI boundary prints an error document
    on failure only when the command has not printed one: one document per run)."""


SETTINGS = Settings()


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed or not a real file
        return False


def color_enabled(stream: Any, *, no_color: bool | None = None,
                  env: Mapping[str, str] | None = None) -> bool:
    """Whether output to ``stream`` gets colour (rules in the module docstring)."""
    e = _env(env)
    if (SETTINGS.no_color if no_color is None else no_color) or e.get("NO_COLOR"):
        return False
    force = e.get("FORCE_COLOR")
    if force and force != "0":
        return True
    if e.get("TERM") == "dumb":
        return False
    return _isatty(stream)


def noninteractive(*, env: Mapping[str, str] | None = None) -> bool:
    """No prompt may wait and no live display may run: ``CI`` is set, or stdin is not a
    terminal (a pipeline, cron, ``< /dev/null``)."""
    return bool(_env(env).get("CI")) or not _isatty(sys.stdin)


def github_actions(*, env: Mapping[str, str] | None = None) -> bool:
    """Running as a GitHub Actions step (the runner sets ``GITHUB_ACTIONS=true``)."""
    return _env(env).get("GITHUB_ACTIONS") == "true"


def interactive(stream: Any, *, env: Mapping[str, str] | None = None) -> bool:
    """Whether ``stream`` is a terminal a live display may redraw: a TTY, ``TERM`` not
    ``dumb``, and not a CI job (``CI`` set: logs are read later, so they get plain lines)."""
    e = _env(env)
    return _isatty(stream) and e.get("TERM") != "dumb" and not e.get("CI")


def _stream(stderr: bool) -> IO[str]:
    # Looked up at print time, not import time: tests and embedders swap sys.stdout/sys.stderr.
    return sys.stderr if stderr else sys.stdout


def console_for(stderr: bool = False):
    """A rich console on the current stdout (or stderr) with agentctl's settings."""
    stream = _stream(stderr)
    tty = _isatty(stream)
    return make_console(stream, color=color_enabled(stream),
                        width=None if tty else WIDE, terminal=tty or color_enabled(stream))


_lock = threading.Lock()


def _emit(renderable: Any, *, stderr: bool) -> None:
    stream = _stream(stderr)
    if sensitive.active() and not isinstance(renderable, str):
        # Rendered first, so the values marked sensitive can be taken out of the text.
        renderable = to_text(renderable, color=color_enabled(stream))
    with _lock:
        if isinstance(renderable, str):
            # Plain strings are written as they are: exactly the bytes golden tests pin (unless
            # they hold a value marked sensitive: agentctl.core.sensitive).
            renderable = sensitive.mask_text(renderable)
            stream.write(renderable if renderable.endswith("\n") else renderable + "\n")
        elif _isatty(stream):
            console_for(stderr).print(renderable)
        else:
            stream.write(to_text(renderable, color=color_enabled(stream)))
        stream.flush()


def out(renderable: Any) -> None:
    """Print a result on stdout."""
    _emit(renderable, stderr=False)


def err(renderable: Any) -> None:
    """Print progress or a diagnostic on stderr."""
    _emit(renderable, stderr=True)


def json_text(doc: Any) -> str:
    """The one JSON layout of every ``--output json`` document: ``json.dumps(indent=2,
    sort_keys=True, ensure_ascii=False, default=str)``, written by ``core.jsontext``
    (the same text, without the standard library's per-value generators; issue 13)."""
    from agentctl.core.jsontext import json_text as _indented  # (not needed by --help)

    return _indented(sensitive.mask(doc), sort_keys=True, default=str)


def json_out(doc: Any) -> None:
    """Print one JSON document on stdout."""
    out(json_text(doc))
    SETTINGS.json_documents += 1


def ansi(renderable: Any, stderr: bool = False) -> str:
    """``renderable`` as the text ``out`` / ``err`` would write to a non-terminal stream."""
    return to_text(renderable, color=color_enabled(_stream(stderr)))


# ----------------------------------------------------------------------------- confirmation

def confirm(question: str, *, auto_approve: bool, what: str, flag: str = "--auto-approve",
            alternative: str | None = None) -> None:
    """Ask ``question`` on the terminal (default: no). When non-interactive (``CI`` set, or
    stdin not a terminal) refuse unless ``auto_approve`` (the command's ``flag``) was given: a
    CI job must say so explicitly. ``alternative``: another way to proceed, for the hint (apply:
    a saved plan). Raises ``UsageError`` (non-interactive) or ``Aborted`` (declined); returns
    when approved."""
    from agentctl.errors import Aborted, UsageError

    if auto_approve:
        return
    if noninteractive():
        why = ("stdin is not a terminal" if not _isatty(sys.stdin)
               else "CI is set (a CI job is never prompted)")
        hint = f"review the output above, then pass {flag}"
        if alternative:
            hint += f", or {alternative}"
        raise UsageError(f"refusing to {what} without confirmation: {why}", hint=hint)
    with _lock:
        sys.stderr.write(f"{question} [y/N]: ")
        sys.stderr.flush()
        try:
            answer = sys.stdin.readline()
        except KeyboardInterrupt:
            sys.stderr.write("\n")
            answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise Aborted(f"{what} cancelled; nothing was changed")


# --------------------------------------------------------------------------------- progress

Progress = Callable[[str], None]


def _agent_of(line: str) -> str:
    """Progress lines start with the agent (``support-bot: UpdateAgent ...``)."""
    head, sep, _ = line.partition(": ")
    return head if sep and " " not in head else ""


class PlainProgress:
    """One stderr line per event; an agent's line identical to its previous one is dropped
    (a wait that polls the same status again says nothing new)."""

    def __init__(self, write: Callable[[str], None] | None = None):
        self._write = write or (lambda line: err(line))
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        agent = _agent_of(line)
        with self._lock:
            if self._last.get(agent) == line:
                return
            self._last[agent] = line
        self._write(line)

    def close(self) -> None:
        pass


class LiveProgress:
    """A live display on the terminal: one line per agent showing its latest event. Lines that
    matter afterwards (warnings, failures, interruptions) are also printed above the display,
    so they stay in the scroll-back."""

    _KEEP = ("warning", "FAILED", "cannot run", "interrupted", "error")

    def __init__(self) -> None:
        from rich.live import Live

        self._rows: dict[str, str] = {}
        self._printed: set[str] = set()  # rows whose latest line is already in the scroll-back
        self._lock = threading.Lock()
        self._console = console_for(stderr=True)
        self._live = Live(self._render(), console=self._console, transient=True,
                          refresh_per_second=8, redirect_stdout=False, redirect_stderr=False)
        self._live.start()

    def _render(self) -> Any:
        from rich.text import Text

        text = Text()
        for i, (agent, line) in enumerate(self._rows.items()):
            if i:
                text.append("\n")
            text.append(line, style="failed" if "FAILED" in line else "")
        return text

    def __call__(self, line: str) -> None:
        with self._lock:
            agent = _agent_of(line) or "-"
            self._rows[agent] = line
            if any(k in line for k in self._KEEP):
                self._console.print(line)
                self._printed.add(agent)
            else:
                self._printed.discard(agent)
            self._live.update(self._render())

    def close(self) -> None:
        with self._lock:
            self._live.stop()
            # The final state of each agent stays on screen (the display itself was transient);
            # a row whose last line was already printed above the display is not repeated.
            for agent, line in self._rows.items():
                if agent not in self._printed:
                    self._console.print(line)


@contextmanager
def progress() -> Iterator[Progress]:
    """The progress sink for a run: live on an interactive stderr, plain lines otherwise."""
    sink: PlainProgress | LiveProgress
    live = interactive(sys.stderr) and not noninteractive()
    sink = LiveProgress() if live else PlainProgress()
    try:
        yield sink
    finally:
        sink.close()


# ------------------------------------------------------------------------- GitHub Actions

def annotate(lines: Any, *, stdout: bool) -> None:
    """Print GitHub workflow commands (``render.github.annotation`` lines) when running under
    GitHub Actions; nothing otherwise. ``stdout``: the command's stdout carries human output
    (GitHub's documented place); False when it carries a JSON or Markdown document, which must
    stay exactly that document, so they go to stderr (the runner reads both streams)."""
    if not github_actions():
        return
    lines = list(lines)
    if lines:
        _emit("\n".join(lines), stderr=not stdout)


def step_summary(build: Callable[[int], str], *, env: Mapping[str, str] | None = None
                 ) -> str | None:
    """Append the Markdown ``build(budget)`` returns to ``$GITHUB_STEP_SUMMARY`` (when set).
    ``budget`` is what is left of GitHub's 1 MiB per step after what the file holds already
    (earlier commands of the same step). Returns the file written, or None. A file that cannot
    be written is a warning on stderr, never a failure of the command."""
    path = _env(env).get("GITHUB_STEP_SUMMARY")
    if not path:
        return None  # (outside GitHub Actions, nothing of the Markdown renderers is imported)
    from agentctl.render.github import STEP_SUMMARY_LIMIT

    try:
        used = os.path.getsize(path) if os.path.exists(path) else 0
        budget = STEP_SUMMARY_LIMIT - used
        if budget < 512:
            err(f"warning: not writing the step summary: {path} already holds {used} bytes of "
                f"GitHub's {STEP_SUMMARY_LIMIT} per step")
            return None
        room = budget - 2  # the separating blank line and a final newline
        # No value marked sensitive in the file either (agentctl.core.sensitive); masking can
        # lengthen the text, so build again within less room when it did.
        text = sensitive.mask_text(build(room))
        over = len(text.encode("utf-8")) - room
        if over > 0:
            text = sensitive.mask_text(build(max(0, room - 2 * over)))
        if not text.endswith("\n"):
            text += "\n"
        with open(path, "a", encoding="utf-8") as f:
            # A blank line first: what an earlier command appended may not end a paragraph.
            f.write(("\n" if used else "") + text)
        return path
    except OSError as e:
        err(f"warning: cannot write the step summary {path}: {e.strerror or e}")
        return None
