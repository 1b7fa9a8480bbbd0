"""The API reference's own examples, run against the emulator with the base URL swapped.

The curl commands and Python snippets below are copied verbatim from
`../shared/api/video-management.txt` (prompt marks `$` and `>` removed). Only what cannot
work on a test machine is replaced, each on one line of `_swap`: the base URL, the key
placeholder, ids that exist only in the docs' account, the YouTube URL (tests never leave
loopback: a video the emulator itself serves is fetched instead), and `/content/demo.mp4`.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import API_KEY
from tests.emulator.conftest import uploaded, video
from videosync.emulator import RunningEmulator

DOC_BASE_URL = "https://vision-agent.api.reka.ai"
DOC_GROUP_ID = "20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37"
DOC_VIDEO_ID = "550e8400-e29b-41d4-a716-446655440000"
DOC_VIDEO_URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"

CURL_UPLOAD_FILE = """\
curl -X POST https://vision-agent.api.reka.ai/videos/upload \\
-H "X-Api-Key: YOUR_API_KEY" \\
-F "file=@video.mp4" \\
-F "video_name=my_video.mp4" \\
-F "index=true" \\
-F "group_id=20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37"
"""

CURL_UPLOAD_URL = """\
curl -X POST https://vision-agent.api.reka.ai/videos/upload \\
-H "X-Api-Key: YOUR_API_KEY" \\
-F "video_url=https://www.youtube.com/watch?v=dQw4w9WgXcQ" \\
-F "video_name=my_video.mp4" \\
-F "index=true" \\
-F "group_id=default"
"""

CURL_GET = """\
curl -X POST https://vision-agent.api.reka.ai/videos/get \\
-H "X-Api-Key: YOUR_API_KEY" \\
-H "Content-Type: application/json" \\
-d '{
"video_ids": ["550e8400-e29b-41d4-a716-446655440000"]
}'
"""

CURL_LIST = """\
curl -X POST https://vision-agent.api.reka.ai/videos/get \\
-H "X-Api-Key: YOUR_API_KEY" \\
-H "Content-Type: application/json" \\
"""

CURL_DELETE = """\
curl -X DELETE https://vision-agent.api.reka.ai/videos/delete \\
-H "X-Api-Key: YOUR_API_KEY" \\
-H "Content-Type: application/json" \\
-d '{
"video_ids": ["550e8400-e29b-41d4-a716-446655440000"]
}'
"""

PY_UPLOAD_FILE = """\
import requests
import json

url = f"{BASE_URL}/videos/upload"
video_path = "/content/demo.mp4" # local video path

# Video indexing request body for a local video
data = {
 "index": True, # boolean value indicating whether the video should be indexed for search/qa/etc
 "enable_thumbnails": False, # boolean value indicating whether to generate thumbnails for video chunks, this will increase the indexing time but will allow for quick thumbnail loading at search time
 "video_name": "vid16", # name of video to store in vision agent system for informative purpose. not ID
 "video_start_absolute_timestamp": "2025-04-12T19:05:45", # (Optional) a absolute timestamp indicating video start time in ISO 8601 format
 "group_id": "20f4bc2d-3ebe-4fd2-829f-9d88c79e8a37", # optional video group assignment
}
headers = {
 "X-Api-Key": REKA_API_KEY
}

# Open the video file and send the request
with open(video_path, "rb") as file:
 files = {"file": (video_path[1:], file, "video/mp4")} # Send as multipart/form-data
 response = requests.post(url, headers=headers, data=data, files=files)

# Print response
print(response.status_code, response.json())
"""  # noqa: E501

PY_UPLOAD_URL = """\
import requests
import json

url = f"{BASE_URL}/videos/upload"
video_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ" # video url

# Video indexing request body for a video url
data = {
 "index": True,
 "video_name": "vid16",
 "video_url": video_url,
 "video_start_absolute_timestamp": "2025-04-12T19:05:45",
 "group_id": "default",
}
headers = {
 "X-Api-Key": REKA_API_KEY
}

