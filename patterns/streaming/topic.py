"""What publisher and consumer agree on: the model partition, client settings, topic creation."""

from __future__ import annotations

from kafka import TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

# Every model message goes to partition 0: one ordered history, even on a topic that a broker
# auto-created with several partitions.
PARTITION = 0
# Client calls give up after this long, so a missing broker shows up as an error, not a hang.
REQUEST_TIMEOUT_MS = 3000


class BrokerUnavailable(ConnectionError):
    """The Kafka cluster at the configured bootstrap servers did not answer (a connection failure,
    so a launcher can report it like any other part that is out of reach)."""


def model_partition(topic: str) -> TopicPartition:
    return TopicPartition(topic, PARTITION)


def ensure_topic(bootstrap_servers: str, topic: str) -> bool:
    """Create `topic` with one partition unless it exists; return True if it was created.

    The replication factor is the cluster's default (-1), so a real multi-broker cluster
    replicates the topic as it is configured to.
    """
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap_servers,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
            bootstrap_timeout_ms=REQUEST_TIMEOUT_MS,
        )
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot reach Kafka at {bootstrap_servers}: {exc}") from exc
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=-1)])
        return True
    except TopicAlreadyExistsError:
        return False
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot create topic {topic!r} at {bootstrap_servers}: {exc}") from exc
    finally:
        admin.close()


def delete_topic(bootstrap_servers: str, topic: str) -> None:
    """Remove a run's own topic; a topic already gone is fine."""
    from kafka.errors import UnknownTopicOrPartitionError

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=REQUEST_TIMEOUT_MS,
                                 bootstrap_timeout_ms=REQUEST_TIMEOUT_MS)
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot reach Kafka at {bootstrap_servers}: {exc}") from exc
    try:
        admin.delete_topics([topic])
    except UnknownTopicOrPartitionError:
        pass
    finally:
        admin.close()
