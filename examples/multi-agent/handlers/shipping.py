"""shipping-tools Lambda: track_parcel over an in-memory tracking table, in Bedrock's
function-schema event and response format (agents-lambda.html)."""

from __future__ import annotations

import json
from typing import Any

PARCELS = {
    "1Z999AA10123456784": {"carrier": "UPS", "last_scan": "Arrived at facility, Louisville KY",
                           "scanned": "2026-04-24", "eta": "2026-04-27"},
}


def lambda_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    params = {p["name"]: p["value"] for p in event.get("parameters") or []}
    parcel = PARCELS.get(params.get("tracking_number", ""))
    if parcel is None:
        response = {"responseState": "REPROMPT",
                    "responseBody": {"TEXT": {"body": "Unknown tracking number; ask the customer to check it."}}}
    else:
        response = {"responseBody": {"TEXT": {"body": json.dumps(parcel)}}}
    return {"messageVersion": "1.0",
            "response": {"actionGroup": event.get("actionGroup"), "function": event.get("function"),
                         "functionResponse": response}}
