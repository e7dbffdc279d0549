"""archlab: the command line, the measurement library and the comparison report."""
