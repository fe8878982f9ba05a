"""What to do when a value does not match one of the patterns of the spec schemas.

The patterns come from botocore's service model (and a few of agentctl's own, for the project
file); a pattern alone tells a user nothing they can act on, and a schema description names the
member rather than saying what to write. Each pattern therefore has one hint here, written as an
instruction with an example. ``tests/spec/test_hints.py`` fails when the generated schemas use a
pattern without a hint (e.g. after a botocore upgrade), and checks that every hint agentctl's
validation produces says what to do.

Pure data and lookups; no I/O.
"""

from __future__ import annotations

_NAME = ("use letters and digits, with at most one '_' or '-' between them and none at the start "
         "(e.g. order-tools or get_order_status); no spaces or other characters, at most 100 "
         "letters and digits")
_LAMBDA = ("give a Lambda function ARN: arn:aws:lambda:REGION:ACCOUNT:function:NAME, optionally "
           "with :VERSION or :ALIAS (e.g. arn:aws:lambda:us-east-1:123456789012:function:tools)")
_HANDLER = ("write module:function, with a module importable from the project directory (e.g. "
            "handlers.calendar:open_calendar)")
_TAG_TEXT = "use only letters, digits, spaces and the characters _ . : / = + - @"
_KB_ID = "give the 10-character knowledge base id: letters and digits only (e.g. KB1234ABCD)"

PATTERN_HINTS: dict[str, str] = {
    # --- agent specs (botocore's bedrock-agent model) ---
    r"([0-9a-zA-Z][_-]?){1,100}": _NAME,
    (r"(arn:aws(-[^:]{1,12})?:(bedrock|sagemaker):[a-z0-9-]{1,20}:([0-9]{12})?:([a-z-]+/)?)?"
     r"([a-zA-Z0-9.-]{1,63}){0,2}(([:][a-z0-9-]{1,63}){0,2})?(/[a-z0-9]{1,12})?"):
        "give a model id (e.g. anthropic.claude-3-5-sonnet-20241022-v2:0), an inference profile id "
        "(e.g. us.anthropic.claude-3-5-sonnet-20241022-v2:0) or a model / profile ARN",
    r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+":
        "give an IAM role ARN: arn:aws:iam::ACCOUNT:role/NAME (e.g. "
        "arn:aws:iam::123456789012:role/AgentRole)",
    r"arn:aws(|-cn|-us-gov):kms:[a-zA-Z0-9-]*:[0-9]{12}:key/[a-zA-Z0-9-]{36}":
        "give a KMS key ARN: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID, the key id being the "
        "36-character UUID (not an alias name)",
    r"[a-zA-Z0-9\s._:/=+@-]*": _TAG_TEXT,
    r"(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))":
        "give the guardrail id (lowercase letters and digits, e.g. abcdef123456) or its ARN",
    r"(([0-9]{1,8})|(DRAFT))":
        'give DRAFT or a version number of up to 8 digits, quoted (e.g. version: "1")',
    (r"arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_\.]+"
     r"(:(\$LATEST|[a-zA-Z0-9-_]+))?"): _LAMBDA,
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$": _HANDLER,
    r"[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]":
        "give an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-', starting and ending "
        "with a letter or digit",
    r"[\.\-\!\*\_\'\(\)a-zA-Z0-9][\.\-\!\*\_\'\(\)\/a-zA-Z0-9]*":
        "give an S3 object key without a leading '/': letters, digits and . - ! * _ ' ( ) / only "
        "(e.g. schemas/orders.yaml)",
    r"[0-9a-zA-Z]{10}": _KB_ID,
    r"arn:aws:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:agent-alias/[0-9a-zA-Z]{10}/[0-9a-zA-Z]{10}":
        "give an alias ARN: arn:aws:bedrock:REGION:ACCOUNT:agent-alias/AGENT-ID/ALIAS-ID (ids of "
        "10 letters or digits), or name a project agent with `agent:` and `alias:` instead",
    # --- the project file (agentctl's own patterns) ---
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$":
        "start with a letter or digit, then use letters, digits, '_' or '-' (e.g. prod or dev-eu)",
    r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]": "give an AWS region code such as us-east-1",
    r"[0-9]{12}": 'give the 12-digit account id, quoted (e.g. account: "123456789012")',
    r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]":
        "give an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending "
        "with a letter or digit (e.g. acme-agentctl-state)",
    # --- eval suites and gates (agentctl/spec/eval_schema.py) ---
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$":
        "start with a letter or digit, then use letters, digits, '_', '.' or '-' (e.g. "
        "order-status)",
    r"^[0-9a-zA-Z._:-]+$":
        "use 2-100 letters, digits and the characters . _ : - only (e.g. user-9921)",
    r"^[0-9a-zA-Z_-]{1,100}$":
        "give an alias name: letters, digits, '_' or '-' (e.g. PROD)",
    r"https?://.*": "give an http:// or https:// URL (e.g. http://127.0.0.1:4566)",
    r"^[A-Za-z_][A-Za-z0-9_]*$":
        "start with a letter or '_', then use letters, digits or '_' (e.g. orderToolsLambda)",
}


def pattern_hint(pattern: str) -> str:
    """The hint for a value that does not match ``pattern`` (the model's pattern, without the
    interpolation wrapper ``gen_schema`` adds). Unknown patterns (a newer botocore) still get an
    instruction."""
    return PATTERN_HINTS.get(pattern) or f"change the value so that all of it matches {pattern}"


# Words that start an instruction. A hint "says what to do" when one of its clauses starts with
# one of them (``did you mean ...?`` suggests a rename). Used by tests/spec/test_hints.py.
IMPERATIVES = frozenset("""
add remove use give set write rename choose quote split move check shorten list say declare fix
pick keep put close export create point pass disable enable inline request group save replace
make delete run drop turn name shorten lengthen change select install upgrade define
""".split())
