"""The published v2 OpenAPI description, and request bodies validated against it.

`openapi.json` beside this module is the published extract of every `/v2` route, unchanged
(tests check it against the shared copy). The service is FastAPI-generated, so a body that
breaks its schema is a 422 `validation_error` whose `details` list each error with its
`loc` (`["body", field, …]`), `msg` and `type`, as FastAPI's do.
"""

from __future__ import annotations

import functools
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema_rs

from videosync.emulator.problems import Problem
from videosync.emulator.v2.decisions import VALIDATION_STATUS

__all__ = ["SPEC_PATH", "check_uuid", "spec", "validated"]

SPEC_PATH = Path(__file__).with_name("openapi.json")


@functools.cache
def spec() -> dict[str, Any]:
    """The OpenAPI description (loaded once)."""
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator(schema_name: str) -> jsonschema_rs.Validator:
    components = spec()["components"]
    if schema_name not in components["schemas"]:
        raise KeyError(f"no schema {schema_name!r} in the v2 OpenAPI description")
    document = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    return jsonschema_rs.Draft202012Validator(document)


def _location(error: jsonschema_rs.ValidationError) -> list[str | int]:
    return ["body", *error.instance_path]


def validated(body: Any, schema_name: str) -> dict[str, Any]:
    """`body` if it is an object valid against `schema_name`, else a 422 `Problem`."""
    errors = list(_validator(schema_name).iter_errors(body))
    if not errors:
        assert isinstance(body, dict)  # every v2 request schema is an object
        return body
    details = [
        {"loc": _location(e), "msg": e.message, "type": type(e.kind).__name__.lower()}
        for e in errors
    ]
    first = errors[0]
    where = ".".join(str(part) for part in first.instance_path)
    message = f"{where}: {first.message}" if where else first.message
    param = str(first.instance_path[0]) if first.instance_path else None
    raise Problem(VALIDATION_STATUS, message, param=param, details=details)


def check_uuid(value: str, param: str) -> str:
    """`value` if it is a UUID (the spec's `format: uuid`), else a 422 naming `param`."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise Problem(
            VALIDATION_STATUS,
            f"{param} must be a UUID, not {value!r}",
            param=param,
            details=[
                {
                    "loc": ["path", param],
                    "msg": "Input should be a valid UUID",
                    "type": "uuid_parsing",
                }
            ],
        ) from None
    return value
