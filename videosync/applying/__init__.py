"""Carrying a plan out: the applier, uploads, the run's journal and lockfile, progress, waits.

The only place that changes the world. Imports planning, state, content, api and the
bottom layer; never commands or the command line.
"""
