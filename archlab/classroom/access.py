"""Who may press the controls. On a loopback listener only this machine reaches the page, so the
controls are open; on any other listener the page is read-only for everyone and a control needs
the instructor's token (printed at start, or ARCHLAB_CLASSROOM_TOKEN). The server checks it, not
the page."""

from __future__ import annotations

import hmac
import os
import secrets

from shared_model.keys import is_loopback

TOKEN_ENV = "ARCHLAB_CLASSROOM_TOKEN"


class Access:
    def __init__(self, host: str, environ=os.environ) -> None:
        self.open = is_loopback(host)
        self.token = None if self.open else environ.get(TOKEN_ENV) or secrets.token_urlsafe(16)

    def allows(self, authorization: str | None) -> bool:
        if self.open:
            return True
        offered = (authorization or "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(offered.encode(), self.token.encode())
