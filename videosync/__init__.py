"""videosync: keep a Vision API video catalog equal to a YAML manifest in git.

The public Python API is the names in `__all__`, the same calls the command line makes:

    import videosync
    run = videosync.plan(Path("videosync.yaml"), api_url=url, api_key=key)
    print(run.plan.summary())
    done = videosync.apply(Path("videosync.yaml"), api_url=url, api_key=key)

`videosync.local_endpoint(manifest)` serves the embedded emulator for `api_url`/`api_key`,
and `videosync.errors` holds every exception they raise (all `VideosyncError`). Everything
else is internal and may change. The names are imported on first use, so `import videosync`
(and `videosync --help`) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from videosync.errors import ExitCode, VideosyncError
from videosync.version import __version__

if TYPE_CHECKING:
    from videosync.commands.apply import ApplyRun, apply
    from videosync.commands.plan import PlanRun
    from videosync.commands.plan import make_plan as plan
    from videosync.commands.remote import RemoteListing
    from videosync.commands.remote import remote_listing as remote
    from videosync.commands.status import Status, status
    from videosync.commands.validate import Validation, validate
    from videosync.emulator.local import local_endpoint
    from videosync.planning.plan import Action, Plan

__all__ = [
    "Action",
    "ApplyRun",
    "ExitCode",
    "Plan",
    "PlanRun",
    "RemoteListing",
    "Status",
    "Validation",
    "VideosyncError",
    "__version__",
    "apply",
    "local_endpoint",
    "plan",
    "remote",
    "status",
    "validate",
]

_LAZY: dict[str, tuple[str, str]] = {
    "Action": ("videosync.planning.plan", "Action"),
    "ApplyRun": ("videosync.commands.apply", "ApplyRun"),
    "Plan": ("videosync.planning.plan", "Plan"),
    "PlanRun": ("videosync.commands.plan", "PlanRun"),
    "RemoteListing": ("videosync.commands.remote", "RemoteListing"),
    "Status": ("videosync.commands.status", "Status"),
    "Validation": ("videosync.commands.validate", "Validation"),
    "apply": ("videosync.commands.apply", "apply"),
    "local_endpoint": ("videosync.emulator.local", "local_endpoint"),
    "plan": ("videosync.commands.plan", "make_plan"),
    "remote": ("videosync.commands.remote", "remote_listing"),
    "status": ("videosync.commands.status", "status"),
    "validate": ("videosync.commands.validate", "validate"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'videosync' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    # Kept as a module global: later lookups find it without coming back here, and no
    # submodule of the same name can ever shadow it (none is named like a public function).
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
