"""The OpenAPI schema describes every answer as it is sent: errors in the one error shape."""

import datetime
import re

import pytest

from common.schema import HourMinuteField, error_responses

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_error_answer_is_documented_in_the_error_shape(schema):
    wrong = [
        f"{label} {status}"
        for label, operation in operations(schema)
        for status, response in operation["responses"].items()
        if status[0] in "45"
        and label != "GET /health/"  # the health check answers its own shape
        and response.get("content", {}).get("application/json", {}).get("schema")
        != ERROR_REF
    ]

    assert wrong == []


def test_the_error_shape_is_code_message_and_fields(schema):
    detail = schema["components"]["schemas"]["ErrorDetail"]

    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert set(detail["required"]) == {"code", "message", "fields"}


def test_operations_behind_a_token_document_401(schema):
    missing = [
        label
        for label, operation in operations(schema)
        if {"jwtAuth": []} in operation.get("security", [])
        and "401" not in operation["responses"]
    ]

    assert missing == []


def test_operations_with_a_body_document_the_parser_refusals(schema):
    missing = [
        label
        for label, operation in operations(schema)
        if "requestBody" in operation
        and not {"400", "413", "415"} <= set(operation["responses"])
    ]

    assert missing == []


def test_session_times_are_documented_as_sent(schema):
    start_time = schema["components"]["schemas"]["SessionOutput"]["properties"][
        "start_time"
    ]
    sent = HourMinuteField().to_representation(datetime.time(8, 0))

    assert sent == "08:00"
    assert "format" not in start_time
    assert re.fullmatch(start_time["pattern"], sent)
    assert not re.fullmatch(start_time["pattern"], "24:00")


def test_error_responses_names_each_status():
    responses = error_responses(400, 404)

    assert sorted(responses) == [400, 404]
    assert responses[404].description == "Not found, or not the caller's."


def _page_schema(schema: dict, operation: dict) -> dict | None:
    """The 200 answer's schema when it is a page (count, next, previous, results)."""
    content = operation["responses"].get("200", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    properties = set(body.get("properties", {}))
    return body if {"count", "next", "previous", "results"} <= properties else None


def test_every_paginated_list_documents_page_and_page_size(schema):
    # A client can only walk a list whose page parameters the schema declares.
    pages = [
        (label, operation)
        for label, operation in operations(schema)
        if _page_schema(schema, operation)
    ]
    missing = [
        label
        for label, operation in pages
        if not {"page", "page_size"}
        <= {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    ]

    assert len(pages) >= 11
    assert missing == []
