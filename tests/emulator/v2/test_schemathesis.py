"""Property-based tests of the v2 emulator, driven by the published OpenAPI extract.

Schemathesis reads `videosync/emulator/v2/openapi.json` (the published extract, kept equal
to the shared YAML by test_spec.py) and sends each operation its coverage cases and
`MAX_EXAMPLES` generated requests, valid and invalid, over HTTP to a real emulator. What
must hold for every answer:

- no 5xx (`not_a_server_error`);
- a documented answer (the spec declares only the 2xx of each operation) matches its schema
  and content type (`response_schema_conformance`, `content_type_conformance`);
- a 4xx, documented nowhere, carries v2's envelope `{"error": {"type", "message"}}`.

The emulator is seeded (`SEEDED`) with real videos in every state the features allow, a
v1-indexed video, a failed upload and two groups. Generated ids (path, query, body) are
swapped, about half the time, for placeholders of those objects, and the upload's `file`
for a real MP4, so cases reach real objects, not only 404s. A `DELETE` of a placeholder
deletes a throwaway copy made for it, so the seeded objects stay for the other cases.

Nothing leaves the machine: every `video_url` with an http(s) scheme is pointed at the
emulator itself before it is sent (the emulator would fetch it), and for the module's
lifetime any connection or name lookup beyond loopback fails.

The run is deterministic (derandomized, no example database) and one emulator serves the
module in each pytest-xdist worker.
"""

from __future__ import annotations

import copy
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.conftest import API_KEY, _guarded_connect, _guarded_connect_ex
from tests.emulator.conftest import _local_getaddrinfo
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator
from videosync.emulator.groups import MAX_GROUPS
from videosync.emulator.v2.spec import spec

try:
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
    )
except ImportError:  # schemathesis 4 needs Python >= 3.11: the dev extra has it from there on
    pytest.skip(f"schemathesis is not installed (Python {sys.version})", allow_module_level=True)

MAX_EXAMPLES = 25
"""Generated cases per operation, beside schemathesis' coverage cases (its edge values)."""

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

VIDEO_SLOTS = ("ready", "fresh", "grouped", "v1", "broken", "failed")
"""Seeded videos: every feature ready (transcript with scene detection); uploaded, no
feature; uploaded into group `full`; uploaded through v1 with index=true; not a video
(upload `failed`); transcript ready, captions and objects failed."""
GROUP_SLOTS = ("full", "empty")

FILE_PLACEHOLDER = "seeded-file"
"""The upload's `file`: replaced by the bytes of a real MP4."""


def _placeholder(kind: str, slot: str) -> str:
    return f"seeded-{kind}-{slot}"  # nothing a URL quotes


VIDEO_PLACEHOLDERS = tuple(_placeholder("video", s) for s in VIDEO_SLOTS)
GROUP_PLACEHOLDERS = tuple(_placeholder("group", s) for s in GROUP_SLOTS)
SWAPPED: dict[str, tuple[str, ...]] = {
    "video_id": VIDEO_PLACEHOLDERS,
    "video_ids": VIDEO_PLACEHOLDERS,
    "ids": VIDEO_PLACEHOLDERS,
    "group_id": GROUP_PLACEHOLDERS,
    "group_ids": GROUP_PLACEHOLDERS,
}
"""Which generated values may be swapped for a placeholder, by the key they are under."""
UPLOAD = ("POST", "/v2/videos")


# --- the schema and its generation hooks ---------------------------------------------------

schema = schemathesis.openapi.from_dict(copy.deepcopy(spec()))
schema.config.generation.update(
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
    modes=list(schemathesis.GenerationMode),  # positive and negative
)


def _swap(
    value: Any, key: str | None = None, swapped: dict[str, tuple[str, ...]] = SWAPPED
) -> st.SearchStrategy[Any]:
    """`value` as generated, or (half the time) with the ids under `swapped` keys replaced."""
    if isinstance(value, dict):
        return st.fixed_dictionaries(
            {k: _swap(v, k if isinstance(k, str) else None, swapped) for k, v in value.items()}
        )
    if isinstance(value, list):
        return st.tuples(*(_swap(item, key, swapped) for item in value)).map(list)
    if key in swapped and isinstance(value, (str, bytes)):
        return st.one_of(st.sampled_from(swapped[key]), st.just(value))
    return st.just(value)


