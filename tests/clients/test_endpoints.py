"""Every endpoint the mini-program calls (miniprogram/api/endpoints.json) exists in the
OpenAPI schema, generated here in-process: its path and method, each body field in the
request schema (an upload's "file" field in its multipart schema), each query parameter and
header among the operation's parameters, and a call declared without login ("auth": false)
is one the schema lets anonymous callers make."""

import json
import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.clients.conftest import MINIPROGRAM

ENDPOINTS = json.loads((MINIPROGRAM / "api" / "endpoints.json").read_text())[
    "endpoints"
]


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _operation(schema: dict, endpoint: dict) -> dict:
    path_item = schema["paths"].get(endpoint["path"])
    assert path_item is not None, f"no path {endpoint['path']} in the schema"
    operation = path_item.get(endpoint["method"].lower())
    assert operation is not None, (
        f"{endpoint['method']} is not allowed on {endpoint['path']}"
    )
    return operation


def _parameters(operation: dict, where: str) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == where}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_the_endpoint_is_in_the_schema(schema, name):
    endpoint = ENDPOINTS[name]
    operation = _operation(schema, endpoint)

    assert set(re.findall(r"\{(\w+)\}", endpoint["path"])) == _parameters(
        operation, "path"
    )
    unknown_query = set(endpoint.get("query", [])) - _parameters(operation, "query")
    assert not unknown_query, f"query parameters not in the schema: {unknown_query}"
    unknown_headers = set(endpoint.get("headers", [])) - _parameters(
        operation, "header"
    )
    assert not unknown_headers, f"headers not in the schema: {unknown_headers}"

    if "file" in endpoint:
        assert not endpoint.get("body"), f"{name} uploads a file: no JSON body"
        content = operation.get("requestBody", {}).get("content", {})
        assert "multipart/form-data" in content, f"{name} takes no multipart upload"
        properties = _resolve(schema, content["multipart/form-data"]["schema"]).get(
            "properties", {}
        )
        assert endpoint["file"] in properties, (
            f"{name}: no file field {endpoint['file']} in the request schema"
        )
    body = endpoint.get("body", [])
    if body:
        content = operation.get("requestBody", {}).get("content", {})
        assert "application/json" in content, f"{name} takes no JSON body"
        properties = _resolve(schema, content["application/json"]["schema"]).get(
            "properties", {}
        )
        unknown = set(body) - set(properties)
        assert not unknown, f"body fields not in the request schema: {unknown}"
    if endpoint["auth"] is False:
        assert {} in operation.get("security", [{}]), (
            f"{name} is called without login, but the schema requires it"
        )


def test_the_checks_would_catch_a_wrong_entry(schema):
    # The same checks on entries that are wrong in each way fail.
    wrong = [
        {"method": "GET", "path": "/api/v1/no/such/", "auth": True},
        {"method": "DELETE", "path": "/api/v1/appointments/", "auth": True},
    ]
    for endpoint in wrong:
        with pytest.raises(AssertionError):
            _operation(schema, endpoint)
    book = _operation(schema, ENDPOINTS["appointmentBook"])
    assert "Idempotency-Key" in _parameters(book, "header")
    assert "not_a_field" not in _resolve(
        schema, book["requestBody"]["content"]["application/json"]["schema"]
    ).get("properties", {})
    assert {} not in book["security"]


def test_reschedule_and_the_list_pages_are_declared(schema):
    # 改约 posts the new slot; every list the pages page through declares page/page_size.
    reschedule = ENDPOINTS["appointmentReschedule"]
    assert reschedule["body"] == ["slot_id"]
    assert "slot_id" in _resolve(
        schema,
        _operation(schema, reschedule)["requestBody"]["content"]["application/json"][
            "schema"
        ],
    ).get("properties", {})
    # (an entry missing from the schema is reported by test_the_endpoint_is_in_the_schema)
    paged = [
        name
        for name, endpoint in ENDPOINTS.items()
        if endpoint["method"] == "GET"
        and endpoint["path"] in schema["paths"]
        and {"page", "page_size"}
        <= set(_parameters(_operation(schema, endpoint), "query"))
    ]
    assert {"appointmentList", "notificationList", "recordList"} <= set(paged)
    missing = [n for n in paged if "page" not in ENDPOINTS[n].get("query", [])]
    assert not missing, f"declare page and page_size for {missing}"
