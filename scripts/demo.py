"""The demo `make demo` runs (filled in by the emulator work)."""

print("demo: nothing yet")
