"""The four serving architectures, the web front they share, and the launcher that runs them."""
