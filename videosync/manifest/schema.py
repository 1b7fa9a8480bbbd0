"""The manifest's schema check: jsonschema-rs errors retold in the user's words, located.

`schemas/manifest.schema.json` is the one description of the manifest's shape, for
editors (yaml-language-server) and for this check alike; its `errorMessage` and
`patternErrorMessage` keywords (which VS Code's JSON support also shows) give the wording.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema_rs

from videosync.errors import ManifestError
from videosync.manifest.yamlread import PathPart, YamlDocument
from videosync.schemas import load_schema, schema_validator

__all__ = ["SchemaProblem", "check_schema", "format_path", "suggest"]

_Kind = jsonschema_rs.ValidationErrorKind

_At = tuple[PathPart, ...]
_Told = tuple[_At, str, bool]
"""Where a problem is, what it is, and whether it points at the key rather than the value."""

_TYPE_WORDS = {
    "string": "a string",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "integer": "an integer",
    "number": "a number",
    "null": "nothing",
}


@dataclass(frozen=True)
class SchemaProblem:
    """One schema error and the place in the data it is about."""

    at: tuple[PathPart, ...]
    error: ManifestError


def check_schema(doc: YamlDocument) -> list[SchemaProblem]:
    """Every way `doc.data` breaks the manifest schema, as located `ManifestError`s."""
    validator = schema_validator("manifest")
    if validator.is_valid(doc.data):  # the common case: skip building error objects
        return []
    raw = list(validator.iter_errors(doc.data))
    # A value of the wrong type fails its other keywords too; its type is the news.
    mistyped = {tuple(e.instance_path) for e in raw if isinstance(e.kind, _Kind.Type)}
    problems: list[SchemaProblem] = []
    for error in raw:
        at = tuple(error.instance_path)
        if at in mistyped and not isinstance(error.kind, _Kind.Type):
            continue
        for where, message, key in _retell(error, at, doc.data):
            location = doc.locate(where, key=key)
            made = ManifestError(
                message, location.file, location.line, location.column, format_path(where)
            )
            problems.append(SchemaProblem(where, made))
    return problems


def format_path(at: Sequence[PathPart]) -> str:
    """`("videos", 3, "path")` → `videos[3].path`."""
    text = ""
    for part in at:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@lru_cache(maxsize=1024)
def suggest(word: str, choices: tuple[str, ...]) -> str:
    """` (did you mean 'x'?)` when one of `choices` is close to `word`, else ``.

    Cached: one misspelled key repeated over 100k entries costs difflib one run.
    """
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _retell(error: jsonschema_rs.ValidationError, at: _At, data: Any) -> list[_Told]:
    """(where, message, at the key?) for one validator error, in the user's words."""
    kind = error.kind
    rule = _subschema(error.schema_path[:-1])
    if isinstance(kind, _Kind.AdditionalProperties):
        allowed = tuple(sorted(rule.get("properties", {})))
        told: list[_Told] = []
        for name in kind.unexpected:
            hint = suggest(name, allowed) or f" (allowed: {', '.join(allowed)})"
            told.append(((*at, name), f"unknown key '{name}'{hint}", True))
        return told
    if isinstance(kind, _Kind.Required):
        return [(at, f"missing required key '{kind.property}'", False)]
    if isinstance(kind, _Kind.Type):
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in kind.types)
        return [(at, f"expected {wanted}, got {_describe(_value_at(data, at))}", False)]
    if isinstance(kind, (_Kind.OneOfNotValid, _Kind.OneOfMultipleValid)):
        return [(at, _one_of(rule.get("oneOf", []), error.instance) or error.message, False)]
    if isinstance(kind, _Kind.PropertyNames):
        bad_key = str(kind.error.instance)
        # The failing keyword is inside propertyNames, so `rule` is that subschema.
        wording = rule.get("patternErrorMessage", kind.error.message)
        return [((*at, bad_key), f"'{bad_key}': {wording}", True)]
    if isinstance(kind, _Kind.Pattern):
        wording = rule.get("patternErrorMessage", error.message)
        value = str(error.instance)
        return [(at, f"{wording}: '{value}'" if value.strip() else wording, False)]
    if isinstance(kind, _Kind.Constant):
        wording = rule.get("errorMessage", error.message)
        return [(at, f"{wording} (got {_describe(_value_at(data, at))})", False)]
    if isinstance(kind, _Kind.Enum):
        value = _value_at(data, at)
        options = tuple(str(option) for option in rule.get("enum", ()))
        said = f"'{value}'" if isinstance(value, str) else _describe(value)
        hint = (suggest(value, options) if isinstance(value, str) else "") or (
            f" (choose from: {', '.join(options)})"
        )
        return [(at, f"{rule.get('errorMessage', 'not allowed:')} {said}{hint}", False)]
    if isinstance(kind, _Kind.UniqueItems):
        items = _value_at(data, at)
        # The second mention is the one to delete, so the error points at it.
        for second, item in enumerate(items):
            if item in items[:second]:
                first = format_path((*at, items.index(item)))
                said = f"'{item}'" if isinstance(item, str) else _describe(item)
                return [((*at, second), f"{said} is listed twice (first at {first})", False)]
    return [(at, error.message, False)]


def _subschema(schema_path: Sequence[PathPart]) -> dict[str, Any]:
    """The schema object a keyword sits in (jsonschema-rs paths start at the root)."""
    node: Any = load_schema("manifest")
    for part in schema_path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return {}
    return node if isinstance(node, dict) else {}


def _one_of(branches: list[Any], instance: Any) -> str | None:
    """`exactly one of …` for a oneOf whose branches each require one key."""
    keys = [b["required"][0] for b in branches if list(b) == ["required"]]
    if len(keys) != len(branches) or not isinstance(instance, dict):
        return None
    given = [k for k in keys if k in instance]
    choices = ", ".join(keys[:-1]) + f" or {keys[-1]}"
    if not given:
        return f"needs one of {choices}"
    return f"has {' and '.join(given)}: give exactly one of {choices}"


def _value_at(data: Any, at: tuple[PathPart, ...]) -> Any:
    """The value as read (the validator's copy turns NaN and infinities into null)."""
    for part in at:
        data = data[part]
    return data


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f"the string '{value}'"
    if isinstance(value, (int, float)):
        return str(value)
    return "a list" if isinstance(value, list) else "a mapping"
