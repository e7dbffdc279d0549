"""`archlab publish VERSION`: send a stored model version to the streaming model topic."""

from __future__ import annotations

import argparse

from shared_model import ModelStore

from patterns.streaming.broker import bootstrap_servers, require_keys_for_broker
from patterns.streaming.publisher import Publisher
from patterns.streaming.settings import StreamingSettings
from patterns.streaming.topic import BrokerUnavailable

from ..errors import UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="publish a stored model version to the Kafka model topic (streaming architecture)",
    )
    parser.add_argument("version", help="a stored version, e.g. v2 (see `archlab models`)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = StreamingSettings.from_env()
    store = ModelStore(settings.home / "models")
    store.files(args.version)  # an unknown version fails here, before any network call
    servers = bootstrap_servers(settings)
    if not servers:
        raise UsageError(
            "no Kafka broker: start one with `archlab serve streaming`, or set KAFKA_BOOTSTRAP_SERVERS"
        )
    require_keys_for_broker(settings.kafka_bootstrap_servers)  # a broker of the user's: no development key
    try:
        with Publisher(servers, settings.kafka_model_topic, store) as publisher:
            published = publisher.publish(args.version)
    except BrokerUnavailable as exc:
        raise UsageError(f"{exc} (is the broker running? `archlab serve streaming` starts one)") from None
    print(
        f"published {published.version} to {settings.kafka_model_topic} at {servers}: "
        f"{published.bytes} bytes in {published.chunks} message(s), offset {published.last_offset}"
    )
    return 0
