"""Every process exit code agentctl can return, named once.

Scripts and CI pipelines depend on these numbers: never renumber one, only add.
`2` is reserved for "changes present" (``plan --detailed-exitcode``), exactly as Terraform does,
so no other failure may use it: typer/click usage errors (click's default is 2) are remapped to
USAGE.

**The rule** (which code a failure gets is decided by *whose input is wrong*, not by where in the
code it is noticed; README's exit-code table says the same):

- ``USAGE`` (5): the **invocation** is wrong: anything given on the command line or in an
  ``AGENTCTL_*`` variable. Unknown flags, missing arguments, bad option values; a file or
  directory named there that is missing, unreadable or not what it must be (a plan file that
  does not exist, is empty, corrupt or not a plan; ``-C`` to a file or a missing directory); a
  name given there that does not resolve (an environment from ``-e`` or ``AGENTCTL_ENV``, an
  ``--agent``, alias or version that the project or the target does not have, including an
  agent of the project that was deleted from the target); a required choice not made
  (several environments and none selected); a confirmation refused for lack of a terminal.
- ``INVALID_SPEC`` (3): the **project's files** are wrong: ``agentctl.yaml`` and agent specs
  (syntax, schema, Bedrock's rules, references, a ``defaultEnvironment`` that is not defined),
  or no project is found at all.
- ``STALE_PLAN`` (4): a well-formed saved plan that **no longer applies**: made for another
  project, environment, target or plan format, already applied, the live agents changed, or the
  project's configuration changed since the plan was made.
- ``ERROR`` (1): the **target or the machine** failed: an AWS / emulator error after retries,
  an unusable local state file or lock directory (the emulator's state file is the local
  target's storage, however its path was given), an internal error.
- ``INTERRUPTED`` (12): a signal (Ctrl-C, SIGTERM) stopped the command, whichever command and
  whatever it was doing (click's own "Aborted!" / exit 1 and typer's silent exit 130 are
  replaced by this). Ctrl-C *at the confirmation prompt* answers it: ``ABORTED`` (9).
- The remaining codes name one situation each (changes present, lock timeout, not owned,
  partial apply, aborted, eval failed).
"""

from __future__ import annotations

import enum


@enum.unique  # a second name for a number would be an alias, invisible to iteration
class ExitCode(enum.IntEnum):
    OK = 0
    """Success; for ``plan --detailed-exitcode``: no changes."""
    ERROR = 1
    """Any failure not named below (AWS error, failed apply, internal error)."""
    CHANGES = 2
    """``--detailed-exitcode`` only: the plan has changes (``plan``), or something drifted
    (``drift``)."""
    INVALID_SPEC = 3
    """A spec or project file is invalid (``validate``, and every command that loads specs)."""
    STALE_PLAN = 4
    """A saved plan no longer applies: live state, target or the project's configuration changed
    since it was made, or it was already applied."""
    USAGE = 5
    """The invocation is wrong (flags, arguments, files and names given on the command line or
    in AGENTCTL_* variables; see the rule above). Click uses 2; we remap."""
    LOCK_TIMEOUT = 6
    """Another agentctl process holds the project / emulator lock."""
    NOT_OWNED = 7
    """Refused to touch an agent agentctl does not own (see ``agentctl adopt``)."""
    APPLY_FAILED = 8
    """An apply (or promote/rollback/destroy) stopped part-way; the report says what remains."""
    ABORTED = 9
    """The user declined the confirmation prompt (answered no, closed stdin, or pressed Ctrl-C
    at the prompt itself)."""
    EVAL_FAILED = 10
    """``agentctl eval``: a suite's pass rate is below its threshold (the report says which
    cases failed and how)."""
    HANDLER_FAILED = 11
    """A return-of-control handler of ``invoke``/``chat`` is missing, raised, or returned a
    result of the wrong shape; nothing was sent back to the agent."""
    INTERRUPTED = 12
    """A signal (Ctrl-C = SIGINT, or SIGTERM) stopped the command, whatever it was doing: reading
    (plan, drift, status), validating, invoking, evaluating, waiting for the lock, or changing
    things. In apply / promote / rollback / destroy / adopt the calls in flight were finished
    (or abandoned with a second Ctrl-C) and the report lists what completed, what was in flight
    and what did not run. Never a traceback; with ``--output json`` still one document."""
    GATE_REFUSED = 13
    """``agentctl promote``: the alias is gated and the version has no passing eval run of the
    current suites (``--skip-eval --reason TEXT`` overrides, recorded)."""
