"""Drive the vendor's official client, reka-mcp 0.1.10, against a Vision API v2 server.

Run with the client's own venv (`make .venv-reka`), never by pytest:

    .venv-reka/bin/python tests/emulator/reka_mcp_driver.py \\
        --api-url http://127.0.0.1:PORT --api-key KEY --videos a.mp4 b.mp4 c.mp4

It changes nothing in the client: only the documented settings (REKA_MCP_MODE,
REKA_VISION_API_URL, REKA_VISION_API_KEY, REKA_MCP_POLL_INTERVAL, REKA_MCP_INDEX_TIMEOUT) of
reka_mcp/config.py. Two parts:

1. The MCP stdio server (`python -m reka_mcp`), driven with the `mcp` library's stdio client:
   every tool it lists is called (a tool left out is reported), and its resources are read.
   `upload_video` fetches the first video from a small HTTP server on 127.0.0.1 started here;
   `index_video` uploads the second from its path (the local-mode one-step path).
2. The client's Python API (`reka_mcp.client.RekaClient`) on the third video, for what no tool
   does (ids filter, plan and trigger, paging, moving between groups, ungrouping): every
   public method is called at least once (a method left out is reported).

Prints one JSON report on stdout: each call's label, arguments, result or error. Exit status
0 when every call succeeded and nothing was left out, 1 otherwise, 2 when the driver itself
broke. tests/emulator/test_reka_mcp.py runs it and judges what a user would see.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import http.server
import inspect
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

# The client's venv has these; the project's does not (this file is not imported there).
from mcp import ClientSession, StdioServerParameters  # type: ignore[import-not-found]
from mcp.client.stdio import stdio_client  # type: ignore[import-not-found]
from pydantic import AnyUrl  # type: ignore[import-not-found]
from reka_mcp.client import RekaClient  # type: ignore[import-not-found]

CALL_TIMEOUT = 90.0
"""Seconds one call may take (index_video polls until its features are ready)."""
POLL = 0.2
"""Seconds between the driver's own polls (the Python API part)."""
WAIT = 60.0
"""Seconds the driver's own polls wait for an upload or a feature."""

QA_FEATURES = ["captions", "embeddings", "transcript"]


class Report:
    """Every call made, in order, with its outcome."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.methods_called: set[str] = set()
        self.tools_called: set[str] = set()

    def add(self, **entry: Any) -> dict[str, Any]:
        self.calls.append(entry)
        return entry


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def _field(value: Any, *keys: str | int) -> Any:
    """value[k1][k2]..., or None when any step is missing (a failed call gives None)."""
    for key in keys:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


# --- a loopback HTTP server for `video_url` uploads ----------------------------------------


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 and an ephemeral port; yield its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            print("video server:", format % args, file=sys.stderr)

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- part 1: the MCP stdio server -----------------------------------------------------------


class Mcp:
    """Calls the server's tools and records each one; `facts` carries ids between phases."""

    def __init__(self, session: Any, report: Report, facts: dict[str, Any]) -> None:
        self.session = session
        self.report = report
        self.facts = facts

    async def tool(self, label: str, tool_name: str, /, **arguments: Any) -> Any:
        """Call tool `tool_name`; return its JSON answer parsed (None when it failed)."""
        self.report.tools_called.add(tool_name)
        started = time.monotonic()
        entry = self.report.add(label=label, via="mcp", name=tool_name, args=arguments)
        try:
            result = await self.session.call_tool(
                tool_name, arguments, read_timeout_seconds=timedelta(seconds=CALL_TIMEOUT)
            )
        except Exception as exc:
            entry.update(ok=False, error=f"{type(exc).__name__}: {exc}")
            return None
        finally:
            entry["seconds"] = round(time.monotonic() - started, 3)
        text = "".join(getattr(c, "text", "") for c in result.content)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        if result.isError:
            entry.update(ok=False, error=text)
            return None
        entry.update(ok=True, result=parsed)
        return parsed

    async def unrecorded(self, tool_name: str, /, **arguments: Any) -> Any:
        """A polling call: its answer parsed, an exception when it failed."""
        result = await self.session.call_tool(
            tool_name, arguments, read_timeout_seconds=timedelta(seconds=CALL_TIMEOUT)
        )
        text = "".join(getattr(c, "text", "") for c in result.content)
        if result.isError:
            raise RuntimeError(text)
        return json.loads(text)

    async def resource(self, label: str, uri: str) -> Any:
        started = time.monotonic()
        entry = self.report.add(label=label, via="mcp-resource", name=uri, args={})
        try:
            result = await self.session.read_resource(AnyUrl(uri))
            text = "".join(getattr(c, "text", "") for c in result.contents)
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
            entry.update(ok=True, result=parsed)
            return parsed
        except Exception as exc:
            entry.update(ok=False, error=f"{type(exc).__name__}: {exc}")
            return None
        finally:
            entry["seconds"] = round(time.monotonic() - started, 3)


