"""The order-tools Lambda of the support-bot example.

One Lambda serves two action groups (Bedrock allows one Lambda per group, and the same Lambda may
back several): ``OrderTools`` (function schema: get_order_status, cancel_order) and ``OrderApi``
(OpenAPI schema: getDeliveryEstimate, listCustomerOrders). The event and response shapes are
Bedrock's (docs.aws.amazon.com/bedrock/latest/userguide/agents-lambda.html): every parameter value
arrives as a string; a function-schema group answers with ``functionResponse.responseBody.TEXT``,
an OpenAPI group with ``httpStatusCode`` and ``responseBody["application/json"]``.

The order table is in memory so the example runs without a database; deploy the same file to
AWS Lambda unchanged.
"""

from __future__ import annotations

import json
from typing import Any

ORDERS: dict[str, dict[str, Any]] = {
    "A-482": {"customer_id": "C-1001", "status": "SHIPPED", "placed": "2026-04-18",
              "eta": "2026-04-27", "carrier": "UPS", "tracking": "1Z999AA10123456784"},
    "A-483": {"customer_id": "C-1001", "status": "PROCESSING", "placed": "2026-04-22",
              "eta": "2026-05-02", "carrier": None, "tracking": None},
    "A-510": {"customer_id": "C-2002", "status": "DELIVERED", "placed": "2026-03-30",
              "eta": "2026-04-04", "carrier": "FedEx", "tracking": "612999AA10123456"},
}


def lambda_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    params = {p["name"]: p["value"] for p in event.get("parameters") or []}
    if "function" in event:
        return _function_response(event, params)
    return _api_response(event, params)


# --- function-schema group (OrderTools) ----------------------------------------------------------

def _function_response(event: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    function = event["function"]
    state = None
    if function == "get_order_status":
        body, state = _order_status(params.get("order_id"))
    elif function == "cancel_order":
        body, state = _cancel(params.get("order_id"), params.get("reason"))
    else:
        body, state = f"unknown function {function}", "FAILURE"
    response: dict[str, Any] = {"responseBody": {"TEXT": {"body": body}}}
    if state:
        response["responseState"] = state
    return {
        "messageVersion": "1.0",
        "response": {"actionGroup": event["actionGroup"], "function": function, "functionResponse": response},
        "sessionAttributes": event.get("sessionAttributes") or {},
        "promptSessionAttributes": event.get("promptSessionAttributes") or {},
    }


def _order_status(order_id: str | None) -> tuple[str, str | None]:
    order = ORDERS.get(order_id or "")
    if order is None:
        # REPROMPT: the model sees the message and can ask the user for a correct ID.
        return f"No order with ID {order_id!r}. Ask the customer to check the ID.", "REPROMPT"
    return json.dumps({"order_id": order_id, "status": order["status"], "eta": order["eta"]}), None


def _cancel(order_id: str | None, reason: str | None) -> tuple[str, str | None]:
    order = ORDERS.get(order_id or "")
    if order is None:
        return f"No order with ID {order_id!r}. Ask the customer to check the ID.", "REPROMPT"
    if order["status"] in ("SHIPPED", "DELIVERED"):
        return f"Order {order_id} has already {order['status'].lower()} and cannot be cancelled.", None
    order["status"] = "CANCELLED"
    order["cancel_reason"] = reason
    return f"Order {order_id} is cancelled.", None


# --- OpenAPI group (OrderApi) ---------------------------------------------------------------------

def _api_response(event: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    path, method = event.get("apiPath"), event.get("httpMethod", "GET")
    status, body = 404, {"error": f"no route {method} {path}"}
    if method == "GET" and path == "/orders/{order_id}/eta":
        order = ORDERS.get(params.get("order_id", ""))
        if order is None:
            status, body = 404, {"error": f"no order {params.get('order_id')!r}"}
        else:
            status, body = 200, {"order_id": params["order_id"], "status": order["status"],
                                 "eta": order["eta"], "carrier": order["carrier"]}
    elif method == "GET" and path == "/customers/{customer_id}/orders":
        try:
            limit = max(1, min(20, int(params.get("limit", "5"))))
        except ValueError:
            limit = 5
        mine = [{"order_id": oid, "placed": o["placed"], "status": o["status"]}
                for oid, o in ORDERS.items() if o["customer_id"] == params.get("customer_id")]
        mine.sort(key=lambda o: o["placed"], reverse=True)
        status, body = 200, {"orders": mine[:limit]}
    return {
        "messageVersion": "1.0",
        "response": {
            "actionGroup": event["actionGroup"],
            "apiPath": path,
            "httpMethod": method,
            "httpStatusCode": status,
            "responseBody": {"application/json": {"body": json.dumps(body)}},
        },
        "sessionAttributes": event.get("sessionAttributes") or {},
        "promptSessionAttributes": event.get("promptSessionAttributes") or {},
    }
