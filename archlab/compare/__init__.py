"""The comparison of the four architectures (`archlab compare`): drive, measure, report."""
