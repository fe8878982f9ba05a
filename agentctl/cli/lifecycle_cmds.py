"""Commands: plan, apply, promote, rollback, history, status, destroy, adopt.

Thin: each parses its flags, calls one function of ``agentctl.apply.lifecycle``, renders the result on
stdout (progress and diagnostics on stderr) and returns an ``ExitCode``. Errors are raised as
``AgentctlError`` and turned into messages and exit codes by the one boundary in
``agentctl.cli``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer

from agentctl import console
from agentctl.cli.app import app, in_project_dir, project_dir
from agentctl.cli.options import lock_timeout_option, output_option
from agentctl.errors import AgentctlError, StalePlan, UsageError
from agentctl.exitcodes import ExitCode

ENV_HELP = "Environment from agentctl.yaml (default: AGENTCTL_ENV, then defaultEnvironment)."


class _Lazy:
    """``agentctl.apply.lifecycle``, imported on first use: it pulls in boto3/botocore, which
    ``agentctl --help`` must not pay for (the import-time test checks it)."""

    def __getattr__(self, name: str) -> Any:
        from agentctl.apply import lifecycle as module

        return getattr(module, name)


lifecycle: Any = _Lazy()


def _out(text: Any) -> None:
    console.out(text)


def _json(doc: Any) -> None:
    console.json_out(doc)


def _confirm(question: str, *, auto_approve: bool, what: str,
             flag: str = "--auto-approve") -> None:
    """The one confirmation prompt (``agentctl.console.confirm``): asks on a terminal; without
    one refuses unless ``--auto-approve`` / ``--yes`` was given."""
    console.confirm(question, auto_approve=auto_approve, what=what, flag=flag)


def _render_plan(plan: Any, output: str, *, show_steps: bool = False,
                 project: Any = None) -> str:
    """``project``: also say which aliases are gated by eval suites (``plan``)."""
    from agentctl.eval.gate import gate_summary, gated_aliases

    gates = gated_aliases(project) if project is not None else {}
    if output == "json":
        from agentctl.render.json import plan_to_document

        doc = plan_to_document(plan)
        if gates:
            doc["gates"] = gates
        return console.json_text(doc)
    notes = "".join(f"\n{line}" for line in gate_summary(project)) if gates else ""
    if output == "markdown":
        from agentctl.render.markdown import render_markdown

        return render_markdown(plan) + notes
    from agentctl.render.human import render_plan

    return render_plan(plan, color=_color(), show_steps=show_steps) + notes


def _color() -> bool:
    import sys

    # Renderers return plain strings for the human plan (golden bytes); colour is baked in here
    # when stdout gets it (a terminal, or FORCE_COLOR).
    return console.color_enabled(sys.stdout)


def _warn(ctx: Any) -> None:
    """Spec warnings (``agentctl validate`` shows them too) on stderr, without failing."""
    for w in getattr(ctx.project, "warnings", None) or ():
        console.err(w.render())


def _check_agent_names(value: Any) -> Any:
    """``--agent`` callback: an empty name is a mistake (an unset shell variable, ``--agent ""``),
    not a filter that matches nothing; refuse it before anything is opened."""
    for name in ([value] if isinstance(value, str) else value or ()):
        if not name.strip():
            raise UsageError("--agent needs an agent name, got an empty one",
                             hint="e.g. --agent support-bot; leave --agent out to include "
                                  "every agent of the project")
    return value


def _agents(agent: Optional[List[str]]) -> list[str] | None:
    return list(agent) if agent else None


# -------------------------------------------------------------------------------- plan

@app.command("plan")
def plan_cmd(
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    agent: Optional[List[str]] = typer.Option(None, "--agent", metavar="NAME", callback=_check_agent_names,
        help="Only this agent (repeatable)."),
    out: Optional[Path] = typer.Option(None, "--out", metavar="FILE", help="Save the plan to FILE for "
                                       "`agentctl apply FILE`."),
    detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode",
                                           help="Exit 2 when there are changes, 0 when none."),
    output: str = output_option("human", "json", "markdown"),
    prune: bool = typer.Option(False, "--prune", help="Also delete agents of this project whose "
                                                      "spec was removed."),
    steps: bool = typer.Option(False, "--steps", help="Also list the exact API calls apply "
                                                      "will make, in order (human output)."),
) -> int:
    """Show what apply would change (read-only)."""
    with lifecycle.opened(project_dir(), env) as ctx:
        _warn(ctx)
        plan = lifecycle.compute_plan(ctx, only_agents=_agents(agent), prune=prune)
    if out is not None:
        from agentctl.plan.codec import dumps

        _write_atomic(in_project_dir(out), dumps(plan))
        console.err(f"Saved the plan to {out}; apply it with `agentctl apply {out}`.")
    if output == "json":
        from agentctl.eval.gate import gated_aliases
        from agentctl.render.json import plan_to_document

        doc = plan_to_document(plan)
        gates = gated_aliases(ctx.project)
        if gates:
            doc["gates"] = gates
        _json(doc)
    else:
        _out(_render_plan(plan, output, show_steps=steps, project=ctx.project))
    if detailed_exitcode and plan.has_changes:
        return int(ExitCode.CHANGES)
    return int(ExitCode.OK)


def _write_atomic(path: Path, text: str) -> None:
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"cannot write the plan to {path}: it is a directory",
                         hint="pass a file name to --out, e.g. --out change.plan")
    if path.parent and not path.parent.exists():
        raise UsageError(f"cannot write {path}: directory {path.parent} does not exist")
    if path.parent and not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: {path.parent} is not a directory",
                         hint="pass a file name inside a directory to --out")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        # e.g. a read-only directory or a full disk: say so, and leave no half-written
        # temporary file behind. The clean-up itself fails on a read-only file system (unlink
        # answers EROFS even for a file that was never created): that must not replace the
        # real cause with an internal error.
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise UsageError(f"cannot write the plan to {path}: {e.strerror or e}",
                         hint="pass a writable path to --out (a directory you can write to, "
                              "on a file system with free space)") from None


# ------------------------------------------------------------------------------- apply

@app.command("apply")
def apply_cmd(
    planfile: Optional[Path] = typer.Argument(None, metavar="PLANFILE", help="A plan saved by `agentctl plan --out`; "
                                              "applied exactly, without prompting."),
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    agent: Optional[List[str]] = typer.Option(None, "--agent", metavar="NAME", callback=_check_agent_names,
        help="Only this agent (repeatable)."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Do not ask for confirmation."),
    output: str = output_option("human", "json"),
    prune: bool = typer.Option(False, "--prune", help="Also delete agents of this project whose "
                                                      "spec was removed."),
    lock_timeout: Optional[str] = lock_timeout_option(),
) -> int:
    """Make the live agents match the specs (or apply a saved plan exactly)."""
    if planfile is not None and (agent or prune):
        raise UsageError("--agent and --prune shape a new plan; a saved plan is applied as is",
                         hint="pass them to `agentctl plan --out` instead")
    saved = _load_planfile(in_project_dir(planfile)) if planfile is not None else None
    if saved is not None and env and env != saved.environment:
        # Refuse before opening the target: -e prod would otherwise fail on prod's credentials,
        # hiding that the plan is simply for another environment.
        raise StalePlan(f"the plan is for environment {saved.environment!r}, not {env!r} "
                        "(from -e/--env)",
                        hint="drop -e to apply it to its own environment, or create a new plan "
                             f"with `agentctl plan -e {env} --out FILE`")
    with lifecycle.opened(project_dir(), env or (saved.environment if saved else None)) as ctx:
        with lifecycle.project_lock(ctx, lock_timeout, progress=console.err,
                                    command="agentctl apply"):
            if saved is not None:
                # The file holds markers for sensitive values; the project (loaded now) has
                # the values, or says the plan is stale (one changed).
                from agentctl.plan.codec import unseal_plan

                saved = unseal_plan(saved)
                # Applied exactly as reviewed, without reprinting it (Terraform's `apply
                # PLANFILE`): the result says what was done.
                lifecycle.check_saved_plan(ctx, saved)
                plan = saved
            else:
                _warn(ctx)
                plan = lifecycle.compute_plan(ctx, only_agents=_agents(agent), prune=prune)
                if output == "human":
                    _out(_render_plan(plan, "human"))
                if not plan.has_changes:
                    if output == "json":
                        _json(_apply_doc(plan, None))
                    return int(ExitCode.OK)
                if output == "json" and not auto_approve:
                    # The plan must be seen before it is approved: show it on stderr.
                    console.err(_render_plan(plan, "human"))
                _confirm("Apply these changes?", auto_approve=auto_approve, what="apply")
            with console.progress() as progress:
                result = lifecycle.apply_plan(ctx, plan, progress=progress)
    _emit_result(plan, result, output)
    lifecycle.raise_for_result(result)
    return int(ExitCode.OK)


def _apply_doc(plan: Any, result: Any) -> dict[str, Any]:
    from agentctl.plan.model import FORMAT_VERSION
    from agentctl.render.json import plan_to_document
    from agentctl.render.result import apply_result_document

    return {"format_version": FORMAT_VERSION, "kind": "apply",
            "plan": plan_to_document(plan),
            "result": apply_result_document(result, plan) if result is not None else None}


def _emit_result(plan: Any, result: Any, output: str) -> None:
    from agentctl.render.result import render_apply_result

    if output == "json":
        _json(_apply_doc(plan, result))
    else:
        _out(render_apply_result(result, plan=plan, color=_color()))


def _load_planfile(path: Path) -> Any:
    """The saved plan named on the command line. Every way the file can be unusable (missing,
    unreadable, empty, not UTF-8, not JSON, not a plan, damaged) is the same kind of mistake,
    the argument, and gets one exit code: USAGE (exitcodes.py). A well-formed plan that no
    longer applies is STALE_PLAN, decided later."""
    from agentctl.plan.codec import loads

    hint = "pass the file written by `agentctl plan --out FILE`"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"plan file {path} does not exist", hint=hint) from None
    except UnicodeDecodeError:
        # Binary garbage is "not a saved plan", like truncated JSON: same message, same exit code.
        raise UsageError("not a saved plan (not UTF-8 JSON text)", where=str(path),
                         hint="re-create it with `agentctl plan --out FILE`") from None
    except OSError as e:
        raise UsageError(f"cannot read plan file {path}: {e.strerror or e}", hint=hint) from None
    if not text.strip():
        raise UsageError("not a saved plan (the file is empty)", where=str(path),
                         hint="re-create it with `agentctl plan --out FILE`")
    try:
        return loads(text, source=str(path))
    except StalePlan:
        raise
    except AgentctlError as e:
        raise UsageError(e.what, where=e.where, hint=e.hint) from None


# --------------------------------------------------------------------- promote / rollback

def _move(fn: Callable[..., Any], command: str, env: Optional[str], output: str,
          lock_timeout: float | None = None, **kw: Any) -> int:
    from agentctl.render.result import move_document, render_move

    with lifecycle.opened(project_dir(), env) as ctx:
        with lifecycle.project_lock(ctx, lock_timeout, progress=console.err,
                                    command=f"agentctl {command}"):
            with console.progress() as progress:
                move = fn(ctx, progress=progress, **kw)
    if output == "json":
        _json(move_document(move, command))
    else:
        _out(render_move(move))
    return int(ExitCode.OK)


@app.command("promote")
def promote_cmd(
    alias: str = typer.Argument(..., metavar="ALIAS", help="The alias to move, e.g. PROD."),
    agent: str = typer.Option(..., "--agent", metavar="NAME", callback=_check_agent_names,
        help="The agent whose alias moves."),
    version: Optional[str] = typer.Option(None, "--version", metavar="N", help="Route the alias to version N."),
    from_alias: Optional[str] = typer.Option(None, "--from", metavar="ALIAS", help="Route it to the version "
                                             "another alias serves (e.g. STAGING)."),
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    output: str = output_option("human", "json"),
    skip_eval: bool = typer.Option(False, "--skip-eval", help="Promote a gated alias without "
                                   "a passing eval run (needs --reason; recorded)."),
    reason: Optional[str] = typer.Option(None, "--reason", metavar="TEXT",
                                         help="Why the eval gate is skipped (with --skip-eval)."),
    lock_timeout: Optional[str] = lock_timeout_option(),
) -> int:
    """Point an alias at a version (prints e.g. `PROD: 7 -> 8`); a gated alias needs a passing
    `agentctl eval` run of that version."""
    if skip_eval and not (reason or "").strip():
        raise UsageError("--skip-eval needs --reason TEXT saying why the eval gate is skipped",
                         hint='e.g. --skip-eval --reason "hotfix INC-123; suite run pending"')
    if reason is not None and not skip_eval:
        raise UsageError("--reason goes with --skip-eval",
                         hint="pass --skip-eval --reason TEXT to promote past the eval gate")
    from agentctl.eval import gate

    # promote with the eval gate (settings.gates): refused, exit GATE_REFUSED, before anything
    # moves when a gated alias's version has no passing eval run; --skip-eval is recorded.
    return _move(gate.promote, "promote", env, output, lock_timeout, agent_name=agent, alias=alias,
                 version=version, from_alias=from_alias,
                 skip_eval_reason=reason if skip_eval else None)


@app.command("rollback")
def rollback_cmd(
    alias: str = typer.Argument(..., metavar="ALIAS", help="The alias to move back, e.g. PROD."),
    agent: str = typer.Option(..., "--agent", metavar="NAME", callback=_check_agent_names,
        help="The agent whose alias moves."),
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    output: str = output_option("human", "json"),
    lock_timeout: Optional[str] = lock_timeout_option(),
) -> int:
    """Move an alias back to the previous version in its history."""
    return _move(lifecycle.rollback, "rollback", env, output, lock_timeout, agent_name=agent,
                 alias=alias)


@app.command("history")
def history_cmd(
    alias: str = typer.Argument(..., metavar="ALIAS", help="The alias, e.g. PROD."),
    agent: str = typer.Option(..., "--agent", metavar="NAME", callback=_check_agent_names,
        help="The agent."),
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    output: str = output_option("human", "json"),
) -> int:
    """List the versions an alias has served, newest first."""
    from agentctl.eval.gate import history_annotations
    from agentctl.render.result import history_document, history_table

    with lifecycle.opened(project_dir(), env) as ctx:
        live_agent, entries = lifecycle.history(ctx, agent, alias)
        # Each version's eval verdict and the gated promotions (--skip-eval reasons) to it.
        notes = history_annotations(ctx, agent, live_agent, alias, entries, warn=console.err)
    if output == "json":
        _json(history_document(agent, alias, entries, notes=notes))
    else:
        _out(history_table(agent, alias, entries,
                           notes={v: n.text() for v, n in notes.items() if n.text()}))
    return int(ExitCode.OK)


# ------------------------------------------------------------------------------ status

@app.command("status")
def status_cmd(
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    agent: Optional[List[str]] = typer.Option(None, "--agent", metavar="NAME", callback=_check_agent_names,
        help="Only this agent (repeatable)."),
    output: str = output_option("human", "json"),
) -> int:
    """Per agent: status, whether DRAFT matches the newest version, aliases, ownership."""
    from agentctl.render.result import status_document, status_table

    with lifecycle.opened(project_dir(), env) as ctx:
        statuses = lifecycle.status(ctx, _agents(agent))
        project, env_name = ctx.project.name, ctx.env_name
    if output == "json":
        _json(status_document(statuses, project=project, environment=env_name))
    else:
        _out(status_table(statuses))
    return int(ExitCode.OK)


# ----------------------------------------------------------------------------- destroy

@app.command("destroy")
def destroy_cmd(
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    agent: Optional[List[str]] = typer.Option(None, "--agent", metavar="NAME", callback=_check_agent_names,
        help="Only this agent (repeatable)."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Do not ask for confirmation."),
    output: str = output_option("human", "json"),
    lock_timeout: Optional[str] = lock_timeout_option(),
) -> int:
    """Delete the project's agents (aliases, action groups, then the agent)."""
    from agentctl.render.result import render_destroy_preview

    with lifecycle.opened(project_dir(), env) as ctx:
        with lifecycle.project_lock(ctx, lock_timeout, progress=console.err,
                                    command="agentctl destroy"):
            plan = lifecycle.plan_destroy(ctx, _agents(agent))
            preview = render_destroy_preview(plan)
            if output == "json":
                console.err(preview)
            else:
                _out(preview)
            if not plan.steps:
                if output == "json":
                    _json(_destroy_doc(plan, None))
                return int(ExitCode.OK)
            names = ", ".join(sorted({s.address.split(".")[1] for s in plan.steps}))
            _confirm(f"Destroy {names} in environment {ctx.env_name!r}? This cannot be undone.",
                     auto_approve=auto_approve, what="destroy")
            with console.progress() as progress:
                result = lifecycle.apply_plan(ctx, plan, progress=progress, record=False,
                                              serial=True)
    if output == "json":
        _json(_destroy_doc(plan, result))
    else:
        from agentctl.render.result import render_apply_result

        _out(render_apply_result(result, plan=plan, color=_color(), verb="Destroy"))
    lifecycle.raise_for_result(result)
    return int(ExitCode.OK)


