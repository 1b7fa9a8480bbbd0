"""videosync: keep a Vision API video catalog equal to a YAML manifest in git.

The library API: `videosync.planning.plan(manifest, api_url=..., api_key=...)` computes a plan (and
changes nothing); `videosync.apply(manifest, api_url=..., api_key=...)` carries it out. Both
are imported on first use, so `import videosync` (and `videosync --help`) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "apply", "plan"]

if TYPE_CHECKING:
    from videosync.commands.apply import apply
    from videosync.commands.plan import make_plan as plan


def __getattr__(name: str) -> Any:
    if name == "plan":
        from videosync.commands.plan import make_plan

        return make_plan
    if name == "apply":
        from videosync.commands.apply import apply

        return apply
    raise AttributeError(f"module 'videosync' has no attribute {name!r}")
