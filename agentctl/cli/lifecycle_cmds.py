"""Commands: plan, apply, promote, rollback, history, status, destroy, adopt.

Thin: each parses its flags, calls one function of ``agentctl.apply.lifecycle``, renders the result on
stdout (progress and diagnostics on stderr) and returns an ``ExitCode``. Errors are raised as
``AgentctlError`` and turned into messages and exit codes by the one boundary in
``agentctl.cli``.
"""

import os
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer

from agentctl.cli.lazy import lazy
from agentctl.cli.app import app, in_project_dir, project_dir
from agentctl.cli import ci_out, warm
from agentctl.cli.options import (
    all_envs_option,
    envs_option,
    lock_timeout_option,
    output_option,
    resolve_envs,
)
from agentctl.errors import AgentctlError, StalePlan, UsageError
from agentctl.exitcodes import ExitCode

console = lazy("agentctl.console")

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
             flag: str = "--auto-approve", alternative: str | None = None) -> None:
    """The one confirmation prompt (``agentctl.console.confirm``): asks on a terminal; when
    non-interactive (``CI`` set, or no terminal) refuses unless ``--auto-approve`` / ``--yes``
    was given."""
    console.confirm(question, auto_approve=auto_approve, what=what, flag=flag,
                    alternative=alternative)


SAVED_PLAN_WAY = ("apply a reviewed saved plan: `agentctl plan --out FILE`, then "
                  "`agentctl apply FILE` (never prompts)")


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


def _warn(ctx: Any, command: str = "plan") -> None:
    """Spec warnings (``agentctl validate`` shows them too) on stderr, without failing; under
    GitHub Actions also as ``::warning`` annotations."""
    for w in getattr(ctx.project, "warnings", None) or ():
        console.err(w.render())
    ci_out.warnings(ctx.project, command)


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
    env: Optional[List[str]] = envs_option(),
    all_envs: bool = all_envs_option(),
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
    """Show what apply would change (read-only). Several environments (-e A -e B, --all-envs)
    make one combined plan."""
    start = project_dir()
    plans, projects = [], []
    for name in resolve_envs(env, all_envs, start):
        # The plan's first reads (ListAgents, tags) leave while the specs load (read-only, no
        # lock taken: apply/context.py).
        with lifecycle.opened(start, name, early_reads=lifecycle.plan_reads) as ctx:
            _warn(ctx)
            if not plans:
                # What the plan is rendered with, imported while the live reads wait on the
                # network (agentctl.cli.warm).
                warm.in_background(_PLAN_RENDERING[output])
            plans.append(lifecycle.compute_plan(ctx, only_agents=_agents(agent), prune=prune))
            projects.append(ctx.project)
    if out is not None:
        from agentctl.plan.codec import dumps, dumps_set

        _write_atomic(in_project_dir(out), dumps(plans[0]) if len(plans) == 1
                      else dumps_set(plans))
        console.err(f"Saved the plan to {out}; apply it with `agentctl apply {out}`.")
    if len(plans) == 1:
        if output == "json":
            _json(_plan_doc(plans[0], projects[0]))
        else:
            _out(_render_plan(plans[0], output, show_steps=steps, project=projects[0]))
    elif output == "json":
        _json(_plan_set_doc(plans, projects))
    elif output == "markdown":
        from agentctl.render.markdown import plan_summary

        _out(plan_summary(plans, budget=PR_COMMENT_LIMIT))
    else:
        _out("\n".join(_render_plan(p, "human", show_steps=steps, project=proj)
                       for p, proj in zip(plans, projects)))
    ci_out.plan_summary(plans)
    # Aggregated over every agent of every environment: any change -> 2 (errors raised above
    # already decided the code).
    if detailed_exitcode and any(p.has_changes for p in plans):
        return int(ExitCode.CHANGES)
    return int(ExitCode.OK)


_PLAN_RENDERING = {
    fmt: ("agentctl.console", "agentctl.eval.gate", f"agentctl.render.{module}")
    for fmt, module in (("human", "human"), ("json", "json"), ("markdown", "markdown"))}
"""The modules ``plan -o FORMAT`` imports after its reads (tests/test_cli_startup.py)."""

PR_COMMENT_LIMIT = 65536
"""GitHub refuses a pull-request comment body longer than this (characters): a combined
Markdown plan is folded and cut to fit, like the step summary."""


def _plan_doc(plan: Any, project: Any) -> dict[str, Any]:
    from agentctl.eval.gate import gated_aliases
    from agentctl.render.json import plan_to_document

    doc = plan_to_document(plan)
    gates = gated_aliases(project)
    if gates:
        doc["gates"] = gates
    return doc


