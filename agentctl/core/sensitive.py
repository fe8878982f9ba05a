"""Sensitive values: what a run must never show or write in clear.

A project marks a variable sensitive (``variables: {apiKey: {value: ..., sensitive: true}}`` in
an environment, Terraform's ``sensitive = true``); the loader registers its value here for the
run. Then:

- ``mask`` / ``mask_text``: what agentctl prints (the console), logs and writes to its records
  shows ``(sensitive value)`` where the value was (human, JSON and Markdown plans, drift,
  status, errors, ``--debug`` output, eval records, JUnit);
- ``seal`` / ``unseal``: a saved plan and the last-applied record carry a marker with a salted
  digest of the value instead of the value (``{{agentctl-sensitive:NAME:DIGEST}}``); applying
  the plan re-resolves the marker from the project's current value and refuses the plan as
  stale when that value's digest changed.

Apply sends the real value: the registry only changes what is shown and stored.

A process-wide registry, reset by the CLI at the start of every run (like a CI system's list
of masked strings). Must not: print, or import anything but the standard library and
``agentctl.errors``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from agentctl.errors import StalePlan

MASK = "(sensitive value)"
MIN_LENGTH = 4
"""Shorter values cannot be masked without masking every word or number they occur in."""

_lock = threading.Lock()
_by_value: dict[str, str] = {}
"""value -> variable name."""
_by_marker: dict[tuple[str, str], str] = {}
"""(name, digest) -> value."""
_ordered: tuple[str, ...] = ()

_MARKER = re.compile(r"\{\{agentctl-sensitive:([A-Za-z_][A-Za-z0-9_]*):([0-9a-f]{16,64})\}\}")


def _digest(name: str, value: str) -> str:
    # Salted with the name and agentctl's own tag: equal values of two variables differ, and a
    # table of digests of common strings made for another tool does not apply.
    return hashlib.sha256(f"agentctl-sensitive\0{name}\0{value}".encode("utf-8")).hexdigest()


def register(name: str, value: Any) -> None:
    """Mark ``value`` (the value of variable ``name``) sensitive for the rest of the run."""
    global _ordered
    text = str(value)
    if not text:
        return
    with _lock:
        _by_value[text] = name
        _by_marker[(name, _digest(name, text))] = text
        _ordered = tuple(sorted(_by_value, key=lambda v: (-len(v), v)))


def clear() -> None:
    global _ordered
    with _lock:
        _by_value.clear()
        _by_marker.clear()
        _ordered = ()


def active() -> bool:
    return bool(_ordered)


def _forms(value: str) -> tuple[str, ...]:
    # The value itself and as it appears inside JSON text (quotes, backslashes, control
    # characters escaped), so a JSON document written as text is masked too.
    escaped = json.dumps(value, ensure_ascii=False)[1:-1]
    return (value,) if escaped == value else (value, escaped)


def mask_text(text: str) -> str:
    """``text`` with every sensitive value replaced by ``(sensitive value)``."""
    if not _ordered or not isinstance(text, str):
        return text
    for v in _ordered:
        for form in _forms(v):
            if form in text:
                text = text.replace(form, MASK)
    return text


def mask(value: Any) -> Any:
    """``value`` (any JSON-like structure) with every string masked (``mask_text``)."""
    if not _ordered:
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {mask_text(k) if isinstance(k, str) else k: mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    return value


def seal(value: Any) -> Any:
    """``value`` with every sensitive value replaced by its marker (name and digest), for files
    that must be read back: saved plans, the last-applied record."""
    if not _ordered:
        return value
    if isinstance(value, str):
        for v in _ordered:
            if v in value:
                name = _by_value[v]
                value = value.replace(v, f"{{{{agentctl-sensitive:{name}:{_digest(name, v)}}}}}")
        return value
    if isinstance(value, dict):
        return {k: seal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [seal(v) for v in value]
    if isinstance(value, tuple):
        return [seal(v) for v in value]
    return value


def unseal(value: Any, *, strict: bool = True, what: str = "the saved plan") -> Any:
    """The inverse of ``seal`` with the project's current values. A marker whose variable is no
    longer sensitive, or whose value changed (another digest), raises ``StalePlan`` when
    ``strict``; else the marker stays (it then differs from any live value)."""
    if isinstance(value, str):
        if "{{agentctl-sensitive:" not in value:
            return value

        def sub(m: "re.Match[str]") -> str:
            name, dig = m.group(1), m.group(2)
            got = _by_marker.get((name, dig))
            if got is not None:
                return got
            if not strict:
                return m.group(0)
            known = any(n == name for n, _ in _by_marker)
            raise StalePlan(
                f"sensitive variable {name} " + ("changed since" if known else
                                                 "is no longer defined as sensitive for")
                + f" {what} was made",
                hint="make a new plan with `agentctl plan --out FILE` (the value is not shown)")

        return _MARKER.sub(sub, value)
    if isinstance(value, dict):
        return {k: unseal(v, strict=strict, what=what) for k, v in value.items()}
    if isinstance(value, list):
        return [unseal(v, strict=strict, what=what) for v in value]
    return value


__all__ = ["MASK", "MIN_LENGTH", "register", "clear", "active", "mask", "mask_text", "seal",
           "unseal"]
