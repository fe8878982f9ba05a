"""Terminal I/O of ``invoke`` and ``chat``, in one small place, on ``agentctl.console``.

stdout carries results: the answer as its chunks arrive, or the one JSON document. stderr
carries everything else: the rendered trace (``--trace``), progress, the session id, prompts.
Text is written verbatim (no markup is interpreted): answers and traces are user and model data.
The answer is written piece by piece as it streams (the console prints whole lines), so it goes
to the stream directly; lines and the JSON document go through the console.

Must not: decide anything; it only writes and reads.
"""

from __future__ import annotations

import sys
from typing import Any

from agentctl.cli.lazy import lazy

console = lazy("agentctl.console")
sensitive = lazy("agentctl.core.sensitive")


class RuntimeIO:
    """Writes answers/JSON to stdout and trace/progress to stderr; asks on stdin."""

    def __init__(self, *, stdout: Any = None, stderr: Any = None, stdin: Any = None):
        self._out = stdout
        self._err = stderr
        self._in = stdin
        self.answer_open = False
        """True while an answer line is being streamed (it needs a newline before other text)."""

    @property
    def out(self) -> Any:
        return self._out or sys.stdout

    @property
    def err(self) -> Any:
        return self._err or sys.stderr

    @property
    def inp(self) -> Any:
        return self._in or sys.stdin

    def answer(self, text: str) -> None:
        if not text:
            return
        text = sensitive.mask_text(text)
        self.out.write(text)
        self.out.flush()
        self.answer_open = not text.endswith("\n")

    def end_answer(self) -> None:
        if self.answer_open:
            self.out.write("\n")
            self.out.flush()
            self.answer_open = False

    def trace(self, text: str) -> None:
        if not text:
            return
        if self.answer_open and self.err is self.out:
            self.end_answer()
        self.err.write(sensitive.mask_text(text))
        self.err.flush()

    def say(self, text: str) -> None:
        """A line of progress or conversation chrome, on stderr."""
        if self._err is None:
            console.err(text)
        else:
            self.err.write(sensitive.mask_text(text) + "\n")
            self.err.flush()

    def json(self, doc: Any) -> None:
        """The run's one JSON document (counted by the console, so the CLI boundary does not
        print a second one on failure)."""
        console.json_out(doc)

    def is_interactive(self) -> bool:
        """A person can answer: stdin is a terminal and this is not a CI job (``CI`` set: a
        runner's pseudo-terminal has nobody behind it, so no question may wait)."""
        import os

        return bool(getattr(self.inp, "isatty", lambda: False)()) and not os.environ.get("CI")

    def read_line(self, prompt: str) -> str | None:
        """One line from stdin after ``prompt`` (on stderr); None at end of input."""
        self.err.write(prompt)
        self.err.flush()
        line = self.inp.readline()
        if line == "":
            return None
        return line.rstrip("\r\n")

    def ask(self, prompt: str) -> str | None:
        return self.read_line(f"{prompt}: ")

    def confirm(self, question: str) -> bool:
        answer = self.read_line(f"{question} [y/N] ")
        return (answer or "").strip().lower() in ("y", "yes")
