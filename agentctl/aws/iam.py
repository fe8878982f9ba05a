"""What agentctl's calls need from IAM: the least-privilege permissions policy of the role that
runs ``plan`` / ``apply`` / ``promote`` / ``eval`` for one project and environment, and the
GitHub Actions OIDC trust policy of that role (``agentctl iam-policy``).

The action list is not written by hand per role: each role is the set of operations agentctl
sends for those commands (``ROLE_OPERATIONS``: the live reader's reads, the executor's steps,
the runtime's InvokeAgent, the account guard, the state backend's object calls), and every
operation becomes its IAM action by one rule (``iam_action``: the service's IAM prefix and the
operation name, except the few operations whose permission has another name). Tests keep the
catalogue true: every operation named in agentctl's code is in it (a static scan), every
operation a real apply / promote / eval run sends is allowed by the policy generated for that
command (the emulator's call log, evaluated against the policy), and every action name exists
in botocore's model of its service.

Resource scoping follows the Service Authorization Reference for Amazon Bedrock: ``ListAgents``
and ``CreateAgent`` (before the id exists) take no resource (``*``); agent-level actions take
``agent/*`` and are limited with ``aws:ResourceTag`` to agents carrying agentctl's ownership
tags (``agentctl:managed-by`` / ``agentctl:project``, written by CreateAgent, so
``aws:RequestTag`` requires them there); alias-level actions (and InvokeAgent) take
``agent-alias/*`` of the account and Region (agentctl writes no ownership tag on aliases, so no
tag condition can narrow them; the agent-level statement still guards everything that needs the
agent). ``iam:PassRole`` is limited to the specs' agent resource roles and to Bedrock.

Must not: call AWS, import boto3, or read files (it gets a loaded project).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from agentctl.core.model import OWNER_TAG, OWNER_TAG_VALUE, PROJECT_TAG

VERSION = "2012-10-17"
ROLES = ("plan", "apply", "promote", "eval")
"""What ``--for`` accepts (plus ``all``, their union)."""

# IAM service prefix of each botocore service agentctl talks to. The agent runtime and the model
# runtime are authorised as ``bedrock:`` actions, like the control plane.
IAM_PREFIX: Mapping[str, str] = {
    "bedrock-agent": "bedrock", "bedrock-agent-runtime": "bedrock", "bedrock-runtime": "bedrock",
    "s3": "s3", "sts": "sts", "iam": "iam",
}

# Operations whose IAM permission is not named after them (Service Authorization Reference):
# Converse is authorised as bedrock:InvokeModel; S3's object listing is s3:ListBucket.
PERMISSION_NAME: Mapping[tuple[str, str], str] = {
    ("bedrock-runtime", "Converse"): "InvokeModel",
    ("s3", "ListObjectsV2"): "ListBucket",
}

PERMISSION_ONLY: Mapping[tuple[str, str], str] = {
    # Not an API operation: IAM checks it when CreateAgent / UpdateAgent hand the agent its
    # agentResourceRoleArn.
    ("iam", "PassRole"): "checked by CreateAgent/UpdateAgent for agentResourceRoleArn",
    # Not sent by agentctl either: without s3:ListBucket S3 answers GetObject of a missing key
    # with 403 instead of 404, so the first run (no lock object, no records yet) would fail.
    ("s3", "ListObjectsV2"): "lets S3 answer 404 (not 403) for the state objects not written yet",
}


def iam_action(service: str, operation: str) -> str:
    """``bedrock:UpdateAgent``, ``s3:GetObject``, ``bedrock:InvokeModel`` (for Converse), ..."""
    return f"{IAM_PREFIX[service]}:{PERMISSION_NAME.get((service, operation), operation)}"


Op = tuple[str, str]
"""(botocore service name, operation name)."""


def _ops(service: str, *names: str) -> frozenset[Op]:
    return frozenset((service, n) for n in names)


# The live reader (agentctl.aws.live): every agent of the account by name, tags of each, then
# everything of the project's own agents. Used by every command that reads live state.
READER = _ops("bedrock-agent", "ListAgents", "ListTagsForResource", "GetAgent",
              "ListAgentActionGroups", "GetAgentActionGroup", "ListAgentKnowledgeBases",
              "GetAgentKnowledgeBase", "ListAgentCollaborators", "GetAgentCollaborator",
              "ListAgentAliases", "GetAgentAlias", "ListAgentVersions", "GetAgentVersion")
# The account guard (agentctl.aws.client._check_account) on every `target: aws` command.
ACCOUNT_GUARD = _ops("sts", "GetCallerIdentity")
# The state backend (agentctl.aws.s3state, `backend: s3` only).
STATE_READ = _ops("s3", "GetObject", "ListObjectsV2")
STATE_WRITE = _ops("s3", "PutObject", "DeleteObject")
# The executor's steps for apply (agentctl.plan.planner plans them, agentctl.apply.executor runs
# them): DRAFT edits, prepare, versions cut through aliases, retention, removed agents.
APPLY_STEPS = _ops("bedrock-agent", "CreateAgent", "UpdateAgent", "DeleteAgent", "PrepareAgent",
                   "CreateAgentActionGroup", "UpdateAgentActionGroup", "DeleteAgentActionGroup",
                   "AssociateAgentKnowledgeBase", "UpdateAgentKnowledgeBase",
                   "DisassociateAgentKnowledgeBase", "AssociateAgentCollaborator",
                   "UpdateAgentCollaborator", "DisassociateAgentCollaborator",
                   "CreateAgentAlias", "UpdateAgentAlias", "DeleteAgentAlias",
                   "DeleteAgentVersion", "TagResource", "UntagResource") | {("iam", "PassRole")}
# promote / rollback: one UpdateAgentAlias with an explicit routingConfiguration.
PROMOTE_STEPS = _ops("bedrock-agent", "UpdateAgentAlias")
# eval / invoke: InvokeAgent on an alias; `--version N` routes agentctl's candidate alias
# (created, re-pointed, deleted: agentctl.runtime.target); a judge model on Bedrock, if any.
EVAL_STEPS = (_ops("bedrock-agent-runtime", "InvokeAgent")
              | _ops("bedrock-agent", "CreateAgentAlias", "UpdateAgentAlias", "DeleteAgentAlias"))
JUDGE = _ops("bedrock-runtime", "Converse")

ROLE_OPERATIONS: Mapping[str, frozenset[Op]] = {
    # plan, status, history, drift: reads only (plan takes no lock).
    "plan": READER | ACCOUNT_GUARD | STATE_READ,
    # apply (and destroy, whose steps are a subset): the lock and applied-plan records too.
    "apply": READER | ACCOUNT_GUARD | STATE_READ | STATE_WRITE | APPLY_STEPS,
    # promote / rollback: the gate reads eval records, the promotion is recorded.
    "promote": READER | ACCOUNT_GUARD | STATE_READ | STATE_WRITE | PROMOTE_STEPS,
    # eval (and invoke / chat): eval runs are recorded for the gate.
    "eval": READER | ACCOUNT_GUARD | STATE_READ | STATE_WRITE | EVAL_STEPS | JUDGE,
}

# Where each operation is authorised (Service Authorization Reference, "Resource types"):
#   "*"      no resource-level permission (List*, Create* before the id exists, STS)
#   agent    arn:...:agent/{agentId}, aws:ResourceTag-scoped to the project's ownership tags
#   alias    arn:...:agent-alias/{agentId}/{aliasId}
#   kb       arn:...:knowledge-base/{id}
#   role     the specs' agent resource roles (iam:PassRole)
#   object   the state prefix's objects; bucket: the state bucket (ListBucket)
#   model    the judge's foundation model / inference profile
_AGENT_ONLY = ("GetAgent", "UpdateAgent", "DeleteAgent", "PrepareAgent",
               "ListAgentActionGroups", "GetAgentActionGroup", "CreateAgentActionGroup",
               "UpdateAgentActionGroup", "DeleteAgentActionGroup", "ListAgentKnowledgeBases",
               "ListAgentCollaborators", "GetAgentCollaborator", "DisassociateAgentCollaborator",
               "ListAgentAliases", "ListAgentVersions", "GetAgentVersion", "DeleteAgentVersion")
RESOURCE_KINDS: Mapping[Op, tuple[str, ...]] = {
    **{("bedrock-agent", op): ("agent",) for op in _AGENT_ONLY},
    ("bedrock-agent", "ListAgents"): ("*",),
    ("bedrock-agent", "CreateAgent"): ("*",),
    # An alias is created on its agent, and named by both ids afterwards.
    ("bedrock-agent", "CreateAgentAlias"): ("agent", "alias"),
    ("bedrock-agent", "GetAgentAlias"): ("alias",),
    ("bedrock-agent", "UpdateAgentAlias"): ("alias",),
    ("bedrock-agent", "DeleteAgentAlias"): ("alias",),
    ("bedrock-agent-runtime", "InvokeAgent"): ("alias",),
    # Tags live on agents and on aliases.
    ("bedrock-agent", "ListTagsForResource"): ("agent", "alias"),
    ("bedrock-agent", "TagResource"): ("agent", "alias"),
    ("bedrock-agent", "UntagResource"): ("agent", "alias"),
    # A knowledge-base association names the agent and the knowledge base.
    ("bedrock-agent", "GetAgentKnowledgeBase"): ("agent", "kb"),
    ("bedrock-agent", "AssociateAgentKnowledgeBase"): ("agent", "kb"),
    ("bedrock-agent", "UpdateAgentKnowledgeBase"): ("agent", "kb"),
    ("bedrock-agent", "DisassociateAgentKnowledgeBase"): ("agent", "kb"),
    # A collaborator is another agent's alias, given by its ARN.
    ("bedrock-agent", "AssociateAgentCollaborator"): ("agent", "alias"),
    ("bedrock-agent", "UpdateAgentCollaborator"): ("agent", "alias"),
    ("iam", "PassRole"): ("role",),
    ("sts", "GetCallerIdentity"): ("*",),
    ("s3", "GetObject"): ("object",),
    ("s3", "PutObject"): ("object",),
    ("s3", "DeleteObject"): ("object",),
    ("s3", "ListObjectsV2"): ("bucket",),
    ("bedrock-runtime", "Converse"): ("model",),
}

_WRITE_OPS = frozenset(op for op in APPLY_STEPS | PROMOTE_STEPS | EVAL_STEPS
                       if op[0] == "bedrock-agent")
_TAG_OPS = frozenset({("bedrock-agent", "TagResource"), ("bedrock-agent", "UntagResource")})

NOTES = (
    "lambda: none. agentctl never calls AWS Lambda; Bedrock invokes the action groups' "
    "functions itself, so each function's resource policy must allow lambda:InvokeFunction to "
    "the principal bedrock.amazonaws.com (with aws:SourceArn of the agent), not this role.",
    "Aliases carry no agentctl ownership tag, so alias actions are scoped to the account's and "
    "Region's agent-alias/* ARNs; agent actions are limited to agents tagged "
    f"{PROJECT_TAG}=<project>.",
    "Tag changes never touch agentctl's own tags (agentctl:*), which mark ownership.",
    "`agentctl adopt` tags an agent agentctl does not own yet: run it once with broader "
    "credentials; it is not part of these roles.",
)


@dataclass(frozen=True)
class PolicyInputs:
    """What the policy is made of, taken from one loaded project and environment."""

    project: str
    environment: str
    region: str
    account: str
    role_arns: tuple[str, ...]
    knowledge_base_ids: tuple[str, ...]
    state_bucket: str | None = None
    state_prefix: str | None = None
    judge_model: str | None = None
    """The judge's Bedrock model id or ARN (``settings.judge.model``, provider bedrock)."""


