"""The manifest: YAML read with marks, schema checks, files resolved, desired state built.

Owns `videosync.yaml` → `DesiredVideo`/`DesiredGroup`. Imports only the bottom layer
(`videosync.model`, `videosync.errors`, `videosync.schemas`); never state, content, api or above.
"""