def _plan_set_doc(plans: list[Any], projects: list[Any]) -> dict[str, Any]:
    """``plan --output json`` of several environments: one document, one plan document per
    environment (each as for one environment) and the totals."""
    from agentctl.plan.model import FORMAT_VERSION

    docs = [_plan_doc(p, proj) for p, proj in zip(plans, projects)]
    total = {k: sum(d["summary"][k] for d in docs) for k in ("add", "change", "destroy")}
    return {"format_version": FORMAT_VERSION, "kind": "plan_set", "project": plans[0].project,
            "environments": [p.environment for p in plans], "plans": docs,
            "summary": {**total, "has_changes": any(p.has_changes for p in plans),
                        "changed_environments": [p.environment for p in plans
                                                 if p.has_changes]}}


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
    env: Optional[List[str]] = envs_option(),
    all_envs: bool = all_envs_option(),
    agent: Optional[List[str]] = typer.Option(None, "--agent", metavar="NAME", callback=_check_agent_names,
        help="Only this agent (repeatable)."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Do not ask for confirmation."),
    output: str = output_option("human", "json", "markdown"),
    prune: bool = typer.Option(False, "--prune", help="Also delete agents of this project whose "
                                                      "spec was removed."),
    lock_timeout: Optional[str] = lock_timeout_option(),
) -> int:
    """Make the live agents match the specs (or apply a saved plan exactly). Several
    environments (-e A -e B, --all-envs) are planned, confirmed once and applied in order."""
    from agentctl.plan.model import PlanSet

    if planfile is not None and (agent or prune):
        raise UsageError("--agent and --prune shape a new plan; a saved plan is applied as is",
                         hint="pass them to `agentctl plan --out` instead")
    if planfile is not None and all_envs:
        raise UsageError("--all-envs shapes a new plan; a saved plan is applied to the "
                         "environments it was made for",
                         hint="pass it to `agentctl plan --all-envs --out FILE` instead")
    saved = _load_planfile(in_project_dir(planfile)) if planfile is not None else None
    start = project_dir()
    if isinstance(saved, PlanSet):
        _check_plan_envs(saved.environments, env)
        return _apply_many(start, list(saved.environments), saved, agent=None, prune=False,
                           auto_approve=True, output=output, lock_timeout=lock_timeout)
    if saved is not None:
        _check_plan_envs((saved.environment,), env)
        names: list[str | None] = [saved.environment]
    else:
        names = resolve_envs(env, all_envs, start)
    if len(names) > 1:
        return _apply_many(start, names, None, agent=agent, prune=prune,
                           auto_approve=auto_approve, output=output, lock_timeout=lock_timeout)
    with lifecycle.opened(start, names[0]) as ctx:
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
                _warn(ctx, "apply")
                plan = lifecycle.compute_plan(ctx, only_agents=_agents(agent), prune=prune)
                if output == "human":
                    _out(_render_plan(plan, "human"))
                if not plan.has_changes:
                    _emit_result(plan, None, output)
                    ci_out.apply_summary([(plan, None)])
                    return int(ExitCode.OK)
                if output != "human" and not auto_approve:
                    # The plan must be seen before it is approved: show it on stderr.
                    console.err(_render_plan(plan, "human"))
                _confirm("Apply these changes?", auto_approve=auto_approve, what="apply",
                         alternative=SAVED_PLAN_WAY)
            with console.progress() as progress:
                result = lifecycle.apply_plan(ctx, plan, progress=progress)
    _emit_result(plan, result, output)
    ci_out.apply_summary([(plan, result)])
    lifecycle.raise_for_result(result)
    return int(ExitCode.OK)


def _check_plan_envs(planned: tuple[str, ...], env: list[str] | None) -> None:
    """``-e`` given with a saved plan must name exactly its environments. Refused before any
    target is opened: ``-e prod`` would otherwise fail on prod's credentials, hiding that the
    plan is simply for another environment."""
    if not env or sorted(set(env)) == sorted(planned):
        return
    got = ", ".join(repr(e) for e in env)
    want = ", ".join(repr(e) for e in planned)
    noun = "environment" if len(planned) == 1 else "environments"
    raise StalePlan(f"the plan is for {noun} {want}, not {got} (from -e/--env)",
                    hint="drop -e to apply it to its own environments, or create a new plan "
                         f"with `agentctl plan {' '.join('-e ' + e for e in env)} --out FILE`")


