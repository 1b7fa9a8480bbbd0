"""Reading YAML: plain values plus the line and column of every node, safely.

The only module that imports PyYAML. It parses with libyaml (`CSafeLoader`) when PyYAML
was built with it, refuses hostile input with a one-line `ManifestError` (a huge file, a
binary file, text that is not UTF-8, aliases that expand without bound, recursive
aliases, deep nesting) and reports what PyYAML would let pass silently: duplicate mapping
keys. Timestamps stay the text they were written as (JSON, and so the schema, has no
datetime); `parse_timestamp` turns them into datetimes where a timestamp is expected.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from videosync.errors import ManifestError
from videosync.model import Location

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "PathPart",
    "YamlDocument",
    "format_scalar",
    "parse_timestamp",
    "read_yaml",
]

MAX_BYTES = 20 * 1024 * 1024
"""Largest document read: about 250k entries, far beyond any real catalog."""
MAX_DEPTH = 64
"""Deepest nesting accepted; a manifest needs four levels, group metadata a few more."""
MAX_ALIAS_NODES = 1_000_000
"""How many nodes aliases may add to a document once expanded (a 'billion laughs'
document adds 10⁹ and is refused after counting, without being expanded)."""

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = _TAG + "str", _TAG + "map", _TAG + "seq", _TAG + "merge"
_TIMESTAMP = _TAG + "timestamp"
_PLAIN_SCALARS = {_TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null"}

PathPart = str | int

_TIMESTAMPS = yaml.constructor.SafeConstructor()
"""PyYAML's own timestamp reading, for timestamps written as quoted strings too."""


class _Fatal(Exception):
    """Stops building: the document cannot be read any further."""

    def __init__(self, node: Node, message: str, mark: yaml.Mark | None = None) -> None:
        super().__init__(message)
        self.mark = mark or node.start_mark
        self.message = message


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document: its plain value and a way back to where each part was written."""

    file: str
    """How errors name the file (the path as the user gave it)."""
    data: Any
    """dicts, lists, str, int, float, bool and None; None for an empty document."""
    problems: tuple[ManifestError, ...] = ()
    """What was wrong but did not stop reading (duplicate keys)."""
    digest: str = ""
    """`sha256:<hex>` of the bytes read: what a saved plan's fingerprint compares."""
    _root: Node | None = field(default=None, repr=False, compare=False)

    def locate(self, path: Sequence[PathPart], *, key: bool = False) -> Location:
        """Where the value at `path` was written (its key's place with `key=True`).

        A path that goes further than the document gives the deepest place that exists,
        so an error about a missing key points at the mapping that lacks it.
        """
        node = self._root
        if node is None:
            return Location(self.file, 1, 1)
        for depth, part in enumerate(path):
            want_key = key and depth == len(path) - 1
            child = self._child(node, part, key=want_key)
            if child is None:
                break
            node = child
        return self._location(node)

    @staticmethod
    def _child(node: Node, part: PathPart, *, key: bool = False) -> Node | None:
        if isinstance(node, MappingNode) and isinstance(part, str):
            # The last pair wins, as in the data (merged pairs come first).
            pairs: list[tuple[Node, Node]] = node.value
            for key_node, value_node in reversed(pairs):
                if key_node.value == part:
                    return key_node if key else value_node
        elif isinstance(node, SequenceNode) and isinstance(part, int):
            items: list[Node] = node.value
            return items[part] if 0 <= part < len(items) else None
        return None

    def item_locations(self, path: Sequence[PathPart]) -> list[Location]:
        """Where each item of the list at `path` starts (one call for a whole list)."""
        node = self._root
        for part in path:
            node = None if node is None else self._child(node, part)
        if not isinstance(node, SequenceNode):
            return []
        return [self._location(item) for item in node.value]

    def item_key_locations(
        self, path: Sequence[PathPart], wanted: Sequence[tuple[int, str]]
    ) -> list[Location]:
        """Where key `name` of item `index` of the list at `path` is written, for each
        `(index, name)` of `wanted` (one walk down to the list for them all)."""
        node = self._root
        for part in path:
            node = None if node is None else self._child(node, part)
        if not isinstance(node, SequenceNode):
            return [self.locate((*path, index, name), key=True) for index, name in wanted]
        items: list[Node] = node.value
        located = []
        for index, name in wanted:
            key = self._child(items[index], name, key=True) if index < len(items) else None
            located.append(
                self._location(key) if key is not None else self.locate((*path, index, name))
            )
        return located

    def _location(self, node: Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)


