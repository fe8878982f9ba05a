"""``agentctl validate [PATH ...] [-e ENV ...|--all-envs] [--output human|json] [--strict]``:
offline validation.

Several environments (``-e dev -e prod``, ``--all-envs``) are validated one after the other, each
with its variables and overlays; the JSON document then has one report per environment under
``environments`` and the verdict of all of them; exit INVALID_SPEC when any is invalid.
Under GitHub Actions every error and warning is also an ``::error file=..,line=..,col=..::``
annotation (``agentctl.cli.ci_out``), and the report is appended to ``$GITHUB_STEP_SUMMARY``.

With no PATH the whole project (found from the current directory or ``-C DIR``) is validated;
with PATHs, only those spec files, in the project's context when one is found (variables,
overlays, collaborator references) from the current directory or ``-C DIR``, else from the files
themselves when they all belong to one project; standalone otherwise. Naming ``agentctl.yaml``
validates the whole project. Exit 0 when valid (warnings allowed
unless ``--strict``), ``ExitCode.INVALID_SPEC`` when not.

Human output: one problem per line ``file:line:col: severity: message [path] (code)`` plus a hint
line, then a summary, all on stdout (the problems *are* the result). JSON output: one versioned
document ``{"format_version": 1, "valid": ..., "problems": [...]}`` on stdout.

Must not: catch ``AgentctlError`` other than ``SpecInvalid`` (turned into the report); the CLI
boundary handles the rest (no project, unknown environment, ...).
"""

from pathlib import Path
from typing import Any, Optional

import typer

from agentctl.cli.lazy import lazy
from agentctl.cli.app import app, project_dir
from agentctl.cli.options import all_envs_option, envs_option, output_option, resolve_envs
from agentctl.errors import Problem, SpecInvalid
from agentctl.exitcodes import ExitCode

console = lazy("agentctl.console")

FORMAT_VERSION = 1
"""Version of ``validate --output json``; bump on an incompatible change."""


@app.command("validate")
def validate_command(
    paths: Optional[list[Path]] = typer.Argument(None, metavar="PATH",
                                                help="Spec files or directories to validate (default: the whole project)."),
    env: Optional[list[str]] = envs_option(),
    all_envs: bool = all_envs_option(),
    output: str = output_option("human", "json"),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
) -> int:
    """Validate agent specs offline: YAML, schema, Bedrock's rules and quotas, OpenAPI, references."""
    from agentctl.cli import ci_out

    start = project_dir()
    # AGENTCTL_ENV is read by the project loader itself, so a wrong value is reported as coming
    # from AGENTCTL_ENV, not from -e/--env.
    reports = [run_validate(start, e, [Path(p) for p in paths or []], strict)
               for e in resolve_envs(env, all_envs, start)]
    valid = all(r["valid"] for r in reports)
    if len(reports) == 1:
        if output == "json":
            console.json_out(reports[0])
        else:
            console.out(render_human(reports[0]))
    elif output == "json":
        console.json_out(combined_document(reports))
    else:
        console.out("\n\n".join(f"== environment {r['environment']} ==\n{render_human(r)}"
                                 for r in reports))
    for r in reports:
        ci_out.problems(r["problems"], root=r["root"], title="agentctl validate")
    ci_out.validate_summary(reports)
    return int(ExitCode.OK if valid else ExitCode.INVALID_SPEC)


