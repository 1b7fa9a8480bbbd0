"""The manifest schema is a valid JSON Schema 2020-12 whose own examples pass it."""

from __future__ import annotations

from typing import Any

import jsonschema

from videosync.schemas import load_schema, schema_file, schema_validator


def _subschemas(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for key, value in node.items():
            if key != "examples":
                found.extend(_subschemas(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_subschemas(value))
    return found


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema("manifest")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_property_has_a_description_for_editors() -> None:
    schema = load_schema("manifest")
    for node in _subschemas(schema):
        for name, prop in node.get("properties", {}).items():
            assert "description" in prop or "$ref" in prop, name


def test_examples_in_the_schema_are_valid_for_their_part() -> None:
    schema = load_schema("manifest")
    for node in _subschemas(schema):
        if "examples" in node:
            part = {**node, "$defs": schema["$defs"]}
            part.pop("examples")
            for example in node["examples"]:
                jsonschema.Draft202012Validator(part).validate(example)


def test_packaged_schema_is_the_top_level_file() -> None:
    assert schema_file("manifest").parent.name == "schemas"
    assert schema_validator("manifest") is schema_validator("manifest")
    assert schema_validator("manifest").is_valid({"version": 1, "videos": []})
