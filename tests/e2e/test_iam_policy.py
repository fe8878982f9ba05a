"""``agentctl iam-policy`` (issue 10 item 7): the least-privilege policy is true to the code.

- Every action name it prints exists in botocore's model of its service (or is one of the few
  documented permission-only names, whose underlying operation exists).
- Every operation agentctl's code names (a static scan of agentctl/, the emulator excluded) is
  in the catalogue the policy is made from, and every mutating one the executor can run is in a
  role's steps.
- Every call a real run sends (apply, re-apply with a version cut and retention, promote,
  rollback, eval, invoke --version, on the local target, from the emulator's call log) is
  allowed by the policy generated for that command, evaluated with IAM's rules for the
  statements' actions, resources and conditions; and a call outside the role is refused.
"""

from __future__ import annotations

import ast
import fnmatch
import json
from pathlib import Path
from typing import Any, Mapping

import botocore.session
import pytest
from botocore import xform_name

from agentctl.aws import iam
from agentctl.exitcodes import ExitCode

from .conftest import Project
from .test_one_executor import MUTATING

PACKAGE = Path(__file__).resolve().parents[2] / "agentctl"
SESSION = botocore.session.get_session()
SERVICES = ("bedrock-agent", "bedrock-agent-runtime", "bedrock-runtime", "s3", "sts", "iam")
MODEL_OPS = {s: set(SESSION.get_service_model(s).operation_names) for s in SERVICES}


def _policy(p: Project, *args: str) -> dict[str, Any]:
    r = p.cli("iam-policy", "-o", "json", *args)
    assert r.code == ExitCode.OK, r.err
    return json.loads(r.out)


# ------------------------------------------------------------------------- a tiny IAM evaluator

def _match(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], ctx: Mapping[str, Any]) -> bool:
    for op, tests in condition.items():
        for key, wanted in tests.items():
            wanted = _as_list(wanted)
            have = ctx.get(key)
            if op == "StringEquals":
                if have is None or not any(str(have) == w for w in wanted):
                    return False
            elif op == "StringLike":
                if have is None or not any(_match(w, str(have)) for w in wanted):
                    return False
            elif op == "ForAllValues:StringNotLike":
                # True for a missing key or empty set; else no value may match any pattern.
                if any(_match(w, str(v)) for v in _as_list(have or []) for w in wanted):
                    return False
            else:  # pragma: no cover - the generator must not use what this cannot judge
                raise AssertionError(f"condition operator {op} not understood")
    return True


def allowed(policy: Mapping[str, Any], action: str, resource: str,
            ctx: Mapping[str, Any]) -> bool:
    for st in policy["Statement"]:
        assert st["Effect"] == "Allow"
        if not any(_match(a, action, case=False) for a in _as_list(st["Action"])):
            continue
        if not any(_match(r, resource) for r in _as_list(st["Resource"])):
            continue
        if _condition_holds(st.get("Condition", {}), ctx):
            return True
    return False


# ------------------------------------------------------------------------------ the grammar

