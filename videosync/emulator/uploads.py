"""Streaming a multipart upload straight to a file, so memory stays flat for any size.

Starlette's `request.form()` spools each file to a temporary file of its own and copies it;
here python-multipart's streaming parser is fed from `request.stream()` and the `file`
part's bytes go straight into a temp file in the data dir. Past the size limit reading
stops (413) and the partial file is left to the caller to delete. The file is not fsynced
here: storing it does that, in the worker thread that probes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from videosync.emulator.bodies import read_form
from videosync.emulator.problems import Problem

__all__ = ["UploadForm", "receive_upload"]

FILE_FIELD = "file"
_MAX_FIELD_BYTES = 64 * 1024
"""A text field larger than this is refused: only the file may be big."""
_FORM_OVERHEAD = 1024 * 1024
"""Room for the text fields and multipart framing beside the file in `Content-Length`."""


@dataclass
class UploadForm:
    """What a multipart upload carried: its text fields and, if any, the stored file part."""

    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    has_file: bool = False
    size: int = 0


class _Collector:
    """python-multipart callbacks that write the file part to `out`, keep the rest in memory."""

    def __init__(self, out: BinaryIO, max_bytes: int) -> None:
        self.form = UploadForm()
        self._out = out
        self._max_bytes = max_bytes
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._into_file = False
        self._ignored = False
        self._value = bytearray()
        self.problem: Problem | None = None

    def on_part_begin(self) -> None:
        self._disposition = b""
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        self._into_file = self._name == FILE_FIELD
        # Another field sent as a file (it has a filename) is ignored, like unknown fields.
        self._ignored = not self._into_file and b"filename" in options
        if self._into_file:
            if self.form.has_file:
                self.problem = Problem(422, "Send exactly one 'file' part, not several")
            self.form.has_file = True
            filename = options.get(b"filename")
            self.form.filename = filename.decode("utf-8", "replace") if filename else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.problem is not None or self._ignored:
            return
        if self._into_file:
            self.form.size += end - start
            if self.form.size > self._max_bytes:
                self.problem = Problem(
                    413, f"File too large: this server accepts at most {self._max_bytes} bytes"
                )
                return
            self._out.write(data[start:end])
        else:
            self._value += data[start:end]
            if len(self._value) > _MAX_FIELD_BYTES:
                self.problem = Problem(
                    413, f"Form field {self._name!r} is longer than {_MAX_FIELD_BYTES} bytes"
                )

    def on_part_end(self) -> None:
        if not self._into_file and not self._ignored and self._name:
            # The first value of a repeated field wins, as in FastAPI's Form().
            self.form.fields.setdefault(self._name, self._value.decode("utf-8", "replace"))


async def receive_upload(request: Request, temp: Path, max_bytes: int) -> UploadForm:
    """Read the multipart body of `request`, writing its `file` part to `temp` (not fsynced).

    Raises `Problem` (422 malformed, 413 too large); `temp` may then hold a partial file.
    """
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    declared = request.headers.get("content-length", "")
    length = int(declared) if declared.isdigit() else None
    if kind == b"application/x-www-form-urlencoded":
        # A `video_url` upload with no file, as `requests.post(url, data=...)` sends it.
        # The first value of a repeated field wins; only a small body is taken.
        if length is not None and length > _FORM_OVERHEAD:
            raise Problem(413, f"A form-encoded upload is limited to {_FORM_OVERHEAD} bytes")
        fields = await read_form(request, _FORM_OVERHEAD)  # a chunked one is capped too
        return UploadForm(fields={key: values[0] for key, values in fields.items()})
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise Problem(
            422, "Upload must be multipart/form-data (or a form-encoded body with video_url)"
        )
    if length is not None and length > max_bytes + _FORM_OVERHEAD:
        raise Problem(413, f"File too large: this server accepts at most {max_bytes} bytes")
    out = temp.open("wb")
    try:
        collector = _Collector(out, max_bytes)
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": collector.on_part_begin,
                "on_part_data": collector.on_part_data,
                "on_part_end": collector.on_part_end,
                "on_header_field": collector.on_header_field,
                "on_header_value": collector.on_header_value,
                "on_header_end": collector.on_header_end,
                "on_headers_finished": collector.on_headers_finished,
            },
        )
        try:
            async for chunk in request.stream():
                parser.write(chunk)
                if collector.problem is not None:
                    raise collector.problem
            parser.finalize()
        except FormParserError as exc:
            raise Problem(422, f"Malformed multipart body: {exc}") from exc
        except ClientDisconnect:
            # Nobody is left to answer; the status only shows in the log line.
            raise Problem(400, "Client disconnected before the upload was complete") from None
    finally:
        out.close()
    return collector.form
