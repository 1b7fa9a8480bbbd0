"""The Vision API client: routes, requests, retries, response parsing, streamed uploads.

The one door for httpx. Imports only the bottom layer (`videosync.model`, `videosync.errors`);
never the manifest, state, content, planning, applying, commands or the command line.
"""

import sys

# httpx imports its own command-line client, and with it rich and pygments (~40 ms of every
# start-up), whenever they are installed, as they are here; videosync never runs it. None
# in sys.modules makes that one import fail, which httpx is written for: `httpx.main` is
# then a stub, and nothing else in httpx changes. Left alone if httpx came first.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
