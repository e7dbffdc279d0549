"""The lab's side of the client architecture: how archlab starts, updates, breaks and measures it
(its `System` adapter) and runs a release's JavaScript in V8 for the parity check and the bench.
What a practitioner would ship is the package above: the release bundles and their static server."""
