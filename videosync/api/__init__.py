"""The Vision API client: routes, requests, retries, response parsing, streamed uploads.

The one door for httpx. Imports only the bottom layer (`videosync.model`, `videosync.errors`);
never the manifest, state, content, planning, applying, commands or the command line.
"""
