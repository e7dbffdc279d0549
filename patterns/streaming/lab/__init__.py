"""The lab's side of the streaming architecture: how archlab starts, updates, breaks and measures it
(its `System` adapter, floors and benchmarks). What a practitioner would deploy is the package above."""