# Send the request
response = requests.post(url, headers=headers, data=data)

# Print response
print(response.status_code, response.json())
"""

PY_GET = """\
import requests
import json

url = f"{BASE_URL}/videos/get"

# Video get request body
data = {
 "video_ids": ["550e8400-e29b-41d4-a716-446655440000"]
}
headers = {
 "X-Api-Key": REKA_API_KEY
}

# Send the request
response = requests.post(url, headers=headers, data=data)

# Print response
print(response.status_code, response.json())
"""

PY_LIST = """\
import requests
import json

url = f"{BASE_URL}/videos/get"

headers = {
 "X-Api-Key": REKA_API_KEY
}

# Send the request
response = requests.post(url, headers=headers)

# Print response
print(response.status_code, response.json())
"""

PY_DELETE = """\
import requests
import json

url = f"{BASE_URL}/videos/delete"

# Video delete request body
data = {
 "video_ids": ["550e8400-e29b-41d4-a716-446655440000"] # List of video ids to delete
}
headers = {
 "X-Api-Key": REKA_API_KEY
}

# Send the request
response = requests.delete(url, headers=headers, data=data)

# Print response
print(response.status_code, response.json())
"""


def _swap(text: str, emulator: RunningEmulator, **values: str) -> str:
    """The example with what only works on the real service replaced (see module doc)."""
    text = text.replace(DOC_BASE_URL, emulator.url).replace("YOUR_API_KEY", API_KEY)
    text = text.replace(DOC_GROUP_ID, values.get("group_id", DOC_GROUP_ID))
    text = text.replace(DOC_VIDEO_ID, values.get("video_id", DOC_VIDEO_ID))
    text = text.replace(DOC_VIDEO_URL, values.get("video_url", DOC_VIDEO_URL))
    return text.replace("/content/demo.mp4", values.get("video_path", "/content/demo.mp4"))


def _curl(command: str, cwd: Path) -> tuple[int, Any]:
    """Run a doc curl command as written, plus `-sS -w` to learn the status."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed (.ci/run installs it)")
    args = shlex.split(command.replace("\\\n", " "))
    assert args[0] == "curl"
    out = subprocess.run(
        [curl, "-sS", "-w", "\n%{http_code}", *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    body, _, status = out.stdout.rpartition("\n")
    return int(status), httpx.Response(200, content=body).json()


def _python(snippet: str, emulator: RunningEmulator) -> tuple[int, Any]:
    """exec() a doc snippet with BASE_URL and REKA_API_KEY set; return its printed response."""
    printed = io.StringIO()
    namespace: dict[str, Any] = {"BASE_URL": emulator.url, "REKA_API_KEY": API_KEY}
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "<api docs example>", "exec"), namespace)
    response = namespace["response"]
    assert printed.getvalue().startswith(str(response.status_code))
    return response.status_code, response.json()


@pytest.fixture
def group_id(api: httpx.Client) -> str:
    created = api.post("/videos/groups", json={"name": "docs group"})
    assert created.status_code == 200
    gid: str = created.json()["group_id"]
    return gid


def test_curl_upload_of_a_file_into_a_group(
    emulator: RunningEmulator, api: httpx.Client, sample_video: Path, tmp_path: Path, group_id: str
) -> None:
    shutil.copy(sample_video, tmp_path / "video.mp4")

    status, body = _curl(_swap(CURL_UPLOAD_FILE, emulator, group_id=group_id), tmp_path)

    assert status == 200
    assert body["status"] == "upload_initiated"
    stored = video(api, body["video_id"])
    assert stored["group_id"] == group_id
    assert stored["indexing_status"] == "indexed"
    assert stored["metadata"]["video_name"] == "my_video.mp4"
    assert stored["metadata"]["source"] == "video.mp4"
    assert stored["metadata"]["description"] == "Uploaded video file: video.mp4"
    assert (stored["metadata"]["width"], stored["metadata"]["height"]) == (160, 120)


