"""The application side of streaming: a background thread that follows the model topic.

`ModelFeed.model` is the one reference requests read. The thread replaces it with a single
assignment, so a request that read it once is answered by exactly one complete model, whatever
arrives meanwhile. The feed

- reads the partition in assign mode (broadcast: every app instance sees every version);
- on start reads the topic from the beginning and loads only the newest valid version; after a
  reconnect it resumes where it was;
- verifies every bundle with `shared_model.load_bundle` (signature and digests before unpickling)
  and counts what it rejects;
- never moves to an older or equal version (see `newness`);
- keeps serving when the broker is away, reports it, reconnects by itself, and seeks back when
  its position is past the end of the partition (an in-memory broker restarted and the topic came
  back shorter: a consumer left there would silently receive nothing).
"""

from __future__ import annotations

import logging
import re
import threading
import time

from kafka import KafkaConsumer
from kafka.errors import KafkaError

from shared_model import load_bundle

from .topic import REQUEST_TIMEOUT_MS, BrokerUnavailable, model_partition
from .wire import Artifact, Assembler, RejectedMessage

log = logging.getLogger(__name__)

# 10-100 ms gives ~3 ms produce-to-consume; the client default of 500 ms costs ~130 ms.
FETCH_MAX_WAIT_MS = 20
POLL_MS = 100
HEALTH_CHECK_SECONDS = 1.0
RECONNECT_SECONDS = 0.5


def version_order(version: str) -> tuple[int, str]:
    """Natural order of version names: v2 < v10. Names without a number sort first."""
    match = re.match(r"v([0-9]+)", version)
    return (int(match.group(1)) if match else -1, version)


def newness(version: str, created: str) -> tuple:
    """What "newer" means: a higher version; for the same version, a later build (`created`)."""
    return (version_order(version), created)


def claimed_newness(headers: dict[str, str]) -> tuple:
    """Newness as a message's (unverified) headers claim it."""
    return newness(headers["version"], headers.get("created", ""))


def model_newness(model) -> tuple:
    """Newness as a verified model's signed metadata states it."""
    return newness(model.version, model.metadata.get("created", ""))


def past_end(position: int, end: int) -> bool:
    """A position beyond the end offset: the partition was recreated shorter (in-memory broker restart)."""
    return position > end


