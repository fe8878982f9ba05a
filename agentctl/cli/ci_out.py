"""CI-native output of the commands: GitHub annotations and the step summary.

Each command that has a result worth a summary (validate, plan, apply, eval) calls one function
here after printing its result; the error boundary (``agentctl.cli``) calls ``error`` for a
failure. Everything is a no-op outside GitHub Actions (annotations need ``GITHUB_ACTIONS=true``;
the summary needs ``$GITHUB_STEP_SUMMARY``). Rendering is ``agentctl.render.github`` /
``render.markdown`` / ``render.eval``; printing and the file are ``agentctl.console``.

Where annotations go: stdout with human output (GitHub's documented place), stderr with
``--output json`` or ``markdown`` (stdout is then exactly one document, usually redirected to a
file or a PR comment; the runner reads workflow commands from stderr as well).

Must not: decide exit codes, or fail a command because a summary could not be written.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

from agentctl.cli.lazy import lazy
from agentctl.cli.options import RUN

console = lazy("agentctl.console")

_WHERE = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?$")


def _stdout() -> bool:
    return RUN.output == "human"


def _workspace() -> str | None:
    return os.environ.get("GITHUB_WORKSPACE") or None


def problems(docs: Iterable[dict[str, Any]], *, root: str | None, title: str) -> None:
    """Validation problems (``validate``'s problem documents) as ``::error`` / ``::warning``."""
    if not console.github_actions():
        return
    from agentctl.render.github import problem_annotations

    console.annotate(problem_annotations(list(docs), root=root, workspace=_workspace(),
                                         title=title), stdout=_stdout())


def warnings(project: Any, command: str) -> None:
    """The spec warnings a plan / apply printed on stderr, as ``::warning`` annotations."""
    ws = list(getattr(project, "warnings", None) or ())
    if not ws or not console.github_actions():
        return
    from agentctl.cli.validate_cmd import problem_document

    problems([problem_document(w) for w in ws], root=str(getattr(project, "root", "") or "")
             or None, title=f"agentctl {command}")


def error(e: Any, command: str) -> None:
    """A failed command as annotations: each validation problem it carries at its file:line,
    else the error itself (at its file:line:col when ``where`` names one)."""
    if not console.github_actions():
        return
    from agentctl.render.github import annotation, workspace_path

    carried = getattr(e, "problems", None)
    if carried:
        from agentctl.cli.validate_cmd import problem_document

        problems([problem_document(p) for p in carried], root=_project_root(),
                 title=f"agentctl {command}")
        return
    where = getattr(e, "where", None) or ""
    m = _WHERE.match(where)
    text = e.what if getattr(e, "what", None) else str(e)
    if getattr(e, "hint", None):
        text += f"\nhint: {e.hint}"
    file = _existing(m["file"]) if m else None
    if m and file:
        line = annotation("error", text, file=workspace_path(file, _workspace()),
                          line=int(m["line"]), col=int(m["col"] or 0), title=f"agentctl {command}")
    elif where and _existing(where):
        line = annotation("error", text, file=workspace_path(_existing(where) or where,
                                                             _workspace()),
                          title=f"agentctl {command}")
    else:
        line = annotation("error", f"{where}: {text}" if where else text,
                          title=f"agentctl {command}")
    console.annotate([line], stdout=_stdout())


def _existing(path: str) -> str | None:
    """``path`` as an existing file: as given, or relative to the project's directory (where
    agentctl's locations are relative to); None when it names no file."""
    for candidate in (path, os.path.join(_project_root() or "", path)):
        try:
            if candidate and os.path.isfile(candidate):
                return candidate
        except (OSError, ValueError):
            pass
    return None


def _project_root() -> str | None:
    """The project's directory (problem locations are relative to it), as the command found
    it: from ``-C DIR`` or the current directory."""
    from agentctl.cli.app import GLOBALS
    from agentctl.spec.project import find_project_file

    try:
        pfile = find_project_file((GLOBALS.chdir or Path.cwd()).resolve())
    except OSError:
        return None
    return str(pfile.parent) if pfile is not None else None


def error_summary(e: Any, command: str) -> None:
    """A failed command's summary (the run's page shows why the step failed): the message and
    every problem it carries."""
    what = getattr(e, "message", None)
    text = what() if callable(what) else str(e)
    carried = getattr(e, "problems", None) or ()
    if carried:
        text = "\n".join(p.render() for p in carried) + "\n" + text

    def build(budget: int) -> str:
        body = f"### agentctl {command}: failed (exit {int(e.exit_code)})\n\n```\n{text}\n```\n"
        return body if len(body.encode("utf-8")) <= budget else body.encode("utf-8")[
            :budget].decode("utf-8", "ignore")

    console.step_summary(build)


# The builders import their renderer when a summary is written (under GitHub Actions) only.

def plan_summary(plans: Sequence[Any], title: str = "agentctl plan") -> None:
    def build(budget: int) -> str:
        from agentctl.render.markdown import plan_summary as render

        return render(plans, budget=budget, title=title)

    console.step_summary(build)


def apply_summary(runs: Sequence[tuple[Any, Any]], *, verb: str = "Apply",
                  skipped: Sequence[str] = ()) -> None:
    def build(budget: int) -> str:
        from agentctl.render.markdown import apply_summary as render

        return render(runs, budget=budget, verb=verb, skipped=skipped)

    console.step_summary(build)


def eval_summary(report: Any) -> None:
    def build(budget: int) -> str:
        from agentctl.render.eval import render_report_markdown

        text = render_report_markdown(report)
        if len(text.encode("utf-8")) > budget:
            from agentctl.render.github import fit_summary

            # The tables first; the folded failures are what is left out.
            head = text.split("\n<details>", 1)[0]
            return fit_summary(head + "\n", [], budget, noun="failures")
        return text

    console.step_summary(build)


def validate_summary(reports: Sequence[dict[str, Any]]) -> None:
    def build(budget: int) -> str:
        from agentctl.render.markdown import validate_summary as render

        return render(reports, budget=budget)

    console.step_summary(build)