def inputs_from_project(project: Any) -> PolicyInputs:
    """``PolicyInputs`` of an ``agentctl.spec.project.Project`` (already validated)."""
    env = project.environment
    roles = sorted({str(c.agent.get("agentResourceRoleArn")) for c in project.desired.values()
                    if c.agent.get("agentResourceRoleArn")})
    kbs = sorted({str(k) for c in project.desired.values() for k in c.knowledge_bases})
    backend = env.backend
    judge = (getattr(project.settings, "judge", None) or {}).get("model") or {}
    judge_model = (str(judge.get("modelId")) if isinstance(judge, Mapping)
                   and judge.get("provider") == "bedrock" and judge.get("modelId") else None)
    return PolicyInputs(project=project.name, environment=env.name, region=env.region,
                        account=str(env.account), role_arns=tuple(roles),
                        knowledge_base_ids=tuple(kbs),
                        state_bucket=backend.bucket if backend.type == "s3" else None,
                        state_prefix=backend.prefix if backend.type == "s3" else None,
                        judge_model=judge_model)


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def roles_for(choice: str) -> tuple[str, ...]:
    return ROLES if choice == "all" else (choice,)


def operations(roles: Iterable[str]) -> frozenset[Op]:
    out: frozenset[Op] = frozenset()
    for r in roles:
        out |= ROLE_OPERATIONS[r]
    return out