async def run_mcp(args: argparse.Namespace, video_url: str, report: Report) -> dict[str, Any]:
    """Every tool of the stdio server, in the order a user would call them."""
    env = {
        "REKA_MCP_MODE": "local",
        "REKA_MCP_TRANSPORT": "stdio",
        "REKA_VISION_API_URL": args.api_url,
        "REKA_VISION_API_KEY": args.api_key,
        "REKA_MCP_POLL_INTERVAL": "1",  # an int of seconds (config.py); 1 is the least > 0
        "REKA_MCP_INDEX_TIMEOUT": "60",
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "reka_mcp"], env=env)
    facts: dict[str, Any] = {"video_url": video_url, "file_path": str(args.videos[1])}
    async with (
        stdio_client(params, errlog=sys.stderr) as (read, write),
        ClientSession(read, write) as session,
    ):
        init = await session.initialize()
        facts["server"] = {"name": init.serverInfo.name, "version": init.serverInfo.version}
        tools = (await session.list_tools()).tools
        facts["tools_listed"] = sorted(t.name for t in tools)
        resources = (await session.list_resources()).resources
        templates = (await session.list_resource_templates()).resourceTemplates
        facts["resources_listed"] = sorted(str(r.uri) for r in resources)
        facts["resource_templates_listed"] = sorted(t.uriTemplate for t in templates)
        mcp = Mcp(session, report, facts)
        for phase in (mcp_upload_and_index, mcp_listing_and_rename, mcp_reads, mcp_search_and_ask):
            await phase(mcp)
        await mcp_groups_and_deletes(mcp)
    return facts


async def mcp_upload_and_index(mcp: Mcp) -> None:
    """A group, a URL upload into it, the local one-step file upload, indexing both."""
    facts = mcp.facts
    facts["catalog"] = await mcp.tool("mcp.get_feature_catalog", "get_feature_catalog")
    group_a = await mcp.tool("mcp.create_group.a", "create_group", name="reka-mcp group A")
    facts["group_a"] = _field(group_a, "group_id")
    upload = await mcp.tool(
        "mcp.upload_video",
        "upload_video",
        video_url=facts["video_url"],
        name="reka-mcp url upload",
        description="uploaded by reka-mcp from a URL",
        group_id=facts["group_a"],
    )
    url_id = facts["url_video"] = _field(upload, "video_id")
    # As the tool's text says: poll get_video until the status is no longer 'uploading'.
    facts["upload_wait"] = await poll(
        lambda: mcp.unrecorded("get_video", video_id=url_id),
        lambda video: video.get("status") != "uploading",
    )
    await mcp.tool("mcp.get_video.uploaded", "get_video", video_id=url_id)
    # A URL that answers 404: the upload is accepted, and the video ends 'failed', saying why.
    missing = await mcp.tool(
        "mcp.upload_video.missing_url",
        "upload_video",
        video_url=facts["video_url"] + ".missing",
        name="reka-mcp missing",
    )
    missing_id = facts["missing_video"] = _field(missing, "video_id")
    facts["missing_wait"] = await poll(
        lambda: mcp.unrecorded("get_video", video_id=missing_id),
        lambda video: video.get("status") != "uploading",
    )
    await mcp.tool("mcp.get_video.missing_url", "get_video", video_id=missing_id)
    # The local-mode one-step path: upload a file (the client sends no name) and index it.
    indexed_file = await mcp.tool(
        "mcp.index_video.file_path",
        "index_video",
        file_path=facts["file_path"],
        pipeline="qa_only",
    )
    facts["file_video"] = _field(indexed_file, "video_id")
    await mcp.tool("mcp.index_video.video_id", "index_video", video_id=url_id, pipeline="full")
    await mcp.tool("mcp.get_video.indexed", "get_video", video_id=url_id)