@schemathesis.hook  # a global hook: schemathesis has no per-schema `before_call`
def before_call(
    context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: Any
) -> None:
    """The spec makes X-Api-Key a parameter, so it is generated, mangled or left out; a valid
    one goes on every request to /v2. Set here, the case takes it as sent (a negative case
    that only lacked it turns positive). A case still negative for another header is sent
    without X-Api-Key all the same, so the key also goes as a bearer token (the spec's
    other scheme, which the emulator reads when X-Api-Key is absent)."""
    if case.operation.path.startswith("/v2/"):
        case.headers["X-Api-Key"] = API_KEY
        case.headers["Authorization"] = f"Bearer {API_KEY}"


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[Any]:
    return _swap(path_parameters)


@schema.hook
def flatmap_query(
    context: schemathesis.HookContext, query: dict[str, Any]
) -> st.SearchStrategy[Any]:
    return _swap(query)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    operation = context.operation
    if operation is not None and (operation.method.upper(), operation.path) == UPLOAD:
        return st.one_of(_swap(body, swapped={**SWAPPED, "file": (FILE_PLACEHOLDER,)}), _uploads())
    return _swap(body)


def _uploads() -> st.SearchStrategy[dict[str, Any]]:
    """Uploads the emulator takes (the spec's form lets through mostly ones it refuses): a
    real MP4, a name, maybe a group and a description."""
    return st.fixed_dictionaries(
        {"file": st.just(FILE_PLACEHOLDER), "video_name": st.text(min_size=1, max_size=30)},
        optional={
            "group_id": st.sampled_from(GROUP_PLACEHOLDERS),
            "description": st.text(max_size=30),
        },
    )


# --- the seeded emulator -------------------------------------------------------------------


@dataclass
class Seeded:
    """The module's emulator and what the placeholders stand for."""

    emulator: RunningEmulator
    sample: Path
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.emulator.url

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-Api-Key": API_KEY}, timeout=30)

    def upload(self, client: httpx.Client, name: str, **fields: str) -> str:
        response = client.post(
            "/v2/videos",
            data={"video_name": name, **fields},
            files={"file": (self.sample.name, self.sample.read_bytes(), "video/mp4")},
        )
        assert response.status_code == 202, response.text
        video_id: str = response.json()["video_id"]
        return video_id

    def group(self, client: httpx.Client, name: str) -> str:
        response = client.post("/v2/video-groups", json={"name": name, "metadata": {"k": 1}})
        assert response.status_code == 200, response.text
        group_id: str = response.json()["group_id"]
        return group_id


def _trigger(client: httpx.Client, video_id: str, feature: str, body: dict[str, Any]) -> None:
    response = client.post(f"/v2/videos/{video_id}/features/{feature}", json=body)
    assert response.status_code == 200, response.text


def _seed(seeded: Seeded) -> None:
    ids = seeded.ids
    with seeded.client() as client:
        for slot in GROUP_SLOTS:
            ids[_placeholder("group", slot)] = seeded.group(client, f"schemathesis {slot}")
        for slot in ("ready", "fresh", "failed"):
            ids[_placeholder("video", slot)] = seeded.upload(client, f"schemathesis {slot}")
        ids[_placeholder("video", "grouped")] = seeded.upload(
            client, "schemathesis grouped", group_id=ids[_placeholder("group", "full")]
        )
        with seeded.sample.open("rb") as f:
            response = client.post(
                "/v1/videos/upload",
                data={"video_name": "schemathesis v1", "index": "true"},
                files={"file": (seeded.sample.name, f, "video/mp4")},
            )
        assert response.status_code == 200, response.text
        ids[_placeholder("video", "v1")] = response.json()["video_id"]
        response = client.post(
            "/v2/videos",
            data={"video_name": "schemathesis broken"},
            files={"file": ("broken.mp4", b"not a video at all", "video/mp4")},
        )
        assert response.status_code == 202, response.text
        ids[_placeholder("video", "broken")] = response.json()["video_id"]

        ready = ids[_placeholder("video", "ready")]
        _trigger(client, ready, "transcript", {"chunking_config": {"use_scene_detection": True}})
        for feature in ("captions", "embeddings", "objects"):
            _trigger(client, ready, feature, {})
        failed = ids[_placeholder("video", "failed")]
        _trigger(client, failed, "transcript", {})
        seeded.emulator.set_feature_failures(1.0, ("captions", "objects"))
        try:
            _trigger(client, failed, "captions", {})
            _trigger(client, failed, "objects", {})
        finally:
            seeded.emulator.set_feature_failures(0.0)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, sample_video: Path) -> Iterator[Seeded]:
    """A seeded emulator for the module (one per xdist worker), loopback-only meanwhile."""
    config = EmulatorConfig(
        data_dir=tmp_path_factory.mktemp("v2-schemathesis") / "data",
        api_keys=(API_KEY,),
        retry_after=0,
    )
    with pytest.MonkeyPatch.context() as patch:
        # The emulator fetches `video_url`s in the background, between tests too.
        patch.setattr(socket.socket, "connect", _guarded_connect)
        patch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
        patch.setattr(socket, "getaddrinfo", _local_getaddrinfo)
        with start_emulator(config) as running:
            state = Seeded(running, sample_video)
            _seed(state)
            yield state


