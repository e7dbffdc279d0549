"""The lab's side of the embedded architecture: how archlab starts, updates, breaks and measures it
(its `System` adapter). What a practitioner would deploy is the package above."""