async def mcp_listing_and_rename(mcp: Mcp) -> None:
    facts = mcp.facts
    url_id = facts["url_video"]
    await mcp.tool("mcp.list_videos", "list_videos")
    await mcp.tool("mcp.list_videos.group_a", "list_videos", group_id=facts["group_a"])
    await mcp.tool("mcp.list_groups", "list_groups")
    await mcp.tool(
        "mcp.update_video.rename",
        "update_video",
        video_id=url_id,
        name="reka-mcp renamed",
        title="A title from reka-mcp",
        description="described again by reka-mcp",
    )
    await mcp.tool("mcp.get_video.renamed", "get_video", video_id=url_id)
    await mcp.tool("mcp.list_videos.renamed", "list_videos")


async def mcp_reads(mcp: Mcp) -> None:
    facts = mcp.facts
    url_id = facts["url_video"]
    await mcp.tool("mcp.get_transcript.text", "get_transcript", video_id=url_id)
    segments = await mcp.tool(
        "mcp.get_transcript.segments", "get_transcript", video_id=url_id, format="segments"
    )
    await mcp.tool("mcp.get_transcript.words", "get_transcript", video_id=url_id, format="words")
    await mcp.tool(
        "mcp.get_transcript.window",
        "get_transcript",
        video_id=url_id,
        format="segments",
        start=0.0,
        end=1.0,
    )
    await mcp.tool(
        "mcp.get_transcript.text_window",
        "get_transcript",
        video_id=url_id,
        format="text",
        start=1.0,
        end=3.0,
    )
    captions = await mcp.tool("mcp.get_captions", "get_captions", video_id=url_id)
    await mcp.tool("mcp.get_captions.window", "get_captions", video_id=url_id, start=0.0, end=2.0)
    await mcp.tool("mcp.get_captions.file_video", "get_captions", video_id=facts["file_video"])
    await mcp.tool("mcp.get_scenes", "get_scenes", video_id=url_id)
    await mcp.tool("mcp.summarize_video", "summarize_video", video_id=url_id)
    facts["search_query"] = search_query(
        _field(segments, "data", 0, "text") or _field(captions, "data", 0, "caption")
    )


async def mcp_search_and_ask(mcp: Mcp) -> None:
    facts = mcp.facts
    url_id, file_id, query = facts["url_video"], facts["file_video"], facts["search_query"]
    await mcp.tool("mcp.search_videos", "search_videos", query=query)
    await mcp.tool("mcp.search_videos.video_ids", "search_videos", query=query, video_ids=[url_id])
    await mcp.tool(
        "mcp.search_videos.group", "search_videos", query=query, group_id=facts["group_a"]
    )
    # Questions: the whole video, a follow-up, a window, two videos at once.
    asked = await mcp.tool(
        "mcp.ask_video", "ask_video", question="What happens in this video?", video_id=url_id
    )
    await mcp.tool(
        "mcp.ask_video.follow_up",
        "ask_video",
        question="And what colours are on screen?",
        conversation_id=_field(asked, "conversation_id"),
    )
    await mcp.tool(
        "mcp.ask_video.follow_up.window",
        "ask_video",
        question="And in this second?",
        conversation_id=_field(asked, "conversation_id"),
        start=2.0,
        end=3.0,
    )
    await mcp.tool(
        "mcp.ask_video.window",
        "ask_video",
        question="What is on screen here?",
        video_id=url_id,
        start=1.0,
        end=3.0,
    )
    await mcp.tool(
        "mcp.ask_video.videos",
        "ask_video",
        question="How do these two videos differ?",
        videos=[{"video_id": url_id}, {"video_id": file_id, "start": 1.0, "end": 2.5}],
    )
    await mcp.tool(
        "mcp.segment_video",
        "segment_video",
        video_id=url_id,
        prompts=["person", "bar"],
        start=0.5,
        end=3.5,
        threshold=0.3,
    )
    await mcp.tool(
        "mcp.segment_video.default_window",
        "segment_video",
        video_id=file_id,
        prompts=["object"],
        start=0.0,
    )