def _apply_many(start: Path, names: list[Any], saved: Any, *, agent: Any, prune: bool,
                auto_approve: bool, output: str, lock_timeout: float | None) -> int:
    """apply over several environments: every environment opened and locked (each its own
    backend's lock, taken once however many environments share it, in a fixed order so two
    runs cannot deadlock), every plan made or, for a saved plan set, checked against its
    environment before anything is applied (a stale environment refuses the whole set); one
    confirmation; then the environments in order. The first that fails stops the run: the
    later ones are not touched (they are reported as not applied)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        ctxs = [stack.enter_context(lifecycle.opened(start, name)) for name in names]
        taken: set[str] = set()
        for ctx in sorted(ctxs, key=lambda c: c.state.where("lock")):
            key = ctx.state.where("lock")
            if key in taken:
                continue
            taken.add(key)
            stack.enter_context(lifecycle.project_lock(ctx, lock_timeout, progress=console.err,
                                                       command="agentctl apply"))
        if saved is not None:
            from agentctl.plan.codec import unseal_plan

            # Every environment's project is loaded now, so every sensitive marker resolves
            # (or the plan is stale: a value changed since it was made).
            plans = [unseal_plan(p) for p in saved.plans]
            for ctx, plan in zip(ctxs, plans):
                lifecycle.check_saved_plan(ctx, plan)
        else:
            plans = []
            for ctx in ctxs:
                _warn(ctx, "apply")
                plans.append(lifecycle.compute_plan(ctx, only_agents=_agents(agent),
                                                    prune=prune))
            preview = "\n".join(_render_plan(p, "human", project=c.project)
                                 for p, c in zip(plans, ctxs))
            if output == "human":
                _out(preview)
            if any(p.has_changes for p in plans):
                if output != "human" and not auto_approve:
                    console.err(preview)
                changed = ", ".join(p.environment for p in plans if p.has_changes)
                _confirm(f"Apply these changes to {changed}?", auto_approve=auto_approve,
                         what="apply", alternative=SAVED_PLAN_WAY)
        runs: list[tuple[Any, Any]] = []
        skipped: list[str] = []
        failed = None
        for ctx, plan in zip(ctxs, plans):
            if failed is not None:
                skipped.append(ctx.env_name)
                continue
            if saved is None and not plan.has_changes:
                runs.append((plan, None))
                continue
            console.err(f"== environment {ctx.env_name} ==")
            with console.progress() as progress:
                result = lifecycle.apply_plan(ctx, plan, progress=progress)
            runs.append((plan, result))
            if not result.ok:
                failed = result
    _emit_many(runs, skipped, output)
    ci_out.apply_summary(runs, skipped=skipped)
    if failed is not None:
        lifecycle.raise_for_result(failed)
    return int(ExitCode.OK)


def _emit_many(runs: list[tuple[Any, Any]], skipped: list[str], output: str) -> None:
    from agentctl.plan.model import FORMAT_VERSION

    if output == "json":
        _json({"format_version": FORMAT_VERSION, "kind": "apply_set",
               "project": runs[0][0].project if runs else None,
               "ok": all(r is None or r.ok for _, r in runs) and not skipped,
               "environments": [{"environment": p.environment, **_apply_doc(p, r)}
                                for p, r in runs],
               "not_applied": skipped})
    elif output == "markdown":
        from agentctl.render.markdown import apply_summary

        _out(apply_summary(runs, budget=PR_COMMENT_LIMIT, skipped=skipped))
    else:
        from agentctl.render.result import render_apply_result

        parts = []
        for plan, result in runs:
            head = f"== environment {plan.environment} =="
            parts.append(head + "\n" + ("No changes." if result is None else
                                        render_apply_result(result, plan=plan, color=_color())))
        for e in skipped:
            parts.append(f"== environment {e} ==\nnot applied: an earlier environment failed")
        _out("\n".join(parts))


def _apply_doc(plan: Any, result: Any) -> dict[str, Any]:
    from agentctl.plan.model import FORMAT_VERSION
    from agentctl.render.json import plan_to_document
    from agentctl.render.result import apply_result_document

    return {"format_version": FORMAT_VERSION, "kind": "apply",
            "plan": plan_to_document(plan),
            "result": apply_result_document(result, plan) if result is not None else None}


def _emit_result(plan: Any, result: Any, output: str) -> None:
    """The result of one environment's apply (``result`` None: there was nothing to do; the
    human output has already said "No changes" with the plan)."""
    from agentctl.render.result import render_apply_result

    if output == "json":
        _json(_apply_doc(plan, result))
    elif output == "markdown":
        from agentctl.render.markdown import render_apply_markdown

        _out(render_apply_markdown(plan, result))
    elif result is not None:
        _out(render_apply_result(result, plan=plan, color=_color()))


def _load_planfile(path: Path) -> Any:
    """The saved plan named on the command line. Every way the file can be unusable (missing,
    unreadable, empty, not UTF-8, not JSON, not a plan, damaged) is the same kind of mistake,
    the argument, and gets one exit code: USAGE (exitcodes.py). A well-formed plan that no
    longer applies is STALE_PLAN, decided later."""
    from agentctl.plan.codec import loads_any

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
        return loads_any(text, source=str(path))
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
