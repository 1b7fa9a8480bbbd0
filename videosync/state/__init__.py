"""What videosync records between runs: the lockfile, the apply journal, recovery, the run lock.

Imports `videosync.content` (digests of adopted uploads) and the bottom layer; never the
API client, the planner, the applier, commands or the command line.
"""
