"""The command line (`videosync`): the only package that imports click or reads the environment.

`root` holds the group, its global options and `main`; each other module registers the
commands of one concept on it.
"""

from videosync.cli import apply, emulator, manifest, plan  # noqa: F401  (registers commands)
from videosync.cli.root import cli, main

__all__ = ["cli", "main"]
