"""videosync's JSON Schemas (`manifest`, `lockfile`, `plan`), found in a checkout or a wheel.

`schemas/` sits at the top of the repository for editors and readers; the wheel carries
it as `videosync/schemas` (pyproject's force-include), so both places are looked at.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

__all__ = ["load_schema", "schema_error", "schema_file", "schema_validator"]

_PACKAGE = Path(__file__).resolve().parent


def schema_file(name: str) -> Path:
    """The file of schema `name` (`manifest` → `…/schemas/manifest.schema.json`)."""
    for folder in (_PACKAGE / "schemas", _PACKAGE.parent / "schemas"):
        candidate = folder / f"{name}.schema.json"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"schemas/{name}.schema.json is missing from this installation")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Schema `name` as a dict, read once per process."""
    schema: dict[str, Any] = json.loads(schema_file(name).read_text(encoding="utf-8"))
    return schema


@cache
def schema_validator(name: str) -> jsonschema_rs.Validator:
    """Schema `name`, compiled once per process."""
    return jsonschema_rs.validator_for(load_schema(name))


def schema_error(name: str, data: Any) -> str | None:
    """`at PATH: MESSAGE` for the first place `data` breaks schema `name`, or None if valid."""
    validator = schema_validator(name)
    if validator.is_valid(data):
        return None
    first = min(validator.iter_errors(data), key=lambda e: [str(p) for p in e.instance_path])
    at = "/".join(str(p) for p in first.instance_path) or "(top level)"
    return f"at {at}: {first.message}"