def _destroy_doc(plan: Any, result: Any) -> dict[str, Any]:
    from agentctl.plan.model import FORMAT_VERSION
    from agentctl.render.result import apply_result_document

    return {"format_version": FORMAT_VERSION, "kind": "destroy",
            "steps": [{"address": s.address, "operation": s.operation,
                       "description": s.description} for s in plan.steps],
            "result": apply_result_document(result, plan) if result is not None else None}


# ------------------------------------------------------------------------------- adopt

@app.command("adopt")
def adopt_cmd(
    name: str = typer.Argument(..., metavar="NAME",
                               help="Name of an existing agent not yet managed by agentctl."),
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    auto_approve: bool = typer.Option(False, "--yes", "--auto-approve", help="Do not ask."),
    output: str = output_option("human", "json"),
    lock_timeout: Optional[str] = lock_timeout_option(),
) -> int:
    """Tag an existing agent as managed by this project (nothing else changes). Adopting an
    agent this project already manages changes nothing and succeeds."""
    with lifecycle.opened(project_dir(), env) as ctx:
        with lifecycle.project_lock(ctx, lock_timeout, progress=console.err,
                                    command="agentctl adopt"):
            cand = lifecycle.adopt_candidate(ctx, name)
            project = ctx.project.name
            if not cand.managed:
                if not cand.in_spec:
                    console.err(f"warning: no spec of this project names {name!r}; `agentctl "
                                "plan` will list it as removed (and `--prune` would delete it)")
                console.err(f"{name} ({cand.agent_id}) will be tagged "
                            f"agentctl:managed-by=agentctl, agentctl:project={project}; the "
                            "next apply makes it match its spec.")
                _confirm(f"Adopt {name}?", auto_approve=auto_approve, what="adopt", flag="--yes")
                with console.progress() as progress:
                    lifecycle.adopt(ctx, cand, progress=progress)
    if output == "json":
        _json({"format_version": 1, "kind": "adopt", "agent": name, "agent_id": cand.agent_id,
               "project": project, "changed": not cand.managed})
    elif cand.managed:
        _out(f"{name} is already managed by project {project}; nothing to do.")
    else:
        _out(f"{name} is now managed by project {project}. Run `agentctl plan` next.")
    return int(ExitCode.OK)


