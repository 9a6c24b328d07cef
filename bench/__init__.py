"""Benchmarks: ./script/bench writes bench/results.md and bench/results.json."""
