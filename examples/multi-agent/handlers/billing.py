"""billing-tools Lambda: get_invoice / issue_refund over an in-memory invoice table, in Bedrock's
function-schema event and response format (agents-lambda.html)."""

from __future__ import annotations

import json
from typing import Any

INVOICES: dict[str, dict[str, Any]] = {
    "INV-2041": {"total": 59.97, "paid": True, "refunded": 0.0,
                 "lines": [{"item": "Desk lamp", "amount": 39.98}, {"item": "Shipping", "amount": 19.99}]},
    "INV-2042": {"total": 12.50, "paid": False, "refunded": 0.0, "lines": [{"item": "Cable", "amount": 12.50}]},
}


def lambda_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    params = {p["name"]: p["value"] for p in event.get("parameters") or []}
    function = event.get("function")
    invoice = INVOICES.get(params.get("invoice_id", ""))
    state = None
    if invoice is None:
        body, state = f"No invoice {params.get('invoice_id')!r}; ask the customer for the number.", "REPROMPT"
    elif function == "get_invoice":
        body = json.dumps({"invoice_id": params["invoice_id"], **invoice})
    elif function == "issue_refund":
        amount = float(params.get("amount", "0"))
        if not invoice["paid"] or amount <= 0 or amount > invoice["total"] - invoice["refunded"]:
            body = "Refund refused: the invoice is unpaid or the amount exceeds what can be refunded."
        else:
            invoice["refunded"] += amount
            body = f"Refunded {amount:.2f} on {params['invoice_id']}."
    else:
        body, state = f"unknown function {function}", "FAILURE"
    response: dict[str, Any] = {"responseBody": {"TEXT": {"body": body}}}
    if state:
        response["responseState"] = state
    return {"messageVersion": "1.0",
            "response": {"actionGroup": event.get("actionGroup"), "function": function,
                         "functionResponse": response}}