def read_yaml(path: Path, *, file: str | None = None) -> YamlDocument:
    """Read and parse one YAML document from `path`.

    Raises `ManifestError` (one line, with `file:line:column` where there is one) for
    anything that cannot be read as a single YAML document.
    """
    name = file if file is not None else str(path)
    raw = _read_bytes(path, name)
    if b"\x00" in raw:
        raise ManifestError("a binary file (it contains NUL bytes), not YAML text", name)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_column(raw, exc.start)
        raise ManifestError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            name,
            line,
            column,
        ) from exc
    # libyaml reads the bytes itself (faster than from str); marks count characters.
    loader = _Loader(raw)
    try:
        root = loader.get_single_node()
        if root is None:
            return YamlDocument(name, None, digest=_digest(raw))
        builder = _Builder(loader, name)
        data = builder.value(root, 0)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, name) from exc
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(raw, exc.position)
        raise ManifestError(
            f"invalid YAML: {exc.reason} (character #x{exc.character:04x})", name, line, column
        ) from exc
    except yaml.YAMLError as exc:
        raise ManifestError(f"invalid YAML: {exc}".splitlines()[0], name) from exc
    except RecursionError as exc:  # only the pure-Python parser recurses per level
        raise ManifestError(f"nesting deeper than {MAX_DEPTH} levels", name) from exc
    except _Fatal as exc:
        line, column = exc.mark.line + 1, exc.mark.column + 1
        raise ManifestError(exc.message, name, line, column) from None
    finally:
        loader.dispose()
    return YamlDocument(name, data, tuple(builder.problems), _digest(raw), root)


