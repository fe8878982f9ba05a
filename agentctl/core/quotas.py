"""The Bedrock control plane's published request-rate quotas (service-behaviour.md §7).

One table, used by both sides of the local target: the client-side rate limiter
(``agentctl.aws.ratelimit``) keeps every operation under its quota, and the emulator's
``throttle: tps`` fault (``agentctl.emulator.faults``) enforces the same numbers.

Must not: import anything beyond the standard library (it is data).
"""

from __future__ import annotations

from typing import Mapping

TPS_QUOTAS: Mapping[str, float] = {
    # §7 control-plane request-rate quotas (requests per second per account and Region, not
    # adjustable). Operations without a row (ListTagsForResource, the collaborator operations,
    # TagResource, ...) are not limited by agentctl and not throttled by the emulator.
    "CreateAgent": 6, "UpdateAgent": 4, "DeleteAgent": 2, "PrepareAgent": 2,
    "CreateAgentActionGroup": 12, "UpdateAgentActionGroup": 6, "DeleteAgentActionGroup": 2,
    "CreateAgentAlias": 2, "UpdateAgentAlias": 2, "DeleteAgentAlias": 2,
    "GetAgent": 15, "GetAgentActionGroup": 20, "GetAgentAlias": 10, "GetAgentKnowledgeBase": 15,
    "GetAgentVersion": 10, "ListAgents": 10, "ListAgentActionGroups": 10, "ListAgentAliases": 10,
    "ListAgentKnowledgeBases": 10, "ListAgentVersions": 10, "AssociateAgentKnowledgeBase": 6,
    "UpdateAgentKnowledgeBase": 4, "DisassociateAgentKnowledgeBase": 4, "DeleteAgentVersion": 2,
}
"""Operation name (botocore's) -> requests per second."""
