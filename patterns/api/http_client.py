"""The front's HTTP client of the model service: reused connections, timeouts, safe retries.

Retry policy. A prediction is a pure function of its input, so sending it twice cannot double any
effect. Failures at the connection level (`requests.ConnectionError`: refused, reset, a kept-alive
socket the service closed) are therefore retried, at most `attempts` times in all, with a short
backoff; each attempt reads the current `url`, so a retry after a switch goes to the new service.
A read timeout is not retried: the service is alive but slow, and asking again would only double
the user's wait. An HTTP error answer is not retried either: the service has spoken.
"""

from __future__ import annotations

import time

import requests
from requests.adapters import HTTPAdapter

from patterns.web.backend import BackendUnavailable, Prediction

from .answers import read_answer


class HttpModelClient:
    """Calls `POST {url}/v1/predict`; `url` may be switched at any time (zero-downtime replacement)."""

    def __init__(
        self,
        url: str,
        connect_timeout: float = 1.0,
        read_timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.05,
        pool_size: int = 16,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._session = requests.Session()
        # Retries are ours (above); the adapter only pools connections for reuse.
        self._session.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0))

    def predict(self, records: list[dict]) -> Prediction:
        response, url = self._post("/v1/predict", records)
        try:
            body = response.json()
        except ValueError:
            body = None
        return read_answer(response.status_code, body, url)

    def ready(self) -> dict:
        """What GET /ready says, or why it could not be asked (for the front's /status)."""
        url = self.url
        try:
            response = self._session.get(f"{url}/ready", timeout=(self.timeout[0], min(self.timeout[1], 1.0)))
            return {"url": url, "answers": True, **response.json()}
        except (requests.RequestException, ValueError) as exc:
            return {"url": url, "answers": False, "ready": False, "reason": _describe(exc)}

    def close(self) -> None:
        self._session.close()

    def _post(self, path: str, payload) -> tuple[requests.Response, str]:
        attempt = 0
        while True:
            attempt += 1
            url = self.url
            try:
                return self._session.post(url + path, json=payload, timeout=self.timeout), url
            except requests.ConnectionError as exc:
                if attempt >= self.attempts:
                    raise BackendUnavailable(
                        f"the model service at {url} is not reachable ({_describe(exc)}); tried {attempt} times"
                    ) from None
                time.sleep(self.backoff * attempt)
            except requests.Timeout:
                raise BackendUnavailable(
                    f"the model service at {url} did not answer within {self.timeout[1]:g} s"
                ) from None
            except requests.RequestException as exc:
                raise BackendUnavailable(f"calling the model service at {url} failed: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    """The reason in a few words (e.g. 'connection refused') instead of urllib3's nested repr."""
    text = str(exc)
    for known in ("Connection refused", "Connection reset", "Remote end closed connection", "timed out"):
        if known.lower() in text.lower():
            return known.lower()
    return text or type(exc).__name__