def _digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _line_column(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset (columns count bytes here)."""
    start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - start + 1


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ManifestError("not a regular file", name)
            if info.st_size > MAX_BYTES:
                raise ManifestError(_too_big(info.st_size), name)
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError as exc:
        raise ManifestError("no such file (run 'videosync init' to write one)", name) from exc
    except IsADirectoryError as exc:
        raise ManifestError("is a directory; give the manifest file (-f FILE)", name) from exc
    except PermissionError as exc:
        raise ManifestError("cannot read: permission denied", name) from exc
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror or exc}", name) from exc
    if len(raw) > MAX_BYTES:  # the file grew while we read it
        raise ManifestError(_too_big(len(raw)), name)
    return raw


def _too_big(size: int) -> str:
    return (
        f"{size / 1e6:.1f} MB is too large for a manifest "
        f"(at most {MAX_BYTES // (1024 * 1024)} MiB); use glob entries to list many files"
    )


def _syntax_error(exc: yaml.MarkedYAMLError, name: str) -> ManifestError:
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or exc.context or "unreadable").removeprefix("but ")
    if exc.context and exc.problem and exc.context_mark is not None:
        where = exc.context_mark
        problem += f" ({exc.context} at {where.line + 1}:{where.column + 1})"
    if mark is None:
        return ManifestError(f"invalid YAML: {problem}", name)
    return ManifestError(f"invalid YAML: {problem}", name, mark.line + 1, mark.column + 1)


class _Builder:
    """Turns a composed node graph into plain values, checking what PyYAML lets pass.

    Each collection node is built once: an alias gets the same object again (as PyYAML's
    own constructor does), while the nodes it adds once expanded are counted, because
    the schema check and everything after walk the expanded values.
    """

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.problems: list[ManifestError] = []
        self.built: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.alias_nodes = 0

    def value(self, node: Node, depth: int) -> Any:
        if node.__class__ is ScalarNode:
            return node.value if node.tag == _STR else self._scalar(node)
        built = self.built.get(id(node), self)
        if built is not self:
            size = self.sizes.get(id(node))
            if size is None:
                raise _Fatal(node, "a recursive alias: this node contains itself")
            self.alias_nodes += size
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise _Fatal(
                    node,
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes; "
                    "write the values out instead of nesting aliases",
                )
            return built
        if depth >= MAX_DEPTH:
            raise _Fatal(node, f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, SequenceNode):
            return self._sequence(node, depth)
        raise _Fatal(node, f"unsupported YAML node {type(node).__name__}")

    def _sequence(self, node: SequenceNode, depth: int) -> list[Any]:
        self._check_tag(node, _SEQ)
        result: list[Any] = []
        self.built[id(node)] = result
        size = 1
        for item in node.value:
            result.append(self.value(item, depth + 1))
            size += self.sizes.get(id(item), 1)
        self.sizes[id(node)] = size
        return result

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        self._check_tag(node, _MAP)
        result: dict[str, Any] = {}
        self.built[id(node)] = result
        pairs = node.value
        duplicates_checked = any(key.tag == _MERGE for key, _ in pairs)
        if duplicates_checked:
            # A key may override one a `<<:` merge brought in: only the mapping's own
            # keys can be duplicates.
            self._check_duplicates([pair for pair in pairs if pair[0].tag != _MERGE])
            pairs = self._merge(node)
        size = 1
        for key_node, value_node in pairs:
            key = self._key(key_node)
            if key is None:
                continue
            if not duplicates_checked and key in result:
                self._check_duplicates(pairs)
                duplicates_checked = True  # reported once per mapping
            result[key] = self.value(value_node, depth + 1)
            size += 1 + self.sizes.get(id(value_node), 1)
        self.sizes[id(node)] = size
        return result

    def _check_duplicates(self, pairs: list[tuple[Node, Node]]) -> None:
        first: dict[str, Node] = {}
        for key_node, _ in pairs:
            if not isinstance(key_node, ScalarNode):
                continue
            key = str(key_node.value)
            if key in first:
                line = first[key].start_mark.line + 1
                self._problem(key_node, f"duplicate key '{key}' (first at line {line}); remove one")
            else:
                first[key] = key_node

    def _merge(self, node: MappingNode) -> list[tuple[Node, Node]]:
        """Apply `<<:` merge keys the way PyYAML does (merged pairs come first)."""
        try:
            self.loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            raise _Fatal(node, f"invalid merge: {exc.problem}", exc.problem_mark) from exc
        return list(node.value)

    def _key(self, node: Node) -> str | None:
        if isinstance(node, ScalarNode):
            # Keys are names: `1:` or `yes:` mean the text written, not a number or bool.
            return str(node.value)
        self._problem(node, "a mapping key must be a plain value, not a list or mapping")
        return None

    def _scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag == _TIMESTAMP:
            return node.value
        if tag in _PLAIN_SCALARS:
            try:
                return self.loader.yaml_constructors[tag](self.loader, node)
            except (yaml.YAMLError, ValueError) as exc:
                self._problem(node, f"cannot read {node.value!r}: {exc}".splitlines()[0])
                return node.value
        # Fatal: the value means something we cannot represent, so every check after
        # it would report noise about the raw text.
        raise _Fatal(node, _unsupported(tag))

    def _check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            raise _Fatal(node, _unsupported(node.tag))

    def _problem(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(ManifestError(message, self.file, mark.line + 1, mark.column + 1))


def _unsupported(tag: str) -> str:
    short = tag.replace(_TAG, "!!")
    return f"unsupported YAML tag '{short}'; write a plain value"


def parse_timestamp(text: str) -> datetime | None:
    """Parse an ISO 8601 / YAML timestamp (`2025-04-12T19:05:45`, `… +02:00`, `…Z`).

    A date alone is midnight. Returns a naive datetime when the text has no offset (the
    caller decides what that means) and None when the text is not a timestamp.
    """
    stripped = text.strip()
    if _TIMESTAMPS.timestamp_regexp.match(stripped) is None:
        return None
    node = ScalarNode(_TIMESTAMP, stripped)
    try:
        # Typed as datetime, but a date alone comes back as a date.
        value: date = _TIMESTAMPS.construct_yaml_timestamp(node)
    except (ValueError, OverflowError):  # 2025-02-30 matches the pattern but is no date
        return None
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)


def format_scalar(value: str) -> str:
    """`value` written as a YAML scalar, quoted only where YAML needs it."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...")
