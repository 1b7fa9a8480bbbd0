"""A local, persistent implementation of the Vision API's video management calls.

Start one in-process with `start_emulator(EmulatorConfig(data_dir=...))` (tests, the demo),
or from the shell with `videosync emulator`; `local.py` serves it for `--api-url local`.
A server of its own: imports only the bottom layer (model, errors, workdir, version), never
the client, the manifest, state, planning, applying, commands or the command line.
"""

from __future__ import annotations

from videosync.emulator.config import FAULT_KINDS, EmulatorConfig
from videosync.emulator.server import RunningEmulator, serve_forever, start_emulator

__all__ = ["FAULT_KINDS", "EmulatorConfig", "RunningEmulator", "serve_forever", "start_emulator"]
