"""Reading the small bodies of the JSON routes: capped while read, plain JSON objects only.

The docs' curl examples send JSON and their Python sends form data (`requests`' `data=`),
so `read_body` accepts both. A body over `MAX_BODY_BYTES` is refused (413) as soon as it
is seen to be, never buffered whole. JSON the service could not store or give back is
refused with 422 before anything is stored: NaN, Infinity and numbers past a float's range
(not JSON; one stored once made every group listing of its key fail), lone surrogates (not
Unicode), NUL characters (which many databases cannot store in text), and nesting deeper
than `MAX_DEPTH`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from videosync.emulator.problems import Problem

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "parse_json_object",
    "read_body",
    "read_capped",
    "read_form",
    "read_json",
]

MAX_BODY_BYTES = 256 * 1024
"""Largest body of a JSON route: thousands of video ids fit."""

MAX_DEPTH = 64
"""Deepest nesting of objects and arrays accepted in a JSON body."""

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_capped(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body of `request`, or a 413 `Problem` once it is over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"Request body is larger than {limit} bytes")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise Problem(413, f"Request body is larger than {limit} bytes")
    except ClientDisconnect:
        # Nobody is left to answer; the status only shows in the log line.
        raise Problem(400, "Client disconnected before the request body was complete") from None
    return bytes(body)


def _replayed(request: Request, body: bytes) -> Request:
    """`request` again, its body the bytes already read (for Starlette's form parser)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


async def read_form(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, list[str]]:
    """A form-encoded or multipart body's text fields, each with its values in order."""
    raw = await read_capped(request, limit)
    fields: dict[str, list[str]] = {}
    async with _replayed(request, raw).form() as form:
        for key, value in form.multi_items():
            if isinstance(value, str):  # a field sent as a file is ignored
                fields.setdefault(key, []).append(value)
    return fields


async def read_json(request: Request) -> dict[str, Any]:
    """A JSON object body (422 if it is not one, 413 if too large)."""
    return parse_json_object(await read_capped(request))


async def read_body(request: Request) -> dict[str, Any]:
    """A JSON object or form body as a dict (form fields repeated become lists); {} if empty."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORMS:
        return {
            key: values if len(values) > 1 or key == "video_ids" else values[0]
            for key, values in (await read_form(request)).items()
        }
    raw = await read_capped(request)
    if not raw.strip():
        return {}
    return parse_json_object(raw)


def _no_constant(name: str) -> Any:
    raise Problem(422, f"Request body has {name}: JSON numbers are finite")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Problem(422, f"Request body has a number too large for a float: {text}")
    return value


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise Problem(422, "Request body has a NUL character (\\u0000) in a string")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        lone = f"\\u{ord(text[exc.start]):04x}"
        raise Problem(
            422, f"Request body has a lone surrogate ({lone}) in a string: not Unicode"
        ) from None


def _check_values(value: Any) -> None:
    """Refuse NUL, lone surrogates and nesting past `MAX_DEPTH` anywhere in `value`."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth >= MAX_DEPTH:
            raise Problem(422, f"Request body is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            for key in item:
                _check_text(key)
            pending.extend((child, depth + 1) for child in item.values())
        else:
            pending.extend((child, depth + 1) for child in item)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """`raw` as a JSON object, or a 422 `Problem` saying what is wrong with it."""
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise Problem(422, f"Request body is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError:
        raise Problem(422, "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Problem(422, "Request body must be a JSON object")
    _check_values(body)
    return body