# --- the test ------------------------------------------------------------------------------


def _resolved(value: Any, seeded: Seeded, *, key: str | None = None) -> Any:
    """`value` with every placeholder replaced by what it stands for."""
    if isinstance(value, dict):
        return {k: _resolved(v, seeded, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(item, seeded, key=key) for item in value]
    if isinstance(value, str) and value in seeded.ids:
        return seeded.ids[value]
    if key == "video_url" and isinstance(value, str):
        return _loopback_url(value, seeded)
    return value


def _loopback_url(url: str, seeded: Seeded) -> str:
    """An http(s) `video_url` pointed at the emulator itself (whose `/files/` 404s it); any
    other value as it is: the emulator refuses it (400) before any network access."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return url
    if scheme not in ("http", "https"):
        return url
    return f"{seeded.url}/files/not-a-video"


def _throwaways(case: schemathesis.Case[Any], seeded: Seeded) -> None:
    """A DELETE of a seeded object deletes a fresh copy instead."""
    params = dict(case.path_parameters or {})
    with seeded.client() as client:
        for name, value in params.items():
            if value in VIDEO_PLACEHOLDERS:
                params[name] = seeded.upload(client, "schemathesis throwaway")
            elif value in GROUP_PLACEHOLDERS:
                _room_for_a_group(client, seeded)
                params[name] = seeded.group(client, "schemathesis throwaway")
    case.path_parameters = params


def _room_for_a_group(client: httpx.Client, seeded: Seeded) -> None:
    """At the key's group limit, delete a group an earlier case made (never a seeded one), so
    creating one is not refused for the rest of the run."""
    groups = client.get("/v2/video-groups").json()["results"]
    spare = [g["group_id"] for g in groups if g["group_id"] not in seeded.ids.values()]
    for group_id in spare[: max(0, len(groups) - MAX_GROUPS + 1)]:
        client.delete(f"/v2/video-groups/{group_id}").raise_for_status()


def _check_envelope(case: schemathesis.Case[Any], response: Any) -> None:
    if not 400 <= response.status_code < 500 or case.method.upper() == "HEAD":
        return
    reproduce = case.as_curl_command()
    try:
        body = response.json()
    except ValueError:
        pytest.fail(f"{response.status_code} without a JSON body: {response.text!r}\n{reproduce}")
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"no v2 error envelope: {body!r}\n{reproduce}"
    assert isinstance(error.get("type"), str), f"error.type missing: {body!r}\n{reproduce}"
    assert isinstance(error.get("message"), str), f"error.message missing: {body!r}\n{reproduce}"


@schema.parametrize()
# pytest 9.2 names a schemathesis item by its function alone: every operation's test would
# have the same node id. A parametrized fixture gives each its own, `…[GET /v2/videos][v2]`.
@pytest.mark.parametrize("seeded", ["v2"], indirect=True)
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_v2_api_keeps_its_schema(case: schemathesis.Case[Any], seeded: Seeded) -> None:
    if case.method.upper() == "DELETE":
        _throwaways(case, seeded)
    elif (case.method.upper(), case.operation.path) == ("POST", "/v2/video-groups"):
        with seeded.client() as client:
            _room_for_a_group(client, seeded)
    if case.path_parameters:
        case.path_parameters = _resolved(case.path_parameters, seeded)
    if case.query:
        case.query = _resolved(case.query, seeded)
    if isinstance(case.body, (dict, list)):
        body = _resolved(case.body, seeded)
        if isinstance(body, dict) and body.get("file") == FILE_PLACEHOLDER:
            body["file"] = seeded.sample.read_bytes()
        case.body = body
    response = case.call(base_url=seeded.url, timeout=30)
    case.validate_response(response, checks=CHECKS)
    _check_envelope(case, response)
