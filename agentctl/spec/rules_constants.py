"""Named limits and agentctl-own constants used by the schema generator and the validators.

Only values that botocore's service model does *not* carry live here: service quotas
(service-behaviour.md §7 [QUOTA]), documented service rules (§4.1) and agentctl's own formats.
Everything the model has (patterns, lengths, enums, ranges) is read from it via
``agentctl.core.servicemodel``; never copy a model value into this file.

Pure constants; no imports of other agentctl modules.
"""

from __future__ import annotations

# --- service quotas (service-behaviour.md §7, defaults around June 2025) --------------------------
INSTRUCTION_MAX_CHARS = 20_000
"""Quota "Characters in Agent instructions" (L-6E3CDA2D, not adjustable). The botocore model
still says 4000, which is stale (§6.3): 1200 -> 4000 -> 8000 -> 20000 (May 2025)."""
MAX_APIS_PER_AGENT = 11            # "APIs per Agent" (L-6B2DA87E): functions + OpenAPI operations
MAX_PARAMETERS_PER_FUNCTION = 5    # "Parameters per function" (L-4B4330A0)
MAX_ACTION_GROUPS = 20             # "Action groups per Agent" (L-5DAAE567)
MAX_ENABLED_ACTION_GROUPS = 15     # "Enabled action groups per agent" (L-14A16430)
MAX_KNOWLEDGE_BASES = 2            # "Associated knowledge bases per Agent" (L-13143995)
MAX_ALIASES = 10                   # "Associated aliases per Agent" (not adjustable)
MAX_COLLABORATORS = 10             # "Agent Collaborators per Agent" (L-EAFCD549)

# --- documented service rules (§3.4, §4.1, §6.2) --------------------------------------------------
RESERVED_ALIAS_NAMES = ("TSTALIASID", "AgentTestAlias")
AGENTCTL_ALIAS_PREFIX = "agentctl-"
"""Alias names agentctl keeps for itself (``agentctl-release``, ``agentctl-candidate``)."""
"""Every agent has the built-in test alias TSTALIASID named AgentTestAlias (§3.4)."""
OPENAPI_METHODS = ("get", "post", "put", "patch", "delete")
"""HTTP methods Bedrock accepts in an action group's OpenAPI schema (agents-api-schema.html)."""
OPENAPI_NO_BODY_METHODS = ("get", "delete")
OPENAPI_OPERATION_ID_PATTERN = r"[a-zA-Z0-9_-]+"
TOOL_NAME_MAX_CHARS = 64
TOOL_NAME_PATTERN = r"[a-zA-Z0-9_-]{1,64}"
"""Tool names are httpVerb__actionGroupName__apiName and must match ^[a-zA-Z0-9_-]{1,64}$ for
Claude models (agents-action-add.html, §4.1)."""
EXTRA_PROMPT_TYPES = ("ROUTING_CLASSIFIER",)
"""Not in the control-plane enum, but in CloudFormation's AWS::Bedrock::Agent PromptType and the
runtime traces (§6.2); accepted with a warning since server acceptance is UNCONFIRMED."""

# --- description quality (warnings) ---------------------------------------------------------------
MIN_DESCRIPTION_CHARS = 20
"""A tool / KB description shorter than this rarely tells the model when to pick it."""
NEAR_DUPLICATE_RATIO = 0.9
"""difflib ratio above which two tool descriptions are too alike for the model to choose."""

# --- agentctl's own formats -----------------------------------------------------------------------
TRACKS = ("pinned", "latest")
TARGETS = ("local", "aws")
HANDLER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$"
ACCOUNT_PATTERN = r"^[0-9]{12}$"
ENV_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
VARIABLE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
MAX_INCLUDE_BYTES = 1024 * 1024