class ModelFeed:
    """Follows `topic` in a daemon thread; `model` is the newest verified model (None until one came)."""

    def __init__(self, bootstrap_servers: str, topic: str, key: bytes | None = None,
                 fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.key = key
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.model = None
        self.model_offset: int | None = None
        self.broker = "connecting"
        self.rejected = 0
        self.swaps = 0
        self.topic_resets = 0
        self.last_error: str | None = None
        self._partition = model_partition(topic)
        self._assembler = Assembler()
        self._pending: list[Artifact] = []
        self._catch_up_end = 0
        self._resume_at: int | None = None
        self._stop = threading.Event()
        self._has_model = threading.Event()
        self._thread = threading.Thread(target=self._run, name="model-feed", daemon=True)

    def start(self) -> ModelFeed:
        self._thread.start()
        return self

    def wait_for_model(self, timeout: float) -> bool:
        return self._has_model.wait(timeout)

    def status(self) -> dict:
        model = self.model
        return {
            "model_version": model.version if model else None,
            "model_digest": model.digest if model else None,
            "model_created": model.metadata.get("created") if model else None,
            "model_offset": self.model_offset,
            "broker": self.broker,
            "bootstrap_servers": self.bootstrap_servers,
            "topic": self.topic,
            "swaps": self.swaps,
            "rejected": self.rejected,
            "topic_resets": self.topic_resets,
            "next_offset": self._resume_at,
            "last_error": self.last_error,
        }

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            consumer = None
            try:
                consumer = self._connect()
                self._follow(consumer)
            except (KafkaError, BrokerUnavailable) as exc:
                self._broker_lost(exc)
            except Exception as exc:  # keep serving the current model whatever went wrong
                log.exception("model feed failed; reconnecting")
                self._broker_lost(exc)
            finally:
                if consumer is not None:
                    consumer.close()

    def _connect(self) -> KafkaConsumer:
        """A fresh consumer on the model partition: at the beginning the first time, else where we were."""
        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            allow_auto_create_topics=False,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
            bootstrap_timeout_ms=REQUEST_TIMEOUT_MS,
            reconnect_backoff_max_ms=1000,
        )
        try:
            consumer.assign([self._partition])
            end = self._end_offset(consumer)
            if self._resume_at is None:
                consumer.seek_to_beginning(self._partition)
            else:
                consumer.seek(self._partition, self._resume_at)
                self._rewind_if_past_end(consumer, self._resume_at, end)
            # Everything up to `end` is history: read all of it before choosing a model.
            self._catch_up_end = end
        except BaseException:
            consumer.close()
            raise
        self._assembler = Assembler()
        self._pending = []
        self._set_broker("available")
        return consumer

    def _follow(self, consumer: KafkaConsumer) -> None:
        next_check = time.monotonic() + HEALTH_CHECK_SECONDS
        while not self._stop.is_set():
            for records in consumer.poll(timeout_ms=POLL_MS).values():
                for record in records:
                    self._receive(record)
            if self._position(consumer) >= self._catch_up_end:
                self._apply_pending()
            if time.monotonic() >= next_check:
                self._check_position(consumer)
                next_check = time.monotonic() + HEALTH_CHECK_SECONDS

    def _check_position(self, consumer: KafkaConsumer) -> None:
        """Health check (raises when the broker is away) and the past-the-end check."""
        end = self._end_offset(consumer)
        self._rewind_if_past_end(consumer, self._position(consumer), end)
        self._set_broker("available")

    def _rewind_if_past_end(self, consumer: KafkaConsumer, position: int, end: int) -> None:
        """Seek back to the beginning if the partition was recreated shorter than our position."""
        if not past_end(position, end):
            return
        log.warning("position %d is past the end %d of %s: the topic was recreated; reading it again",
                    position, end, self.topic)
        self.topic_resets += 1
        consumer.seek_to_beginning(self._partition)
        self._assembler = Assembler()
        self._pending = []
        self._catch_up_end = end

    def _position(self, consumer: KafkaConsumer) -> int:
        position = consumer.position(self._partition, timeout_ms=REQUEST_TIMEOUT_MS)
        if position is None:
            raise BrokerUnavailable(f"no position on {self.topic} within {REQUEST_TIMEOUT_MS} ms")
        return position

    def _end_offset(self, consumer: KafkaConsumer) -> int:
        return consumer.end_offsets([self._partition], timeout_ms=REQUEST_TIMEOUT_MS)[self._partition]

    def _receive(self, record) -> None:
        for event in self._assembler.add(record.offset, record.value, record.headers):
            if isinstance(event, RejectedMessage):
                self._reject(record.offset, str(event))
            else:
                self._pending.append(event)
        if not self._assembler.collecting:
            self._resume_at = record.offset + 1  # a reconnect never starts in the middle of a bundle

    def _apply_pending(self) -> None:
        """Load the newest pending artifact that verifies; older ones are skipped unopened."""
        candidates = sorted(self._pending, key=lambda artifact: claimed_newness(artifact.headers), reverse=True)
        self._pending = []
        for artifact in candidates:
            claimed = claimed_newness(artifact.headers)
            if not self._is_newer(claimed):
                return  # this one and all after it are not newer than what is served
            try:
                model = load_bundle(artifact.bundle, self.key)
            except Exception as exc:  # verified before unpickling: nothing from the topic ran
                self._reject(artifact.offset, f"{type(exc).__name__}: {exc}")
                continue
            if model_newness(model) != claimed:
                self._reject(artifact.offset, f"headers claim {artifact.headers['version']} but the signed "
                                              f"metadata says {model.version}")
                continue
            self._swap(model, artifact.offset)
            return

    def _is_newer(self, claimed: tuple) -> bool:
        current = self.model
        return current is None or claimed > model_newness(current)

    def _swap(self, model, offset: int) -> None:
        previous = self.model
        self.model = model  # the single assignment every request sees atomically
        self.model_offset = offset
        self.swaps += 1
        self._has_model.set()
        log.info("now serving %s %s (offset %d; was %s)", model.name, model.version, offset,
                 previous.version if previous else "nothing")

    def _reject(self, offset: int, reason: str) -> None:
        self.rejected += 1
        self.last_error = f"rejected message at offset {offset}: {reason}"
        log.warning("%s", self.last_error)

    def _set_broker(self, state: str) -> None:
        if state != self.broker:
            log.info("broker %s: %s", self.bootstrap_servers, state)
        self.broker = state

    def _broker_lost(self, exc: BaseException) -> None:
        self.last_error = f"broker unavailable: {type(exc).__name__}: {exc}"
        if self.broker != "unavailable":
            log.warning("%s; keeping model %s", self.last_error, self.model.version if self.model else None)
        self._set_broker("unavailable")
        self._stop.wait(RECONNECT_SECONDS)
