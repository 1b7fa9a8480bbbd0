"""The command line (`videosync`): the only package that imports click or reads the environment.

`root` holds the group, its global options, the exit codes and `main`; each other module
registers the commands of one concept on it. It parses arguments, calls `videosync.commands`,
renders, and maps errors to exit codes; it may import anything below it. A command's own
modules are imported when that command runs, so `videosync --help` loads no command.
"""

from videosync.cli import apply, emulator, manifest, plan  # noqa: F401  (registers commands)
from videosync.cli.root import cli, main

__all__ = ["cli", "main"]
