"""The plan: its values, the pure planner, moves, safety rails, and rendering it for people.

No I/O but saving and loading a plan file. Imports content, the bottom layer and deepdiff
(the planner only); never state, the API client, the applier, commands or the command line.
"""