# ------------------------------------------------------------------------- force-unlock

@app.command("force-unlock")
def force_unlock_cmd(
    lock_id: str = typer.Argument(..., metavar="LOCK_ID", help="The lock id a waiting command "
                                  "printed (only that lock is released)."),
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    yes: bool = typer.Option(False, "--yes", "--force", help="Do not ask."),
    output: str = output_option("human", "json"),
) -> int:
    """Release a lock of the shared state backend (`backend: s3`) left by a run that died."""
    from agentctl.apply.state import backend_of
    from agentctl.spec import load_project

    project = load_project(project_dir(), env)
    state = backend_of(project)
    if state.kind != "local":
        held = state.holder()
        if held is not None and held.id == lock_id:
            console.err(f"The lock {lock_id} is held by {held.describe()}; releasing it lets "
                        "another run change the same agents while that one may still be "
                        "running.")
        _confirm(f"Release lock {lock_id}?", auto_approve=yes, what="force-unlock", flag="--yes")
    released = state.force_unlock(lock_id)
    if output == "json":
        _json({"format_version": 1, "kind": "force_unlock", "lock_id": released.id,
               "operation": released.operation, "who": released.who, "when": released.when})
    else:
        _out(f"Released lock {released.id} held by {released.describe()}.")
    return int(ExitCode.OK)


__all__ = ["force_unlock_cmd", "plan_cmd", "apply_cmd", "promote_cmd", "rollback_cmd", "history_cmd", "status_cmd",
           "destroy_cmd", "adopt_cmd"]
