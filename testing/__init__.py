"""Helpers shared by the tests, the benchmarks and the scripts; not shipped in the wheel."""
