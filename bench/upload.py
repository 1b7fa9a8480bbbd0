"""Upload a 1 GiB file to the emulator with the client, beside `curl -F`, in one run.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--repeat 1] [--dir DIR]

Starts `videosync emulator` as a subprocess on 127.0.0.1, uploads the same file with
curl (the reference), with `VisionClient.upload_file`, and with it again hashing the
stream with sha256, each in its own process; samples the client process's peak RSS.
Targets (DESIGN.md): client peak RSS <= 120 MB, wall <= 1.2x curl.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    GiB,
    MiB,
    PeakRss,
    curl_upload_seconds,
    delete_every_video,
    emulator_process,
    make_file,
    ratio,
)

KEY = "bench-key"
FIELDS = {"video_name": "bench", "index": "true"}


def _client_upload(url: str, path: Path, with_hash: bool) -> None:
    """The measured side: one upload in this (fresh) process; prints a JSON result."""
    from videosync.api.client import VisionClient

    async def run() -> dict[str, object]:
        async with VisionClient(url, KEY) as client:
            started = time.perf_counter()
            result = await client.upload_file(
                path,
                name="bench",
                filename=path.name,
                hasher=hashlib.sha256 if with_hash else None,
            )
            return {
                "seconds": time.perf_counter() - started,
                "size": result.size,
                "digest": result.digest,
            }

    print(json.dumps(asyncio.run(run())))


def _timed_client(url: str, path: Path, with_hash: bool) -> tuple[float, int, str | None]:
    """Run `_client_upload` in a subprocess; (seconds, peak RSS bytes, digest)."""
    args = [sys.executable, __file__, "--client", url, str(path)]
    if with_hash:
        args.append("--hash")
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    with PeakRss(child.pid) as rss:
        out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"client upload failed (exit {child.returncode})")
    result = json.loads(out)
    return float(result["seconds"]), rss.peak, result["digest"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=GiB // MiB)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is kept")
    parser.add_argument("--dir", type=Path, help="where the test file goes (default: a tmp dir)")
    parser.add_argument("--client", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--hash", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        _client_upload(args.client[0], Path(args.client[1]), args.hash)
        return

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        work = Path(tmp)
        size = args.size_mib * MiB
        path = make_file(work / "bench.bin", size)
        expected = _sha256(path)
        with emulator_process(work / "data", "--api-key", KEY) as server:
            url = server.url
            curl, plain, hashed = [], [], []
            for _ in range(args.repeat):
                curl.append(curl_upload_seconds(f"{url}/videos/upload", KEY, path, FIELDS))
                delete_every_video(url, KEY)
                plain.append(_timed_client(url, path, with_hash=False))
                delete_every_video(url, KEY)
                hashed.append(_timed_client(url, path, with_hash=True))
                delete_every_video(url, KEY)

    best_curl = min(curl)
    print(f"file: {size / MiB:.0f} MiB, emulator on loopback, best of {args.repeat}")
    print(f"curl -F                 {best_curl:7.2f} s  {size / best_curl / MiB:7.0f} MiB/s  1.00x")
    for label, runs in (("client", plain), ("client + sha256", hashed)):
        seconds, peak, digest = min(runs)
        print(
            f"{label:<22}  {seconds:7.2f} s  {size / seconds / MiB:7.0f} MiB/s  "
            f"{ratio(seconds, best_curl):>5}  peak RSS {peak / MiB:5.1f} MiB"
            + (f"  digest {'ok' if digest == expected else 'WRONG'}" if digest else "")
        )
    worst_rss = max(peak for _, peak, _ in plain + hashed)
    worst_ratio = min(s for s, _, _ in plain) / best_curl
    print(
        f"targets: peak RSS <= 120 MB: {'met' if worst_rss <= 120e6 else 'MISSED'}; "
        f"wall <= 1.2x curl: {'met' if worst_ratio <= 1.2 else 'MISSED'} ({worst_ratio:.2f}x)"
    )


if __name__ == "__main__":
    main()