def test_every_action_exists_in_botocore_and_the_grammar_is_iam_s(support_bot):
    doc = _policy(support_bot, "--oidc-github", "acme/agents")
    policy = doc["permissionsPolicy"]
    assert policy["Version"] == "2012-10-17"
    sids = [st["Sid"] for st in policy["Statement"]]
    assert len(sids) == len(set(sids)) and all(s.isalnum() for s in sids)
    prefix_services = {}
    for svc, prefix in iam.IAM_PREFIX.items():
        prefix_services.setdefault(prefix, []).append(svc)
    by_permission = {f"{iam.IAM_PREFIX[s]}:{name}": (s, op)
                     for (s, op), name in iam.PERMISSION_NAME.items()}
    for st in policy["Statement"]:
        assert set(st) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        for action in _as_list(st["Action"]):
            prefix, name = action.split(":", 1)
            if action in by_permission:
                svc, op = by_permission[action]
                assert op in MODEL_OPS[svc], action
                # The permission name exists as an operation too where it is one.
                if svc == "bedrock-runtime":
                    assert name in MODEL_OPS[svc]
                continue
            if (prefix, name) == ("iam", "PassRole"):
                assert ("iam", "PassRole") in iam.PERMISSION_ONLY
                continue
            assert any(name in MODEL_OPS[s] for s in prefix_services[prefix]), \
                f"{action}: no such operation in botocore's {prefix_services[prefix]}"
        for r in _as_list(st["Resource"]):
            assert r == "*" or r.startswith("arn:aws:"), r
    trust = doc["trustPolicy"]
    [st] = trust["Statement"]
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert st["Principal"]["Federated"] == \
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    assert st["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}


def test_prod_policy_scopes_and_trust(support_bot):
    doc = _policy(support_bot, "-e", "prod", "--oidc-github", "acme/agents")
    policy = doc["permissionsPolicy"]
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    # Resource-level permissions where the service has them, * only where it has none.
    assert by_sid["ListAgents"]["Action"] == ["bedrock:ListAgents"]
    assert by_sid["CreateOwnedAgents"]["Condition"]["StringEquals"] == {
        "aws:RequestTag/agentctl:managed-by": "agentctl", "aws:RequestTag/agentctl:project": "support"}
    wildcard = {a for st in policy["Statement"] if st["Resource"] == "*"
                for a in _as_list(st["Action"])}
    assert wildcard == {"bedrock:ListAgents", "bedrock:CreateAgent", "sts:GetCallerIdentity"}
    for sid in ("ReadOwnedAgents", "ChangeOwnedAgents", "TagOwnedAgents"):
        assert by_sid[sid]["Resource"] == "arn:aws:bedrock:us-west-2:111111111111:agent/*"
        assert by_sid[sid]["Condition"]["StringEquals"][
            "aws:ResourceTag/agentctl:project"] == "support"
    assert "bedrock:InvokeAgent" in by_sid["InvokeAliases"]["Action"]
    assert by_sid["InvokeAliases"]["Resource"] == \
        "arn:aws:bedrock:us-west-2:111111111111:agent-alias/*"
    pr = by_sid["PassAgentRoles"]
    assert pr["Action"] == ["iam:PassRole"]
    assert pr["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}
    spec = (support_bot.root / "agents" / "support-bot.yaml").read_text()
    assert all(arn in spec or "${" in spec for arn in pr["Resource"]) and pr["Resource"]
    assert by_sid["AssociateSpecKnowledgeBases"]["Resource"] == [
        "arn:aws:bedrock:us-west-2:111111111111:knowledge-base/KB9PRODHR1"]
    assert not any(a.startswith("lambda:") for st in policy["Statement"]
                   for a in _as_list(st["Action"]))
    assert any("lambda" in n for n in doc["notes"])
    # prod: trusted only from the GitHub environment of the same name.
    [st] = doc["trustPolicy"]["Statement"]
    assert st["Condition"]["StringLike"] == {
        "token.actions.githubusercontent.com:sub": "repo:acme/agents:environment:prod"}
    assert st["Principal"]["Federated"].startswith("arn:aws:iam::111111111111:")


def test_roles_are_least_privilege_and_human_output_is_one_document(support_bot):
    plan = _policy(support_bot, "--for", "plan", "--oidc-github", "acme/agents")
    acts = {a for st in plan["permissionsPolicy"]["Statement"] for a in _as_list(st["Action"])}
    assert acts and all(a.split(":")[1].startswith(("Get", "List")) for a in acts), acts
    [st] = plan["trustPolicy"]["Statement"]
    assert st["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/agents:ref:refs/heads/main", "repo:acme/agents:pull_request"]
    promote = _policy(support_bot, "--for", "promote")
    acts = {a for st in promote["permissionsPolicy"]["Statement"] for a in _as_list(st["Action"])}
    assert "bedrock:UpdateAgentAlias" in acts and "bedrock:UpdateAgent" not in acts
    assert "iam:PassRole" not in acts and "bedrock:InvokeAgent" not in acts

    r = support_bot.cli("iam-policy", "--for", "apply")
    assert r.code == 0
    assert json.loads(r.out)["Version"] == "2012-10-17"  # stdout: exactly the policy
    assert "lambda" in r.err
    r = support_bot.cli("iam-policy", "--document", "trust", "--oidc-github", "acme/agents",
                        "--github-environment", "staging")
    assert json.loads(r.out)["Statement"][0]["Condition"]["StringLike"] == {
        "token.actions.githubusercontent.com:sub": "repo:acme/agents:environment:staging"}


@pytest.mark.parametrize("args, message", [
    (("--for", "deploy"), "--for must be one of plan, apply, promote, eval, all"),
    (("--oidc-github", "acme"), "is not OWNER/REPO"),
    (("--oidc-github", "a/b/c"), "is not OWNER/REPO"),
    (("--document", "trust"), "needs --oidc-github"),
    (("--branch", "feat/*"), "is not a branch name"),
])
def test_bad_flags_are_usage_errors(support_bot, args, message):
    r = support_bot.cli("iam-policy", *args)
    assert r.code == ExitCode.USAGE and message in r.err, r.err


def test_state_bucket_prefix(support_bot):
    p = support_bot
    p.edit("agentctl.yaml", "    state: .agentctl/local.db\n",
           "    state: .agentctl/local.db\n    backend: { type: s3, bucket: acme-state, "
           "prefix: teams/support }\n")
    policy = _policy(p, "--for", "plan")["permissionsPolicy"]
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    assert by_sid["StateObjects"]["Action"] == ["s3:GetObject"]
    assert by_sid["StateObjects"]["Resource"] == "arn:aws:s3:::acme-state/teams/support/*"
    assert by_sid["StateBucketList"] == {
        "Sid": "StateBucketList", "Effect": "Allow", "Action": ["s3:ListBucket"],
        "Resource": "arn:aws:s3:::acme-state",
        "Condition": {"StringLike": {"s3:prefix": ["teams/support", "teams/support/*"]}}}
    policy = _policy(p, "--for", "apply")["permissionsPolicy"]
    st = {s["Sid"]: s for s in policy["Statement"]}["StateObjects"]
    assert st["Action"] == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    # Every key the S3 backend writes is inside the granted prefix.
    from agentctl.locks import ObjectBackend

    backend = ObjectBackend(store=None, prefix="teams/support", root=p.root)  # type: ignore[arg-type]
    for key in (backend.lock_key, backend._key("applied-plans"), backend._key("eval-runs")):
        assert allowed(policy, "s3:PutObject", f"arn:aws:s3:::acme-state/{key}", {}), key
    assert not allowed(policy, "s3:PutObject", "arn:aws:s3:::acme-state/teams/other/lock", {})


# ---------------------------------------------------------------- the catalogue is the code's

def _named_operations() -> set[tuple[str, str]]:
    """(service, operation) of every operation agentctl's code names in a call: as a string
    argument (``aws.call(c, "GetAgent")``, ``Step(operation="UpdateAgentAlias")``) or as a
    client method (``client.invoke_agent(...)``, or its name given to a helper that looks it up,
    ``self._call("put_object", ...)``)."""
    by_method = {xform_name(op): (s, op) for s in SERVICES for op in MODEL_OPS[s]}
    agent_ops = MODEL_OPS["bedrock-agent"] | MODEL_OPS["bedrock-agent-runtime"]
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if PACKAGE / "emulator" in path.parents or path == PACKAGE / "aws" / "iam.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for arg in list(node.args) + [k.value for k in node.keywords]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                        and arg.value in agent_ops:
                    svc = "bedrock-agent" if arg.value in MODEL_OPS["bedrock-agent"] \
                        else "bedrock-agent-runtime"
                    found.add((svc, arg.value))
                elif isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                        and "_" in arg.value and arg.value in by_method:
                    found.add(by_method[arg.value])  # getattr(client, "put_object") style
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in by_method \
                    and func.attr not in ("get", "list"):
                found.add(by_method[func.attr])
    return found


def test_every_operation_the_code_names_is_in_the_catalogue():
    named = _named_operations()
    catalogue = iam.operations(iam.ROLES)
    # Method names that look like an operation but are no AWS call, each with its reason.
    not_calls = {
        # botocore.session.get_session() (agentctl/core/servicemodel.py), not the runtime's
        # GetSession: agentctl keeps no runtime sessions of its own on AWS.
        ("bedrock-agent-runtime", "GetSession"),
    }
    missing = sorted(op for op in named - catalogue if op not in not_calls)
    assert missing == [], f"operations agentctl calls that no role allows: {missing}"
    # The scan must see the calls it is meant to see.
    assert {("bedrock-agent", "UpdateAgentAlias"), ("bedrock-agent-runtime", "InvokeAgent"),
            ("sts", "GetCallerIdentity"), ("s3", "PutObject")} <= named
    # Every mutating bedrock-agent operation in the code is a step of some role.
    steps = iam.APPLY_STEPS | iam.PROMOTE_STEPS | iam.EVAL_STEPS
    assert {op for op in named if op[1] in MUTATING} <= steps
    # And every operation of the catalogue has a resource kind and a real name.
    for svc, op in catalogue:
        assert (svc, op) in iam.RESOURCE_KINDS
        assert op in MODEL_OPS[svc] or (svc, op) in iam.PERMISSION_ONLY


# ------------------------------------------------------------- every call of a real run allowed

REGION, ACCOUNT = "us-east-1", "123456789012"
BASE = f"arn:aws:bedrock:{REGION}:{ACCOUNT}"


def _agent_tags(p: Project) -> dict[str, dict[str, str]]:
    emu, c = p.boto()
    try:
        out = {}
        for s in c.list_agents()["agentSummaries"]:
            arn = f"{BASE}:agent/{s['agentId']}"
            out[s["agentId"]] = c.list_tags_for_resource(resourceArn=arn).get("tags", {})
        return out
    finally:
        emu.close()


def _requests(call) -> list[tuple[str, str, dict[str, Any]]]:
    """(IAM action, resource ARN, extra context) that AWS authorises for one logged call,
    computed from the request's parameters (independently of agentctl.aws.iam)."""
    op, params = call.operation, call.params
    action = f"bedrock:{op}"
    out: list[tuple[str, str, dict[str, Any]]] = []
    agent_id, alias_id = params.get("agentId"), params.get("agentAliasId")
    if op in ("ListAgents",):
        out.append((action, "*", {}))
    elif op == "CreateAgent":
        tags = params.get("tags") or {}
        out.append((action, "*", {**{f"aws:RequestTag/{k}": v for k, v in tags.items()},
                                  "aws:TagKeys": list(tags)}))
    elif "resourceArn" in params:
        keys = list((params.get("tags") or {})) or list(params.get("tagKeys") or [])
        out.append((action, params["resourceArn"], {"aws:TagKeys": keys}))
    elif alias_id and op != "CreateAgentAlias":
        out.append((action, f"{BASE}:agent-alias/{agent_id}/{alias_id}", {}))
    elif agent_id:
        out.append((action, f"{BASE}:agent/{agent_id}", {}))
    else:
        raise AssertionError(f"no resource known for {op} {sorted(params)}")
    if params.get("knowledgeBaseId"):
        out.append((action, f"{BASE}:knowledge-base/{params['knowledgeBaseId']}", {}))
    alias_arn = (params.get("agentDescriptor") or {}).get("aliasArn")
    if alias_arn:
        out.append((action, alias_arn, {}))
    if op in ("CreateAgent", "UpdateAgent"):
        out.append(("iam:PassRole", params["agentResourceRoleArn"],
                    {"iam:PassedToService": "bedrock.amazonaws.com"}))
    return out


def _check_calls(p: Project, policy: Mapping[str, Any], *, expect: set[str]) -> None:
    emu = p.emulator()
    try:
        calls = [c for c in emu.calls()]
    finally:
        emu.close()
    tags = _agent_tags(p)
    refused = []
    seen = set()
    for call in calls:
        for action, resource, ctx in _requests(call):
            seen.add(action)
            agent_id = resource.split("/")[1] if ":agent/" in resource else None
            rtags = tags.get(agent_id or "", {})
            full = {**ctx, **{f"aws:ResourceTag/{k}": v for k, v in rtags.items()}}
            if not allowed(policy, action, resource, full):
                refused.append(f"{call.operation}: {action} on {resource}")
    assert refused == [], "calls the generated policy would refuse:\n" + "\n".join(refused)
    assert expect <= seen, f"the run did not exercise {sorted(expect - seen)}"
    p.clear_calls()


def test_every_call_of_apply_promote_eval_is_allowed_by_its_role(support_bot):
    p = support_bot
    p.ungate()
    apply_policy = _policy(p, "--for", "apply")["permissionsPolicy"]
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    _check_calls(p, apply_policy, expect={"bedrock:CreateAgent", "bedrock:PrepareAgent",
                                          "bedrock:CreateAgentAlias", "iam:PassRole",
                                          "bedrock:AssociateAgentKnowledgeBase"})
    # A second version, a changed tag and a dropped action group (versions, retention, tags).
    p.edit("agents/support-bot.yaml", "description: Customer support for orders",
           "description: Support for orders")
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    _check_calls(p, apply_policy, expect={"bedrock:UpdateAgent", "bedrock:UpdateAgentAlias"})

    promote_policy = _policy(p, "--for", "promote")["permissionsPolicy"]
    assert p.cli("promote", "PROD", "--agent", "support-bot", "--from", "STAGING").code == 0
    assert p.cli("rollback", "PROD", "--agent", "support-bot").code == 0
    _check_calls(p, promote_policy, expect={"bedrock:UpdateAgentAlias", "bedrock:GetAgent"})

    eval_policy = _policy(p, "--for", "eval")["permissionsPolicy"]
    r = p.cli("eval", "--agent", "support-bot", "--alias", "STAGING")
    assert r.code == ExitCode.OK, r.err
    r = p.cli("invoke", "--agent", "support-bot", "--version", "1", "Where is order 1001?")
    assert r.code == ExitCode.OK, r.err
    _check_calls(p, eval_policy, expect={"bedrock:InvokeAgent", "bedrock:CreateAgentAlias",
                                         "bedrock:DeleteAgentAlias"})

    # The evaluator can refuse: the plan role may not apply, the eval role may not update agents.
    plan_policy = _policy(p, "--for", "plan")["permissionsPolicy"]
    p.edit("agents/support-bot.yaml", "description: Support for orders",
           "description: Support for all orders")
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    with pytest.raises(AssertionError, match="UpdateAgent"):
        _check_calls(p, plan_policy, expect=set())
    agent_id = next(iter(_agent_tags(p)))
    assert not allowed(eval_policy, "bedrock:UpdateAgent", f"{BASE}:agent/{agent_id}",
                       {"aws:ResourceTag/agentctl:managed-by": "agentctl",
                        "aws:ResourceTag/agentctl:project": "support"})
    # ... and the apply role may not touch another project's agent, nor strip ownership tags.
    other = {"aws:ResourceTag/agentctl:managed-by": "agentctl",
             "aws:ResourceTag/agentctl:project": "someone-else"}
    assert not allowed(apply_policy, "bedrock:UpdateAgent", f"{BASE}:agent/{agent_id}", other)
    mine = {"aws:ResourceTag/agentctl:managed-by": "agentctl",
            "aws:ResourceTag/agentctl:project": "support"}
    assert not allowed(apply_policy, "bedrock:UntagResource", f"{BASE}:agent/{agent_id}",
                       {**mine, "aws:TagKeys": ["agentctl:project"]})
    assert allowed(apply_policy, "bedrock:UntagResource", f"{BASE}:agent/{agent_id}",
                   {**mine, "aws:TagKeys": ["team"]})


def test_collaborators_are_allowed(multi_agent):
    p = multi_agent
    policy = _policy(p, "--for", "apply")["permissionsPolicy"]
    r = p.cli("apply", "--auto-approve")
    assert r.code == ExitCode.OK, r.err
    _check_calls(p, policy, expect={"bedrock:AssociateAgentCollaborator"})