async def mcp_groups_and_deletes(mcp: Mcp) -> None:
    """Move the file video into A and out again; delete groups (an empty one, then A) and a
    video; the resources too."""
    facts = mcp.facts
    url_id, file_id, group_a = facts["url_video"], facts["file_video"], facts["group_a"]
    await mcp.tool("mcp.update_video.move_in", "update_video", video_id=file_id, group_id=group_a)
    await mcp.tool("mcp.list_videos.group_a.two", "list_videos", group_id=group_a)
    await mcp.tool("mcp.update_video.ungroup", "update_video", video_id=file_id, move_group=True)
    await mcp.tool("mcp.list_videos.group_a.one", "list_videos", group_id=group_a)
    group_b = await mcp.tool("mcp.create_group.b", "create_group", name="reka-mcp group B")
    facts["group_b"] = _field(group_b, "group_id")
    await mcp.tool("mcp.delete_group.empty", "delete_group", group_id=facts["group_b"])

    await mcp.resource("mcp.resource.features", "reka://features")
    await mcp.resource("mcp.resource.video", f"reka://videos/{url_id}")
    await mcp.resource("mcp.resource.guide", "reka://docs/guide")

    # A group that still holds a video: the client's tool says the video stays, ungrouped.
    await mcp.tool("mcp.delete_group.nonempty", "delete_group", group_id=group_a)
    await mcp.tool("mcp.get_video.after_group_delete", "get_video", video_id=url_id)
    await mcp.tool("mcp.list_groups.after_deletes", "list_groups")
    await mcp.tool("mcp.delete_video", "delete_video", video_id=file_id)
    await mcp.tool("mcp.list_videos.after_delete", "list_videos")


# --- part 2: the Python API -----------------------------------------------------------------


class Python:
    """Calls RekaClient methods and records each one; `facts` carries ids between phases."""

    def __init__(self, client: Any, report: Report, facts: dict[str, Any]) -> None:
        self.client = client
        self.report = report
        self.facts = facts

    async def call(
        self, label: str, method: str, /, *args: Any, expect: str | None = None, **kwargs: Any
    ) -> Any:
        """`client.method(*args, **kwargs)`; `expect` names an exception class that is success."""
        self.report.methods_called.add(method)
        started = time.monotonic()
        entry = self.report.add(
            label=label, via="python", name=method, args=_jsonable([list(args), kwargs])
        )
        try:
            call: Callable[..., Awaitable[Any]] = getattr(self.client, method)
            result = await asyncio.wait_for(call(*args, **kwargs), CALL_TIMEOUT)
        except Exception as exc:
            entry.update(ok=type(exc).__name__ == expect, error=f"{type(exc).__name__}: {exc}")
            if expect is not None:
                entry["expected_error"] = expect
            return None
        finally:
            entry["seconds"] = round(time.monotonic() - started, 3)
        if expect is not None:
            entry.update(ok=False, result=_jsonable(result), expected_error=expect)
            return None
        entry.update(ok=True, result=_jsonable(result))
        return result


async def run_python(args: argparse.Namespace, video_url: str, report: Report) -> dict[str, Any]:
    """Every public RekaClient method, on the third video (and the first, by URL)."""
    client = RekaClient(api_url=args.api_url, api_key=args.api_key)
    facts: dict[str, Any] = {"file_path": str(args.videos[2]), "video_url": video_url}
    py = Python(client, report, facts)
    try:
        for phase in (py_upload, py_features, py_reads, py_groups_and_search, py_ask_and_delete):
            await phase(py)
    finally:
        report.methods_called.add("close")
        await client.close()
    return facts


async def py_upload(py: Python) -> None:
    facts = py.facts
    await py.call("py.get_feature_catalog", "get_feature_catalog")
    group_c = await py.call("py.create_group.c", "create_group", "reka-mcp python group C")
    group_d = await py.call("py.create_group.d", "create_group", "reka-mcp python group D")
    facts["group_c"] = getattr(group_c, "group_id", None)
    facts["group_d"] = getattr(group_d, "group_id", None)
    await py.call("py.list_groups", "list_groups")
    uploaded = await py.call(
        "py.upload_video_file",
        "upload_video_file",
        file_path=facts["file_path"],
        name="reka-mcp python upload",
        description="uploaded by the reka-mcp Python API",
        group_id=facts["group_c"],
    )
    vid = facts["python_video"] = getattr(uploaded, "video_id", None)
    facts["upload_wait"] = await poll(
        lambda: py.client.get_video(vid), lambda video: video.status != "uploading"
    )
    await py.call("py.get_video.uploaded", "get_video", vid)
    # A URL upload too (the upload_video tool's method), ungrouped.
    by_url = await py.call(
        "py.upload_video", "upload_video", video_url=facts["video_url"], name="reka-mcp py url"
    )
    url_vid = facts["python_url_video"] = getattr(by_url, "video_id", None)
    facts["url_upload_wait"] = await poll(
        lambda: py.client.get_video(url_vid), lambda video: video.status != "uploading"
    )
    await py.call("py.list_videos.ids", "list_videos", video_ids=[vid, url_vid])
    await py.call("py.list_group_videos.c", "list_group_videos", facts["group_c"])


