"""Everything a running emulator's routes share, built once from its config."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from videosync.emulator.committer import UploadCommitter
from videosync.emulator.config import EmulatorConfig
from videosync.emulator.faults import FaultInjector, FeatureFailures
from videosync.emulator.fetch import Fetcher
from videosync.emulator.signing import UrlSigner
from videosync.emulator.store import Store

__all__ = ["EmulatorState", "state_of"]


@dataclass(frozen=True)
class EmulatorState:
    config: EmulatorConfig
    store: Store
    signer: UrlSigner
    faults: FaultInjector
    fetcher: Fetcher
    feature_failures: FeatureFailures
    """v2: which feature runs fail (changeable while the emulator runs)."""
    committer: UploadCommitter
    """Probes and stores uploaded files, in batches."""


def state_of(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state