def test_curl_upload_into_the_docs_group_id_is_refused_as_unknown(
    emulator: RunningEmulator, sample_video: Path, tmp_path: Path
) -> None:
    shutil.copy(sample_video, tmp_path / "video.mp4")

    status, body = _curl(_swap(CURL_UPLOAD_FILE, emulator), tmp_path)

    assert status == 404
    assert body["detail"] == f"Group {DOC_GROUP_ID!r} not found"


def test_curl_upload_of_a_url_fetches_it(
    emulator: RunningEmulator, api: httpx.Client, sample_video: Path, tmp_path: Path
) -> None:
    served = video(api, uploaded(api, sample_video))["url"]

    status, body = _curl(_swap(CURL_UPLOAD_URL, emulator, video_url=served), tmp_path)

    assert status == 200
    emulator.wait_for_downloads()
    fetched = video(api, body["video_id"])
    assert fetched["indexing_status"] == "indexed"
    assert fetched["metadata"]["source"] == served
    assert fetched["metadata"]["duration"] == 2.0


def test_curl_get_list_and_delete(
    emulator: RunningEmulator, api: httpx.Client, sample_videos: list[Path], tmp_path: Path
) -> None:
    first, second = (uploaded(api, path) for path in sample_videos[:2])

    status, body = _curl(_swap(CURL_GET, emulator, video_id=first), tmp_path)
    assert status == 200
    assert [v["video_id"] for v in body["results"]] == [first]

    status, body = _curl(_swap(CURL_GET, emulator), tmp_path)
    assert (status, body) == (200, {"results": []})

    status, body = _curl(_swap(CURL_LIST, emulator), tmp_path)
    assert status == 200
    assert [v["video_id"] for v in body["results"]] == [first, second]

    status, body = _curl(_swap(CURL_DELETE, emulator, video_id=first), tmp_path)
    assert (status, body["status"]) == (200, "success")
    assert [v["video_id"] for v in api.post("/videos/get").json()["results"]] == [second]

    status, body = _curl(_swap(CURL_DELETE, emulator, video_id=first), tmp_path)
    assert status == 404
    assert body["detail"] == f"Video(s) not found, nothing deleted: {first}"


def test_python_upload_of_a_file(
    emulator: RunningEmulator, api: httpx.Client, sample_video: Path, group_id: str
) -> None:
    snippet = _swap(PY_UPLOAD_FILE, emulator, group_id=group_id, video_path=str(sample_video))

    status, body = _python(snippet, emulator)

    assert status == 200
    stored = video(api, body["video_id"])
    assert stored["metadata"]["source"] == str(sample_video)[1:]
    assert stored["metadata"]["video_name"] == "vid16"
    assert stored["metadata"]["video_start_timestamp_utc_ms"] == 1744484745000
    assert stored["group_id"] == group_id


def test_python_upload_of_a_url(
    emulator: RunningEmulator, api: httpx.Client, sample_video: Path
) -> None:
    served = video(api, uploaded(api, sample_video))["url"]

    status, body = _python(_swap(PY_UPLOAD_URL, emulator, video_url=served), emulator)

    assert status == 200
    emulator.wait_for_downloads()
    fetched = video(api, body["video_id"])
    assert fetched["indexing_status"] == "indexed"
    assert fetched["metadata"]["video_start_timestamp_utc_ms"] == 1744484745000


def test_python_get_list_and_delete_with_form_bodies(
    emulator: RunningEmulator, api: httpx.Client, sample_videos: list[Path]
) -> None:
    first, second = (uploaded(api, path) for path in sample_videos[:2])

    status, body = _python(_swap(PY_GET, emulator, video_id=second), emulator)
    assert status == 200
    assert [v["video_id"] for v in body["results"]] == [second]

    status, body = _python(_swap(PY_LIST, emulator), emulator)
    assert status == 200
    assert {v["video_id"] for v in body["results"]} == {first, second}

    status, body = _python(_swap(PY_DELETE, emulator, video_id=second), emulator)
    assert (status, body["status"]) == (200, "success")
    assert [v["video_id"] for v in api.post("/videos/get").json()["results"]] == [first]
