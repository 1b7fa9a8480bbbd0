"""What a local file holds: content digests, the stat-keyed hash cache, git's identities.

Imports only the bottom layer (`videosync.model`, `videosync.errors`, `videosync.workdir`);
never the manifest, state, api or above.
"""
