"""Architecture 3, streaming: model versions travel through a Kafka topic into running apps.

The training side publishes each version's signed bundle to the model topic (`publisher`); every
web front runs a background consumer (`consumer.ModelFeed`) that verifies what arrives and swaps
the model in place, so a new model needs no redeploy. Decisions, and why:

- Broadcast, not work sharing: each app instance reads the one partition in *assign* mode (no
  consumer group), so every instance sees every version and nobody waits for a group rebalance.
- One partition, always written as partition 0, so the topic is one ordered history.
- Large artifacts are *chunked* (`bundle_chunks`): each message stays under the broker's default 1 MB
  limit, and the consumer checks the reassembled bundle's SHA-256 before `shared_model` verifies
  its signature. The topic is self-contained: apps need no access to the training side's files.
- "Newest" means highest version (natural order: v2 < v10; for the same version, the later
  `created`), not the last message on the topic: a re-published old version never rolls a running
  app back, and an app started later picks the same model as one that saw every message.
"""
