"""`videosync emulator`: the local Vision API, served until Ctrl-C."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from videosync.cli.root import Settings, cli
from videosync.errors import UsageError


@cli.command("emulator")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Any other than loopback exposes the emulator (plain HTTP) "
    "to the network: allowed, with a warning.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8787,
    show_default=True,
    help="Port to listen on; 0 picks a free one. The URL is printed on start.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".videosync/emulator"),
    show_default=True,
    help="Where videos (files) and metadata (SQLite) are kept across restarts.",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help="Accept this API key; repeat for more, each key is its own tenant. "
    "Default: the key in REKA_API_KEY (or VIDEOSYNC_API_KEY).",
)
@click.option(
    "--open", "open_", is_flag=True, help="Accept any API key (each key still its own tenant)."
)
@click.option(
    "--index-delay",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a video stays pending, and then indexing, before it is indexed; "
    "in v2, how long each feature run stays pending, and then processing.",
)
@click.option(
    "--latency",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="MS",
    help="Delay every API response by this many milliseconds.",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    metavar="P",
    help="Probability that an API request meets an injected fault: 429 (Retry-After: 1), "
    "500, 503, or a dropped connection (before or after the request took effect).",
)
@click.option(
    "--feature-failure-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    metavar="P",
    help="v2: probability that a feature run (transcript, captions, embeddings, objects) "
    "ends failed. Drawn once per run, seeded by --seed, the video and the attempt.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    metavar="N",
    help="Seed of the fault draw: the same requests in the same order meet the same faults.",
)
@click.option(
    "--max-upload-bytes",
    type=click.IntRange(min=1),
    default=10 * 1024**3,
    show_default=True,
    metavar="N",
    help="Largest file accepted by an upload or fetched from a video_url (413 past it).",
)
@click.option(
    "--allow-private-urls",
    is_flag=True,
    help="Fetch video_urls from loopback and private addresses even when listening on more "
    "than loopback (link-local and cloud metadata addresses are never fetched).",
)
@click.pass_obj
def emulator_command(
    settings: Settings,
    *,
    host: str,
    port: int,
    data_dir: Path,
    api_keys: tuple[str, ...],
    open_: bool,
    index_delay: float,
    latency: int,
    fault_rate: float,
    feature_failure_rate: float,
    seed: int,
    max_upload_bytes: int,
    allow_private_urls: bool,
) -> None:
    """Run a local Vision API emulator until Ctrl-C.

    It serves both API versions on one catalog per key: v1's video management calls
    (upload, get, delete, groups) and v2's (/v2/videos with PATCH, /v2/video-groups,
    features, transcript/captions/scenes/objects, segment, search, chat), with the data
    kept in --data-dir, so videosync, curl, the API docs' examples and the official
    reka-mcp client can be tried without an account. Point videosync at it with
    --api-url http://127.0.0.1:8787 (the official client: REKA_VISION_API_URL).
    """
    # Lazy: uvicorn, Starlette and PyAV are loaded only by the command that serves.
    from videosync.emulator import EmulatorConfig, serve_forever
    from videosync.emulator.server import is_loopback

    if not api_keys and settings.api_key:
        api_keys = (settings.api_key,)
    if not api_keys and not open_:
        raise UsageError(
            "the emulator needs a key to accept: give --api-key KEY, set REKA_API_KEY, "
            "or use --open to accept any key"
        )
    if not is_loopback(host):
        click.echo(
            f"warning: listening on {host}: other machines can reach this emulator over plain HTTP",
            err=True,
        )
    if settings.verbosity >= 0:
        logging.getLogger("videosync.emulator").setLevel(logging.INFO)
    config = EmulatorConfig(
        data_dir=data_dir,
        host=host,
        port=port,
        api_keys=api_keys,
        open=open_,
        index_delay=index_delay,
        latency_ms=latency,
        fault_rate=fault_rate,
        feature_failure_rate=feature_failure_rate,
        seed=seed,
        max_upload_bytes=max_upload_bytes,
        allow_private_urls=allow_private_urls or None,
    )
    keys = "any key" if open_ else f"{len(api_keys)} key(s)"

    def announce(url: str) -> None:
        click.echo(f"listening on {url}", nl=True)
        click.echo(f"data in {data_dir}; accepting {keys}; Ctrl-C stops", err=True)
        sys.stdout.flush()

    serve_forever(config, announce)
