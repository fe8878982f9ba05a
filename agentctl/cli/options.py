"""Options shared by every command: ``--output`` and the error wording for a bad format.

``output_option("human", "json")`` is the one ``--output/-o`` option: its help lists the formats,
a value outside them is a usage error worded the same for every command
(``--output must be one of human, json (got 'markdown')``), and the chosen format is remembered
for the run so the CLI boundary (``agentctl.cli``) can print a JSON error document on stdout when
a ``--output json`` command fails. Must not: import boto3/botocore or anything that loads specs
(``agentctl --help`` imports this).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer

from agentctl.errors import UsageError


@dataclass
class RunState:
    """What the boundary needs to know about the command being run."""

    output: str = "human"


RUN = RunState()


def check_output(value: str, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``, else the one usage error every command gives."""
    if value not in allowed:
        raise UsageError(f"--output must be one of {', '.join(allowed)} (got {value!r})",
                         hint=f"e.g. --output {allowed[-1] if len(allowed) > 1 else allowed[0]}")
    return value


def output_option(*formats: str, default: str = "human") -> Any:
    """The ``--output/-o FORMAT`` option accepting exactly ``formats``."""
    allowed = tuple(formats)

    def _callback(value: str) -> str:
        value = check_output(value, allowed)
        RUN.output = value
        return value

    return typer.Option(default, "--output", "-o", metavar="|".join(allowed),
                        callback=_callback, help=f"Output format: {', '.join(allowed)}.")


def _parse_lock_timeout(value: str | None) -> float | None:
    if value is None:
        return None
    from agentctl.locks import parse_timeout

    return parse_timeout(value, "--lock-timeout")


def lock_timeout_option() -> Any:
    """``--lock-timeout DURATION`` of every command that takes the project lock: how long to
    wait for another run holding it (``30``, ``30s``, ``5m``; default AGENTCTL_LOCK_TIMEOUT, else
    10 s)."""
    return typer.Option(None, "--lock-timeout", metavar="DURATION", callback=_parse_lock_timeout,
                        help="How long to wait for the project lock held by another run "
                             "(e.g. 60s, 5m; default AGENTCTL_LOCK_TIMEOUT, else 10s).")


ENV_HELP = ("Environment from agentctl.yaml (default: AGENTCTL_ENV, then defaultEnvironment); "
            "repeatable: -e dev -e prod plans / applies several in one run.")


def envs_option() -> Any:
    """``-e/--env ENV``, repeatable (validate, plan, apply): several environments in one run."""
    return typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP)


def all_envs_option() -> Any:
    return typer.Option(False, "--all-envs", help="Every environment of agentctl.yaml, in the "
                                                  "order it declares them.")


def resolve_envs(envs: list[str] | None, all_envs: bool, start: Any) -> list[str | None]:
    """The environments a run covers, in order: ``[None]`` (the default one: AGENTCTL_ENV, then
    defaultEnvironment) when none is named, each ``-e`` once, or every one with ``--all-envs``."""
    if all_envs and envs:
        raise UsageError("--all-envs and -e/--env select the environments twice",
                         hint="pass either --all-envs or one -e ENV per environment")
    if all_envs:
        from agentctl.spec.project import environment_names

        return list(environment_names(start))
    if not envs:
        return [None]
    out: list[str | None] = []
    for e in envs:
        if not e.strip():
            raise UsageError("-e/--env needs an environment name, got an empty one",
                             hint="e.g. -e staging; leave -e out for the default environment")
        if e not in out:
            out.append(e)
    return out
