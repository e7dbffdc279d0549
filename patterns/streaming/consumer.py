"""The application side of streaming: a background thread that follows the model topic.

`ModelFeed.model` is the one reference requests read. The thread replaces it with a single
assignment, so a request that read it once is answered by exactly one complete model, whatever
arrives meanwhile. The feed

- reads the partition in assign mode (broadcast: every app instance sees every version);
- on start reads the topic from the beginning and loads only the newest valid version; after a
  reconnect it resumes where it was;
- verifies every bundle that claims to be newer as it completes (bounded unzip, Ed25519 signature
  by a trusted key, digests, library versions: nothing unpickled), keeps only the best verified
  candidate while it catches up, unpickles that one alone, and counts what it rejects by reason;
- never moves to an older or equal version (see `order.py`), except by a signed rollback pin
  (`pin.py`), which ranks above the bad build it replaces: a pin that is unsigned, signed by an
  untrusted key or tampered with is refused and counted (`pin-refused`);
- skips a pin addressed to another instance (a canary, `audience`), and serves one addressed to
  its own `instance` name under a `CanaryWatch` (`canary.py`) that sends it back to the model it
  served before at the canary's first flagged answer;
- keeps serving when the broker is away, reports it, reconnects by itself, and seeks back when
  its position is past the end of the partition (an in-memory broker restarted and the topic came
  back shorter: a consumer left there would silently receive nothing).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass

from kafka import KafkaConsumer
from kafka.errors import KafkaError

from shared_model.artifacts import BundleTooLarge, compatibility_problems, load_files, unpack, verified_metadata
from shared_model.errors import IncompatibleModelError, IntegrityError
from shared_model.keys import TrustedKeys, trusted_keys

from .order import metadata_rank, newness  # noqa: F401  (newness: the order tests read it here)
from .bundle_chunks import STALE_SECONDS, Artifact, Assembler, RejectedMessage
from .canary import CanaryWatch, Served
from .pin import Pin, PinRefused, claimed_rank, verified_pin
from .topic import REQUEST_TIMEOUT_MS, BrokerUnavailable, model_partition

log = logging.getLogger(__name__)

# How long the broker holds an empty fetch: the client's default of 500 ms costs ~130 ms of
# propagation here. 100 ms gives 53-72 ms, and an idle instance asks the broker 10 times a second:
# at 20 ms propagation was ~20 ms, but the idle polling took 8% of a core in the app (beside the
# requests it serves, under the same GIL) and 4% in the broker, against 2.4% and 1.4% at 100 ms.
FETCH_MAX_WAIT_MS = 100
POLL_MS = 100
HEALTH_CHECK_SECONDS = 1.0
RECONNECT_SECONDS = 0.5


def rejection_reason(exc: Exception) -> str:
    """The /status counter a refused bundle lands in."""
    if isinstance(exc, PinRefused):
        return "pin-refused"
    if isinstance(exc, BundleTooLarge):
        return "too-large"
    if isinstance(exc, IncompatibleModelError):
        return "incompatible"
    if isinstance(exc, IntegrityError):
        return "unverified"
    return "error"


@dataclass(frozen=True)
class Candidate:
    """A verified bundle's files, not yet unpickled: the best one seen while catching up.
    `rank` is its place in `order.py` (a pin's when `pin` is set)."""

    files: dict[str, bytes]
    rank: tuple
    offset: int
    pin: Pin | None = None


def past_end(position: int, end: int) -> bool:
    """A position beyond the end offset: the partition was recreated shorter (in-memory broker restart)."""
    return position > end


class ModelFeed:
    """Follows `topic` in a daemon thread; `model` is the newest verified model (None until one came).
    `instance`: this app instance's name, the audience of the canary pins it serves ("": none)."""

    def __init__(self, bootstrap_servers: str, topic: str, keys: TrustedKeys | None = None,
                 fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS, stale_seconds: float = STALE_SECONDS,
                 instance: str = "") -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.instance = instance
        self.keys = keys or trusted_keys()  # read once, here: a bad key setting fails at start
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.stale_seconds = stale_seconds
        self.model = None
        self.model_rank: tuple | None = None  # what a message must outrank to replace the model
        self.model_pin: Pin | None = None  # the rollback pin the model is served by, if any
        self.model_offset: int | None = None
        self.canary: CanaryWatch | None = None  # the last canary this instance served, ended or not
        self.broker = "connecting"
        self.rejected = 0
        self.rejected_by_reason: Counter[str] = Counter()
        self.swaps = 0
        self.topic_resets = 0
        self.last_error: str | None = None
        self._partition = model_partition(topic)
        self._assembler = Assembler(self.stale_seconds)
        self._pending: Candidate | None = None
        self._catch_up_end = 0
        self._resume_at: int | None = None
        self._stop = threading.Event()
        self._has_model = threading.Event()
        self._swap_lock = threading.Lock()  # a canary's way back never undoes a later swap
        self._thread = threading.Thread(target=self._run, name="model-feed", daemon=True)

    def start(self) -> ModelFeed:
        self._thread.start()
        return self

    def wait_for_model(self, timeout: float) -> bool:
        return self._has_model.wait(timeout)

    def answered(self, model, values: list[float]) -> None:
        """An answer this instance gave from `model`: a live canary's counts it, and its first flagged
        one sends the instance back to the model it served before (if it served one)."""
        watch = self.canary
        if watch is None or not watch.judge(model, values) or watch.before is None:
            return
        with self._swap_lock:
            if self.model is not watch.model:
                return
            before = watch.before
            self.model, self.model_pin, self.model_offset = before.model, before.pin, before.offset
        # model_rank stays the canary's: a replay of its pin is ignored, the pin that ends it outranks it
        log.warning("canary %s ended by its answer (%s); serving %s again", watch.model.version, watch.first_flag,
                    before.model.version)

    def status(self) -> dict:
        model = self.model
        canary = self.canary
        return {
            "model_version": model.version if model else None,
            "model_digest": model.digest if model else None,
            "model_created": model.metadata.get("created") if model else None,
            "model_offset": self.model_offset,
            "pin": asdict(self.model_pin) if self.model_pin else None,
            "instance": self.instance,
            "canary": canary.state() if canary else None,
            "broker": self.broker,
            "bootstrap_servers": self.bootstrap_servers,
            "topic": self.topic,
            "swaps": self.swaps,
            "rejected": self.rejected,
            "rejected_by_reason": dict(self.rejected_by_reason),
            "assembling_bytes": self._assembler.held_bytes,
            "trusted_key_ids": sorted(self.keys.keys),
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
        self._assembler = Assembler(self.stale_seconds)
        self._pending = None
        self._set_broker("available")
        return consumer

    def _follow(self, consumer: KafkaConsumer) -> None:
        next_check = time.monotonic() + HEALTH_CHECK_SECONDS
        while not self._stop.is_set():
            for records in consumer.poll(timeout_ms=POLL_MS).values():
                for record in records:
                    self._receive(record)
            for dropped in self._assembler.expire():
                self._reject(None, dropped.reason, str(dropped))
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
        self._assembler = Assembler(self.stale_seconds)
        self._pending = None
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
                self._reject(record.offset, event.reason, str(event))
            else:
                self._consider(event)
        if not self._assembler.collecting:
            self._resume_at = record.offset + 1  # a reconnect never starts in the middle of a bundle

    def _consider(self, artifact: Artifact) -> None:
        """Verify a bundle that claims to outrank what is served and pending; keep the best.

        Lower claims are skipped unopened. Nothing is unpickled here, whatever the bundle holds.
        """
        claimed = claimed_rank(artifact.headers)
        audience = artifact.headers.get("audience", "")
        if audience not in ("", self.instance):
            return  # another instance's canary
        if not self._is_newer(claimed) or (self._pending is not None and claimed <= self._pending.rank):
            return
        try:
            files = unpack(artifact.bundle)
            metadata = verified_metadata(files, self.keys)
            pin = verified_pin(files, metadata, self.keys)
        except IntegrityError as exc:
            self._reject(artifact.offset, rejection_reason(exc), f"{type(exc).__name__}: {exc}")
            return
        problems = compatibility_problems(metadata)
        if problems:
            self._reject(artifact.offset, "incompatible", f"built with other libraries: {'; '.join(problems)}")
        elif (pin.rank if pin else metadata_rank(metadata)) != claimed:
            self._reject(artifact.offset, "header-mismatch", f"headers claim {artifact.headers['version']} "
                                                             f"(rank {claimed}) but the signed metadata and pin "
                                                             f"say {metadata['version']}")
        elif (pin.audience if pin else "") != audience:
            self._reject(artifact.offset, "header-mismatch", f"headers address {audience or 'every instance'} "
                                                             "but the signed pin addresses "
                                                             f"{pin.audience if pin else 'every instance'}")
        else:
            self._pending = Candidate(files, claimed, artifact.offset, pin)

    def _apply_pending(self) -> None:
        """Load the best verified candidate (the newest signed version or pin), if it beats what is served."""
        candidate, self._pending = self._pending, None
        if candidate is None or not self._is_newer(candidate.rank):
            return
        try:
            model = load_files(candidate.files, self.keys)
        except Exception as exc:  # signed, yet unloadable: keep serving the current model
            self._reject(candidate.offset, rejection_reason(exc), f"{type(exc).__name__}: {exc}")
            return
        self._swap(model, candidate)

    def _is_newer(self, claimed: tuple) -> bool:
        return self.model_rank is None or claimed > self.model_rank

    def _swap(self, model, candidate: Candidate) -> None:
        with self._swap_lock:
            previous = self.model
            before = Served(previous, self.model_pin, self.model_offset) if previous is not None else None
            self.model = model  # the single assignment every request sees atomically
            self.model_rank, self.model_pin, self.model_offset = candidate.rank, candidate.pin, candidate.offset
            if self.canary is not None:
                self.canary.end(f"replaced by {model.version} at offset {candidate.offset}")
            if candidate.pin is not None and candidate.pin.audience:
                self.canary = CanaryWatch(model, candidate.pin, before)
        self.swaps += 1
        self._has_model.set()
        how = f"signed rollback pin replacing {candidate.pin.replaces}" if candidate.pin else "newest version"
        log.info("now serving %s %s (%s, offset %d; was %s)", model.name, model.version, how, candidate.offset,
                 previous.version if previous else "nothing")

    def _reject(self, offset: int | None, reason: str, message: str) -> None:
        self.rejected += 1
        self.rejected_by_reason[reason] += 1
        where = f"at offset {offset}" if offset is not None else "(unfinished bundle)"
        self.last_error = f"rejected message {where}: {message}"
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
