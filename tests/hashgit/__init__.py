"""Hashing at the read limit, zero-read plans from git, stale-lock takeover, unlock."""
