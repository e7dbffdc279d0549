"""Benchmarks (`archlab bench`): printed percentiles with the command that reproduces them."""