def combined_document(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON document of a validation of several environments."""
    return {
        "format_version": FORMAT_VERSION,
        "kind": "validate",
        "valid": all(r["valid"] for r in reports),
        "project": next((r["project"] for r in reports if r["project"]), None),
        "environments": reports,
        "summary": {"errors": sum(r["summary"]["errors"] for r in reports),
                    "warnings": sum(r["summary"]["warnings"] for r in reports),
                    "environments": len(reports),
                    "invalid_environments": [r["environment"] for r in reports
                                             if not r["valid"]]},
    }


def run_validate(start: Path, env: str | None, paths: list[Path], strict: bool) -> dict[str, Any]:
    """Validate and return the report document (the JSON output's shape)."""
    # Imported here, not at module level: `agentctl --help` must not load jsonschema.
    from agentctl.spec.project import check_files, find_project_file, load_project, project_identity

    project_name = environment = root = None
    agents: list[str] = []
    if paths:
        paths = [p if p.is_absolute() else start / p for p in paths]
    pfile = find_project_file(start)
    if pfile is None and paths:
        # Outside any project, files that all belong to one project are validated in it (its
        # variables, overlays, include root), as from inside it.
        owners = {find_project_file(p if p.is_dir() else p.parent) for p in paths}
        if len(owners) == 1 and None not in owners:
            pfile = owners.pop()
            start = pfile.parent
    has_project = pfile is not None
    suite_paths: list[Path] = []
    if has_project and paths:
        # Naming agentctl.yaml means "validate the project", not "check it as an agent spec".
        # (agentctl.yaml alone leaves no path: the whole project is validated)
        paths = [p for p in paths if p.resolve() != pfile.resolve()]
        # Eval suites named on the command line are checked as suites, in the project.
        suite_paths = [p for p in paths if is_suite_file(p)]
        paths = [p for p in paths if p not in suite_paths]
    if has_project:
        try:
            project = load_project(start, env, paths=paths or None, strict=strict)
            problems = list(project.warnings)
            project_name, environment, root = project.name, project.environment.name, str(project.root)
            agents = sorted(project.agents)
            if not paths:
                # The project's eval suites and gates (agentctl.eval), unless only specs were named.
                from agentctl.eval.suite import project_suite_problems
                from agentctl.spec.project import finish

                problems = finish(problems + project_suite_problems(
                    project, only=[p.resolve() for p in suite_paths] or None), strict)
        except SpecInvalid as e:
            problems = list(e.problems)
            # Still say which project the report is about when agentctl.yaml itself loaded
            # (only an agent spec, or the environment block, is invalid).
            project_name, environment, root = project_identity(start, env)
    elif paths:
        problems = check_files(paths, start, strict=strict)
        root = str(start)
    else:
        # No project and nothing named: the boundary reports ProjectError with its hint.
        load_project(start, env)
        raise AssertionError("unreachable")  # pragma: no cover
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = sum(1 for p in problems if p.severity == "warning")
    return {
        "format_version": FORMAT_VERSION,
        "valid": errors == 0,
        "project": project_name,
        "environment": environment,
        "root": root,
        "agents": agents,
        "summary": {"errors": errors, "warnings": warnings},
        "problems": [problem_document(p) for p in problems],
    }


def is_suite_file(path: Path) -> bool:
    """Whether ``path`` is an eval suite (a YAML mapping with ``cases:``; agent specs never have
    that key) rather than an agent spec."""
    from agentctl.spec.yamlload import YamlFailure, load_file

    if not path.is_file() or path.suffix not in (".yaml", ".yml", ".json"):
        return False
    try:
        value = load_file(path).value
    except YamlFailure:
        return False
    return isinstance(value, dict) and "cases" in value and "name" not in value


def problem_document(p: Problem) -> dict[str, Any]:
    return {
        "file": p.location.file,
        "line": p.location.line,
        "col": p.location.col,
        "severity": p.severity,
        "code": p.code,
        "path": p.path,
        "message": p.message,
        "hint": p.hint,
    }


def render_human(report: dict[str, Any]) -> str:
    lines = []
    for p in report["problems"]:
        where = p["file"] + (f":{p['line']}:{p['col'] or 1}" if p["line"] else "")
        path = f" [{p['path']}]" if p["path"] else ""
        lines.append(f"{where}: {p['severity']}: {p['message']}{path} ({p['code']})")
        if p["hint"]:
            lines.append(f"  hint: {p['hint']}")
    s = report["summary"]
    # A loaded project may have no agents at all (issue 12 item 4): say "0 agent spec(s)".
    counted = report["agents"] or (report["valid"] and report["project"] is not None)
    scope = f"{len(report['agents'])} agent spec(s)" if counted else "the specs"
    env = f" (environment {report['environment']})" if report["environment"] else ""
    notes = sum(1 for p in report["problems"] if p["severity"] == "note")
    if report["valid"]:
        tail = f", {s['warnings']} warning(s)" if s["warnings"] else ""
        tail += f", {notes} note(s)" if notes else ""
        lines.append(f"OK: {scope}{env} valid{tail}.")
    else:
        lines.append(f"Invalid: {s['errors']} error(s), {s['warnings']} warning(s){env}.")
    return "\n".join(lines)
