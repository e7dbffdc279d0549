"""The latest snapshot, handed to every viewer's stream: computed once per tick, sent as is to
each (a viewer never makes the server compute anything)."""

from __future__ import annotations

import threading


class Broadcaster:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._data = b"{}"
        self._seq = 0
        self.viewers = 0

    def publish(self, data: bytes) -> None:
        with self._changed:
            self._data, self._seq = data, self._seq + 1
            self._changed.notify_all()

    def latest(self) -> bytes:
        return self.current()[1]

    def current(self) -> tuple[int, bytes]:
        with self._changed:
            return self._seq, self._data

    def wait(self, after: int, timeout: float) -> tuple[int, bytes | None]:
        """The next snapshot after sequence number `after`; (after, None) if none came in `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: self._seq != after, timeout)
            return (self._seq, self._data) if self._seq != after else (after, None)

    def joined(self, delta: int) -> None:
        with self._changed:
            self.viewers += delta
