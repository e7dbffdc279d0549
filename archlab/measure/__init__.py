"""The measurement library: one implementation of percentiles, load generation and floors,
shared by `archlab compare`, the notebooks and the tests."""
