"""``agentctl iam-policy [-e ENV] [--for plan|apply|promote|eval|all] [--oidc-github OWNER/REPO]
[--github-environment NAME] [--branch BRANCH] [--document permissions|trust] [-o human|json]``:
the least-privilege IAM policy of the role that runs agentctl for this project, and its GitHub
Actions OIDC trust policy.

Offline: it loads the project (the environment's region, account, state bucket, the specs'
agent roles and knowledge bases) and calls nothing. Human output is exactly one IAM document on
stdout, ready for ``aws iam put-role-policy --policy-document file://...``; notes go to stderr.
``-o json`` prints one document holding both policies.

Thin: the policies are built by ``agentctl.aws.iam``.
"""

from typing import Optional

import typer

from agentctl.cli.lazy import lazy
from agentctl.cli.app import app, project_dir
from agentctl.cli.options import output_option
from agentctl.errors import UsageError
from agentctl.exitcodes import ExitCode

console = lazy("agentctl.console")

FORMAT_VERSION = 1
_FOR = ("plan", "apply", "promote", "eval", "all")
_DOCUMENTS = ("permissions", "trust")


def _check_for(value: str) -> str:
    if value not in _FOR:
        raise UsageError(f"--for must be one of {', '.join(_FOR)} (got {value!r})",
                         hint="e.g. --for apply (the role of the pipeline's apply job)")
    return value


def _check_document(value: str) -> str:
    if value not in _DOCUMENTS:
        raise UsageError(f"--document must be one of {', '.join(_DOCUMENTS)} (got {value!r})",
                         hint="--document trust prints the trust policy (needs --oidc-github)")
    return value


@app.command("iam-policy")
def iam_policy_cmd(
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV",
                                      help="Environment from agentctl.yaml (default: "
                                           "AGENTCTL_ENV, then defaultEnvironment)."),
    role: str = typer.Option("all", "--for", metavar="plan|apply|promote|eval|all",
                             callback=_check_for,
                             help="The commands the role runs: plan (also status, drift, "
                                  "history), apply (also destroy), promote (also rollback), "
                                  "eval (also invoke, chat), or all of them (default)."),
    oidc_github: Optional[str] = typer.Option(None, "--oidc-github", metavar="OWNER/REPO",
                                              help="Also make the trust policy for GitHub "
                                                   "Actions OIDC tokens of this repository."),
    github_environment: Optional[str] = typer.Option(
        None, "--github-environment", metavar="NAME",
        help="Trust only jobs of this GitHub environment (use a protected one for prod; "
             "default: the agentctl environment's name when it is prod/production or --for "
             "promote)."),
    branch: str = typer.Option("main", "--branch", metavar="BRANCH",
                               help="Without a GitHub environment: trust only jobs on this branch "
                                    "(and pull requests, for --for plan)."),
    document: str = typer.Option("permissions", "--document", metavar="permissions|trust",
                                 callback=_check_document,
                                 help="Which document the human output prints."),
    output: str = output_option("human", "json"),
) -> int:
    """Print the least-privilege IAM policy for running agentctl on this project (offline)."""
    from agentctl.aws import iam
    from agentctl.spec.project import load_project

    if oidc_github is not None and not iam.valid_repo(oidc_github):
        raise UsageError(f"--oidc-github {oidc_github!r} is not OWNER/REPO",
                         hint="e.g. --oidc-github acme/agents (the repository running the "
                              "workflow)")
    if document == "trust" and oidc_github is None:
        raise UsageError("--document trust needs --oidc-github OWNER/REPO",
                         hint="e.g. --document trust --oidc-github acme/agents")
    if not branch.strip() or any(c in branch for c in " *?\n"):
        raise UsageError(f"--branch {branch!r} is not a branch name", hint="e.g. --branch main")
    project = load_project(project_dir(), env)
    inputs = iam.inputs_from_project(project)
    roles = iam.roles_for(role)
    policy = iam.permissions_policy(inputs, roles)
    trust = None
    gh_env = github_environment
    if oidc_github is not None:
        if gh_env is None and (role == "promote"
                               or inputs.environment.lower() in ("prod", "production")):
            gh_env = inputs.environment
        trust = iam.trust_policy(inputs.account, inputs.region, oidc_github,
                                 github_environment=gh_env, branch=branch,
                                 pull_requests=role == "plan" and gh_env is None)
    notes = list(iam.NOTES)
    if project.environment.target != "aws":
        notes.insert(0, f"environment {inputs.environment} has target "
                        f"{project.environment.target}: the policy is for the AWS account "
                        f"{inputs.account} it names, not needed for the local target.")
    if output == "json":
        console.json_out({
            "format_version": FORMAT_VERSION, "kind": "iam_policy",
            "project": inputs.project, "environment": inputs.environment,
            "roles": list(roles), "permissionsPolicy": policy,
            "trustPolicy": trust, "githubEnvironment": gh_env if trust else None,
            "notes": notes,
        })
        return int(ExitCode.OK)
    import json

    console.out(json.dumps(trust if document == "trust" else policy, indent=2))
    for note in notes:
        console.err(f"note: {note}")
    return int(ExitCode.OK)
