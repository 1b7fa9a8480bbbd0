"""Tests of the safety rails, moves, PR-sized markdown and exit codes (issue 8, part A)."""