async def py_features(py: Python) -> None:
    """As the client's index_video drives features: plan, trigger what is actionable."""
    facts = py.facts
    vid = facts["python_video"]
    await py.call("py.plan_features.first", "plan_features", vid, QA_FEATURES)
    # Too early: what the client's own fixtures expect, a 409 (its ConflictError).
    await py.call("py.get_transcript.not_ready", "get_transcript", vid, expect="ConflictError")
    await py.call(
        "py.trigger_feature.captions.before_transcript",
        "trigger_feature",
        vid,
        "captions",
        expect="ConflictError",
    )
    await py.call(
        "py.trigger_feature.transcript",
        "trigger_feature",
        vid,
        "transcript",
        body={"chunking_config": {"use_scene_detection": True}},
    )
    triggered = facts["triggered"] = ["transcript"]

    async def plan_and_trigger() -> Any:
        plan = await py.client.plan_features(vid, QA_FEATURES)
        for feature in plan.actionable:
            if feature in QA_FEATURES and feature not in triggered:
                triggered.append(feature)
                await py.call(f"py.trigger_feature.{feature}", "trigger_feature", vid, feature)
        return plan

    facts["features_wait"] = await poll(
        plan_and_trigger,
        lambda plan: all(plan.statuses.get(f) in ("ready", "failed") for f in QA_FEATURES),
    )
    await py.call("py.plan_features.done", "plan_features", vid, QA_FEATURES)

    # objects: trigger_feature refuses it (its Feature enum has transcript, captions and
    # embeddings only), so the client's own request helper sends the trigger.
    await py.call(
        "py.trigger_feature.objects.refused", "trigger_feature", vid, "objects", expect="ValueError"
    )
    await py.call(
        "py.objects.trigger", "_post_json", f"/v2/videos/{vid}/features/objects", {"force": False}
    )
    facts["objects_wait"] = await poll(
        lambda: py.client.get_video(vid),
        lambda video: (video.features or {}).get("objects") in ("ready", "failed", "blocked"),
    )
    await py.call("py.get_video.features", "get_video", vid)


async def py_reads(py: Python) -> None:
    vid = py.facts["python_video"]
    await py.call(
        "py.objects.read", "paginate", f"/v2/videos/{vid}/objects", params={"page_limit": 50}
    )
    segments = await py.call("py.get_transcript.segments", "get_transcript", vid)
    await py.call("py.get_transcript.text", "get_transcript", vid, format="text")
    await py.call("py.get_transcript.words", "get_transcript", vid, format="words")
    await py.call(
        "py.get_transcript.window", "get_transcript", vid, start=0.0, end=1.5, max_items=10
    )
    await py.call("py.get_captions", "get_captions", vid)
    await py.call("py.get_scenes", "get_scenes", vid)
    # Small pages, followed through next_page_token by the client (a short video has one
    # chunk, hence one caption, but several scenes and many words).
    await py.call(
        "py.paginate.scenes.one_per_page",
        "paginate",
        f"/v2/videos/{vid}/scenes",
        params={"page_limit": 1},
    )
    await py.call(
        "py.paginate.words.two_per_page",
        "paginate",
        f"/v2/videos/{vid}/transcript",
        params={"page_limit": 2, "format": "words"},
    )
    py.facts["search_query"] = search_query(_field(segments, 0, "text"))


async def py_groups_and_search(py: Python) -> None:
    """C -> D, search within D, then out of every group (group_id null), then renamed."""
    facts = py.facts
    vid, c_id, d_id = facts["python_video"], facts["group_c"], facts["group_d"]
    await py.call(
        "py.update_video.move_to_d", "update_video", vid, group_id=d_id, group_id_provided=True
    )
    await py.call("py.list_group_videos.d", "list_group_videos", d_id)
    await py.call("py.list_group_videos.c.empty", "list_group_videos", c_id)
    query = facts["search_query"]
    await py.call("py.search_videos.group", "search_videos", query, group_id=d_id)
    await py.call("py.search_videos.ids", "search_videos", query, video_ids=[vid], max_results=5)
    await py.call(
        "py.update_video.ungroup", "update_video", vid, group_id=None, group_id_provided=True
    )
    await py.call("py.list_group_videos.d.empty", "list_group_videos", d_id)
    await py.call(
        "py.update_video.rename",
        "update_video",
        vid,
        name="reka-mcp python renamed",
        title="Python title",
        description="described again by the Python API",
    )


