"""GitHub Actions output: workflow-command annotations and the step-summary size budget.

- ``annotation(...)`` is one ``::error file=F,line=L,col=C,title=T::message`` (or ``::warning``)
  line. GitHub's runner reads these commands from a step's output lines; the message and the
  property values are escaped as GitHub's toolkit does (``@actions/core`` ``command.ts``): in the
  message ``%`` -> ``%25``, CR -> ``%0D``, LF -> ``%0A``; in a property value those and also
  ``:`` -> ``%3A`` and ``,`` -> ``%2C`` (a raw ``:`` or ``,`` would end the property, a raw
  newline the command, and the rest would be read as a new line of the log).
- ``problem_annotations`` turns validation problems (``file``/``line``/``col``/``severity``
  documents) into those lines, file paths made relative to the workspace GitHub annotates.
- ``fit_summary`` keeps a Markdown step summary under GitHub's limit (1 MiB per step: the runner
  refuses a larger ``$GITHUB_STEP_SUMMARY`` upload outright, losing the whole summary), dropping
  whole sections from the end and saying how many were left out.

Pure: returns strings; never prints, never reads the environment (the console does).
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Sequence

STEP_SUMMARY_LIMIT = 1024 * 1024
"""Bytes GitHub accepts in one step's summary file (the runner aborts the upload above it)."""


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(severity: str, message: str, *, file: str | None = None, line: int = 0,
               col: int = 0, title: str | None = None) -> str:
    """One workflow command; ``severity`` is ``error`` or ``warning`` (anything else, e.g. a
    validation ``note``, becomes ``notice``)."""
    kind = severity if severity in ("error", "warning") else "notice"
    props = []
    if file:
        props.append(f"file={escape_property(file)}")
        if line:
            props.append(f"line={int(line)}")
            if col:
                props.append(f"col={int(col)}")
    if title:
        props.append(f"title={escape_property(title)}")
    head = f"::{kind} {','.join(props)}" if props else f"::{kind}"
    return f"{head}::{escape_data(message)}"


def workspace_path(path: str, workspace: str | None) -> str:
    """``path`` relative to ``workspace`` (``$GITHUB_WORKSPACE``, the checkout GitHub resolves
    annotation paths against) when it lies inside it; otherwise unchanged."""
    if not workspace or not path:
        return path
    try:
        abs_path = os.path.abspath(path)
        ws = os.path.abspath(workspace)
        if os.path.commonpath([abs_path, ws]) == ws:
            return os.path.relpath(abs_path, ws)
    except ValueError:  # different drives, or an empty component
        pass
    return path


def problem_annotations(problems: Iterable[Mapping[str, Any]], *, root: str | None = None,
                        workspace: str | None = None, title: str = "agentctl validate"
                        ) -> list[str]:
    """Annotations of validation problems (``validate``'s problem documents), errors and
    warnings only (notes say what was not checked: log lines, not annotations), each once even
    when several environments report the same problem."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for p in problems:
        if p.get("severity") not in ("error", "warning"):
            continue
        key = (p.get("file"), p.get("line"), p.get("col"), p.get("code"), p.get("message"))
        if key in seen:
            continue
        seen.add(key)
        file = p.get("file") or ""
        if file and root and not os.path.isabs(file):
            file = os.path.join(root, file)
        message = p.get("message") or ""
        if p.get("path"):
            message += f" [{p['path']}]"
        if p.get("hint"):
            message += f"\nhint: {p['hint']}"
        out.append(annotation(p["severity"], message, file=workspace_path(file, workspace) or None,
                              line=p.get("line") or 0, col=p.get("col") or 0,
                              title=f"{title}: {p.get('code')}" if p.get("code") else title))
    return out


def fit_summary(head: str, sections: Sequence[str | tuple[str, int]], budget: int, *,
                noun: str = "agents", tail: str = "") -> str:
    """``head`` + as many whole ``sections`` as fit in ``budget`` bytes (UTF-8) + ``tail``.
    A section is a string (one agent) or ``(text, n)``: a block standing for ``n`` agents (0 for
    an environment's heading). When some are left out, a last line ``... N more agents, see the
    job log``. The head is trimmed only if it alone does not fit (said so too)."""
    items = [(s, 1) if isinstance(s, str) else (s[0], s[1]) for s in sections]

    def size(text: str) -> int:
        return len(text.encode("utf-8"))

    def more(dropped: list[tuple[str, int]]) -> str:
        n = sum(w for _, w in dropped)
        groups = sum(1 for _, w in dropped if w == 0)
        where = f" (in {groups} more environment{'s' if groups != 1 else ''})" if groups else ""
        return f"\n_... {n} more {noun}{where}, see the job log._\n"

    # Reserve room for the longest possible "more" line and the tail, so the result never
    # exceeds the budget whatever is dropped.
    reserve = size(more(items)) + size(tail)
    if size(head) + reserve > budget:
        cut = max(0, budget - reserve - 64)
        trimmed = head.encode("utf-8")[:cut].decode("utf-8", "ignore")
        return trimmed + "\n\n_... summary truncated, see the job log._\n" + more(items) + tail
    parts = [head]
    used = size(head)
    kept = 0
    for text, _ in items:
        n = size(text)
        if used + n + reserve > budget:
            break
        parts.append(text)
        used += n
        kept += 1
    if kept < len(items):
        parts.append(more(items[kept:]))
    parts.append(tail)
    return "".join(parts)
