"""Every process exit code agentctl can return, named once.

Scripts and CI pipelines depend on these numbers: never renumber one, only add.
`2` is reserved for "changes present" (``plan --detailed-exitcode``), exactly as Terraform does,
so no other failure may use it: typer/click usage errors (click's default is 2) are remapped to
USAGE.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    """Success; for ``plan --detailed-exitcode``: no changes."""
    ERROR = 1
    """Any failure not named below (AWS error, failed apply, internal error)."""
    CHANGES = 2
    """``plan --detailed-exitcode`` only: the plan has changes."""
    INVALID_SPEC = 3
    """A spec or project file is invalid (``validate``, and every command that loads specs)."""
    STALE_PLAN = 4
    """A saved plan no longer matches live state, target, or was already applied."""
    USAGE = 5
    """Bad command-line usage (unknown flag, missing argument). Click uses 2; we remap."""
    LOCK_TIMEOUT = 6
    """Another agentctl process holds the project / emulator lock."""
    NOT_OWNED = 7
    """Refused to touch an agent agentctl does not own (see ``agentctl adopt``)."""
    APPLY_FAILED = 8
    """An apply (or promote/rollback/destroy) stopped part-way; the report says what remains."""
    ABORTED = 9
    """The user declined the confirmation prompt, or interrupted agentctl before it changed
    anything."""
    EVAL_FAILED = 10
    """Reserved for evaluation runs (``invoke``/eval suites) whose assertions failed."""
    HANDLER_FAILED = 11
    """A return-of-control handler of ``invoke``/``chat`` is missing, raised, or returned a
    result of the wrong shape; nothing was sent back to the agent."""
    INTERRUPTED = 12
    """apply / promote / rollback / destroy / adopt was interrupted (Ctrl-C, SIGTERM) while
    changing things: the calls in flight were finished (or abandoned with a second Ctrl-C) and
    the report lists what completed, what was in flight and what did not run."""