async def py_ask_and_delete(py: Python) -> None:
    facts = py.facts
    vid = facts["python_video"]
    await py.call(
        "py.chat",
        "chat",
        [{"role": "user", "content": "Describe this video."}],
        [{"video_id": vid}],
    )
    await py.call(
        "py.chat.window",
        "chat",
        [{"role": "user", "content": "What is on screen here?"}],
        [{"video_id": vid, "start": 0.5, "end": 2.5}],
    )
    await py.call(
        "py.segment_video",
        "segment_video",
        vid,
        prompts=["person", "car"],
        start=0.0,
        end=2.0,
        threshold=0.3,
    )
    await py.call("py.delete_group.c", "delete_group", facts["group_c"])
    await py.call("py.delete_group.d", "delete_group", facts["group_d"])
    await py.call("py.list_groups.after_deletes", "list_groups")
    await py.call("py.delete_video", "delete_video", vid)
    await py.call("py.get_video.deleted", "get_video", vid, expect="NotFoundError")
    await py.call("py.delete_video.again", "delete_video", vid, expect="NotFoundError")
    await py.call("py.delete_video.url", "delete_video", facts["python_url_video"])
    await py.call("py.list_videos.after_deletes", "list_videos")


def search_query(text: Any) -> str:
    """Six words a video's own transcript holds (without the emulator's "[synthetic]" tag)."""
    words = [w for w in str(text or "").split() if not w.startswith("[")]
    return " ".join(words[:6]) or "video"


async def poll(
    fetch: Callable[[], Awaitable[Any]], finished: Callable[[Any], bool]
) -> dict[str, Any]:
    """Call `fetch` until `finished` says so (unrecorded; a recorded call follows each wait)."""
    started = time.monotonic()
    polls = 0
    last: Any = None
    while time.monotonic() - started < WAIT:
        polls += 1
        try:
            last = await asyncio.wait_for(fetch(), CALL_TIMEOUT)
        except Exception as exc:
            return {"polls": polls, "error": f"{type(exc).__name__}: {exc}"}
        if finished(last):
            return {"polls": polls, "seconds": round(time.monotonic() - started, 3)}
        await asyncio.sleep(POLL)
    return {"polls": polls, "timeout": True, "last": _jsonable(last)}


def public_methods() -> list[str]:
    return sorted(
        name
        for name, member in inspect.getmembers(RekaClient, inspect.isfunction)
        if not name.startswith("_")
    )


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    report = Report()
    out: dict[str, Any] = {
        "versions": {"reka-mcp": version("reka-mcp"), "mcp": version("mcp")},
        "python": sys.version.split()[0],
    }
    with serve_directory(args.videos[0].parent) as base:
        video_url = f"{base}/{args.videos[0].name}"
        out["video_url"] = video_url
        try:
            out["mcp"] = await run_mcp(args, video_url, report)
        except Exception:
            out["mcp_crash"] = traceback.format_exc()
        try:
            out["python_api"] = await run_python(args, video_url, report)
        except Exception:
            out["python_crash"] = traceback.format_exc()

    listed = out.get("mcp", {}).get("tools_listed", [])
    out["tools_not_called"] = sorted(set(listed) - report.tools_called)
    out["tools_called_not_listed"] = sorted(report.tools_called - set(listed))
    out["methods"] = public_methods()
    out["methods_not_called"] = sorted(set(out["methods"]) - report.methods_called)
    out["calls"] = report.calls
    out["failed"] = [c["label"] for c in report.calls if not c.get("ok")]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument(
        "--videos",
        nargs=3,
        type=Path,
        required=True,
        help="three MP4 files: for the URL upload, the file upload, the Python API",
    )
    args = parser.parse_args()
    args.videos = [p.resolve() for p in args.videos]
    # Only loopback is ever called: no proxy from the environment may stand in between.
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            del os.environ[name]
    try:
        out = asyncio.run(main_async(args))
    except Exception:
        traceback.print_exc()
        return 2
    print(json.dumps(out, indent=1, sort_keys=False))
    complete = not (
        out["failed"]
        or out["tools_not_called"]
        or out["methods_not_called"]
        or "mcp_crash" in out
        or "python_crash" in out
    )
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
