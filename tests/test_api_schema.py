"""Property-based checks of the REST API against its own OpenAPI spec (schemathesis, in-process).

Schemathesis generates valid and invalid requests for every operation in ``/openapi.json``
and sends them to the app over ASGI (no network). Every response must be one the spec
declares, with the declared content type and shape; no input may cause a 5xx; and every
error body must be ``{"detail": "<one line>"}`` with no trace or exception class name.

``TRADETRACE_SCHEMA_EXAMPLES`` scales the examples per operation (default 12, which keeps
the file under a minute on two cores); CI can raise it.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation import GenerationMode

from tradetrace.api import create_app

EXAMPLES = int(os.environ.get("TRADETRACE_SCHEMA_EXAMPLES", "12"))
# A trace, or an exception's class or module: never part of a message meant for a client.
TRACE = re.compile(r"Traceback|File \"|line \d+, in ")
CLASS_NAME = re.compile(r"\b\w*(Error|Exception|Warning)\b|\b(duckdb|ibis|pydantic|sqlglot)\.")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")  # the request's own text, echoed back
# A valid-looking target need not name an entity (and `from` must not be after `to`, nor a
# window's first month after its last): such requests are rightly a 400, so "schema-valid
# data is accepted" does not apply.
NEEDS_A_REAL_TARGET = {
    "/exposure/{target}", "/report/{target}", "/graph/{target}", "/flows/diversion",
    "/flows/series",
}  # fmt: skip


@pytest.fixture(scope="module")
def api_schema(aurus_db):
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(aurus_db))
    schema.config.generation.update(
        max_examples=EXAMPLES, modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    )
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4 reads ``node._nodeid``, which pytest 9 no longer has; give it the id."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
def test_every_operation_conforms_to_the_spec(case):
    skip = [positive_data_acceptance] if case.operation.path in NEEDS_A_REAL_TARGET else []
    response = case.call_and_validate(excluded_checks=skip)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_one_line_error(response.json())


def assert_one_line_error(body: object) -> None:
    assert isinstance(body, dict) and list(body) == ["detail"], body
    detail = body["detail"]
    assert isinstance(detail, str) and detail.strip() and "\n" not in detail, body
    assert not TRACE.search(detail), detail
    assert not CLASS_NAME.search(QUOTED.sub("", detail)), detail
