"""The version of videosync (read by the build backend, the `--version` flag and User-Agent)."""

__version__ = "0.1.0"