def permissions_policy(inp: PolicyInputs, roles: Sequence[str]) -> dict[str, Any]:
    """The identity policy (IAM policy grammar) allowing exactly what ``roles`` send."""
    ops = operations(roles)
    part = partition(inp.region)
    bedrock = f"arn:{part}:bedrock:{inp.region}:{inp.account}"
    owned = {"StringEquals": {f"aws:ResourceTag/{OWNER_TAG}": OWNER_TAG_VALUE,
                              f"aws:ResourceTag/{PROJECT_TAG}": inp.project}}
    no_own_tags = {"ForAllValues:StringNotLike": {"aws:TagKeys": ["agentctl:*"]}}

    def actions(kind: str, *, where: Any = None) -> list[str]:
        return sorted({iam_action(*op) for op in ops if kind in RESOURCE_KINDS[op]
                       and (where is None or where(op))})

    statements: list[dict[str, Any]] = []

    def add(sid: str, acts: list[str], resource: Any, condition: Mapping[str, Any] | None = None):
        if acts and resource:
            st: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": acts,
                                  "Resource": resource}
            if condition:
                st["Condition"] = dict(condition)
            statements.append(st)

    add("AccountGuard", actions("*", where=lambda op: op[0] == "sts"), "*")
    add("ListAgents", [a for a in actions("*", where=lambda op: op[0] == "bedrock-agent")
                       if a != "bedrock:CreateAgent"], "*")
    add("CreateOwnedAgents", [a for a in actions("*") if a == "bedrock:CreateAgent"], "*",
        {"StringEquals": {f"aws:RequestTag/{OWNER_TAG}": OWNER_TAG_VALUE,
                          f"aws:RequestTag/{PROJECT_TAG}": inp.project}})
    add("ReadOwnedAgents", actions("agent", where=lambda op: op not in _WRITE_OPS),
        f"{bedrock}:agent/*", owned)
    add("ChangeOwnedAgents",
        actions("agent", where=lambda op: op in _WRITE_OPS and op not in _TAG_OPS),
        f"{bedrock}:agent/*", owned)
    add("TagOwnedAgents", actions("agent", where=lambda op: op in _TAG_OPS),
        f"{bedrock}:agent/*", {**owned, **no_own_tags})
    add("ReadAliases", actions("alias", where=lambda op: op not in _WRITE_OPS
                               and op[0] == "bedrock-agent"), f"{bedrock}:agent-alias/*")
    add("ChangeAliases", actions("alias", where=lambda op: op in _WRITE_OPS
                                 and op not in _TAG_OPS), f"{bedrock}:agent-alias/*")
    add("TagAliases", actions("alias", where=lambda op: op in _TAG_OPS),
        f"{bedrock}:agent-alias/*", no_own_tags)
    add("InvokeAliases", actions("alias", where=lambda op: op[0] == "bedrock-agent-runtime"),
        f"{bedrock}:agent-alias/*")
    kb_reads = actions("kb", where=lambda op: op not in _WRITE_OPS)
    kb_writes = actions("kb", where=lambda op: op in _WRITE_OPS)
    # Reading or dropping an association names a knowledge base the specs may no longer list.
    add("ReadKnowledgeBaseAssociations", kb_reads, f"{bedrock}:knowledge-base/*")
    add("DisassociateKnowledgeBases",
        [a for a in kb_writes if a == "bedrock:DisassociateAgentKnowledgeBase"],
        f"{bedrock}:knowledge-base/*")
    add("AssociateSpecKnowledgeBases",
        [a for a in kb_writes if a != "bedrock:DisassociateAgentKnowledgeBase"],
        [f"{bedrock}:knowledge-base/{k}" for k in inp.knowledge_base_ids])
    add("PassAgentRoles", actions("role"), list(inp.role_arns),
        {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}})
    if inp.judge_model:
        add("JudgeModel", actions("model"), _model_arns(inp.judge_model, part, inp.region,
                                                         inp.account))
    if inp.state_bucket:
        prefix = (inp.state_prefix or "").strip("/")
        add("StateObjects", actions("object"),
            f"arn:{part}:s3:::{inp.state_bucket}/{prefix + '/' if prefix else ''}*")
        add("StateBucketList", actions("bucket"), f"arn:{part}:s3:::{inp.state_bucket}",
            {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"] if prefix else ["*"]}})
    return {"Version": VERSION, "Statement": statements}


def _model_arns(model: str, part: str, region: str, account: str) -> list[str]:
    if model.startswith("arn:"):
        return [model]
    # A cross-Region inference profile id (us., eu., apac., global.) is authorised on the
    # profile and on the foundation model in every Region it routes to.
    m = re.match(r"^(us|eu|apac|global|us-gov|ca|jp|au)\.(.+)$", model)
    if m:
        return [f"arn:{part}:bedrock:{region}:{account}:inference-profile/{model}",
                f"arn:{part}:bedrock:*::foundation-model/{m.group(2)}"]
    return [f"arn:{part}:bedrock:{region}::foundation-model/{model}"]


GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def valid_repo(repo: str) -> bool:
    return bool(_REPO.match(repo)) and ".." not in repo


def trust_policy(account: str, region: str, repo: str, *, github_environment: str | None,
                 branch: str = "main", pull_requests: bool = False) -> dict[str, Any]:
    """The role's trust policy for GitHub Actions OIDC: only tokens for ``repo`` whose audience is
    STS, and only from the GitHub ``environment`` (a protected one for prod) when given, else
    only from ``branch`` (plus pull requests for a plan role)."""
    part = partition(region)
    if github_environment:
        subjects = [f"repo:{repo}:environment:{github_environment}"]
    else:
        subjects = [f"repo:{repo}:ref:refs/heads/{branch}"]
        if pull_requests:
            subjects.append(f"repo:{repo}:pull_request")
    return {"Version": VERSION, "Statement": [{
        "Sid": "GitHubActionsOIDC",
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:{part}:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com"},
            # StringLike with no wildcard in the values: exact subjects, any of the list.
            "StringLike": {f"{GITHUB_OIDC_HOST}:sub": subjects if len(subjects) > 1
                           else subjects[0]},
        },
    }]}


__all__ = ["ROLES", "ROLE_OPERATIONS", "RESOURCE_KINDS", "PERMISSION_ONLY", "PERMISSION_NAME",
           "IAM_PREFIX", "NOTES", "PolicyInputs", "inputs_from_project", "iam_action",
           "operations", "permissions_policy", "roles_for", "trust_policy", "valid_repo",
           "partition"]
