"""Benchmarks and the data generator; only its tiny scale runs in the test suite."""
