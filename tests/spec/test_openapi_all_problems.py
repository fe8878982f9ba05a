"""OpenAPI validation reports every problem at once, each once (issue 12 item 6).

Before: ``openapi: 3.1.0`` hid every other problem of the document; a path without a leading
``/`` was reported only by the 3.0 validator, so not when it did not run (other version, an
external ``$ref``); ``operationId: "bad id!"`` also produced ``tool name ... is 17 characters;
Bedrock allows 64``, a length "problem" under the limit.
"""

from __future__ import annotations

import pytest

from agentctl.errors import SpecInvalid
from agentctl.spec import load_project

from .conftest import BASE

BOT = "agents/bot.yaml"
GROUP = (
    "actionGroups:\n"
    "  - name: Api\n"
    "    description: The order API for looking orders up in detail.\n"
    "    executor: { lambda: \"${var.lam}\" }\n"
    "    openapi: { file: ../api.yaml }\n"
)


def operation(path: str, op_id: str, *, description: bool = True, extra: str = "") -> str:
    return (f"  {path}:\n    get:\n"
            + ("      description: Look the orders up in the order system.\n" if description else "")
            + f"      operationId: {op_id!r}\n{extra}"
            + "      responses: { '200': { description: ok } }\n")


def problems(project, api: str) -> list[tuple[str, str]]:
    root = project({BOT: BASE + GROUP, "api.yaml": api})
    with pytest.raises(SpecInvalid) as info:
        load_project(root, "local")
    return [(p.code, p.message) for p in info.value.problems if p.severity == "error"]


def head(version: str = "3.0.0") -> str:
    return f"openapi: {version}\ninfo: {{ title: Orders, version: '1' }}\npaths:\n"


def test_bad_operation_id_is_one_problem_without_a_contradictory_length(project):
    found = problems(project, head() + operation("/orders", "bad id!"))
    assert [c for c, _ in found] == ["openapi.operation-id-pattern"], found


def test_a_tool_name_over_64_characters_reports_its_real_length(project):
    op_id = "a" * 60  # get__Api__ + 60 = 70 characters
    found = problems(project, head() + operation("/orders", op_id))
    assert found == [("openapi.tool-name-length",
                      f"tool name 'get__Api__{op_id}' is 70 characters; Bedrock allows 64")]


def test_paths_without_slash_are_reported_even_beside_other_problems(project):
    external = "      parameters:\n        - $ref: 'https://example.com/p.yaml'\n"
    api = (head() + operation("/orders", "bad id!", extra=external) + operation("items", "listItems")
           + operation("things/{id}", "getThing", description=False))
    codes = [c for c, _ in problems(project, api)]
    assert codes.count("openapi.path") == 2, codes
    assert {"openapi.external-ref", "openapi.operation-id-pattern",
            "openapi.description-missing"} <= set(codes)


def test_openapi_31_reports_its_other_problems_too(project):
    api = (head("3.1.0") + operation("/orders", "bad id!") + operation("items", "listItems")
           + operation("/things", "things", description=False))
    codes = [c for c, _ in problems(project, api)]
    assert codes.count("openapi.version") == 1
    assert {"openapi.operation-id-pattern", "openapi.path", "openapi.description-missing"} <= set(codes)


def test_swagger_document_says_what_it_is_and_still_lists_bedrock_problems(project):
    api = "swagger: '2.0'\ninfo: { title: Orders, version: '1' }\npaths:\n" + operation("items", "x y")
    found = problems(project, api)
    assert ("openapi.version", "Bedrock needs an OpenAPI 3.0.x document; this one has no "
            "`openapi:` key (it is Swagger 2.0)") in found
    assert {"openapi.path", "openapi.operation-id-pattern"} <= {c for c, _ in found}
