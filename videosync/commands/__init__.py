"""The commands, one module each: plain functions the CLI (and the Python API) call.

Each loads what it needs, calls the planner and the applier, and returns a value to render.
Imports applying, planning, state, content, api, manifest, the emulator and the bottom
layer; never the command line.
"""
