"""Who may change state: the admin (ARCHLAB_ADMIN_TOKEN) and reviewers (ARCHLAB_REVIEWERS).

A credential is `Authorization: Bearer <admin token>` or HTTP basic auth: a reviewer's name and
password, or `admin` and the admin token (so a browser can sign in too). The acting name comes
from the credential, never from the request body. Browsers send basic-auth credentials with any
request to the site, whoever's page caused it, so three more checks keep other sites out:
a foreign `Origin` is refused, the JSON routes take only `application/json` (a cross-site form
can post `text/plain` without asking, never JSON), and the dashboard's forms carry a CSRF token
(Flask-WTF). With no credential configured, every guarded route is refused.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from flask import Flask, Request, current_app, g, make_response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from patterns.settings import Settings

from .errors import error_response

ADMIN = "admin"
REVIEWER = "reviewer"
REALM = 'Basic realm="archlab", charset="UTF-8"'
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")



class CheckedWhereAsked(CSRFProtect):
    """Flask-WTF's CSRF protection, checked by the views that ask (`form_protected`), as
    WTF_CSRF_CHECK_DEFAULT=False says. Flask-WTF still hooks every request with a check that then
    returns at once: that hook is left out (one call less per request, every JSON call included),
    unless the app asks for the default check."""

    def init_app(self, app: Flask) -> None:
        hooks = app.before_request_funcs.setdefault(None, [])
        before = list(hooks)
        super().init_app(app)
        if not app.config["WTF_CSRF_CHECK_DEFAULT"]:
            hooks[:] = before


csrf = CheckedWhereAsked()


@dataclass(frozen=True)
class Actor:
    name: str
    role: str


@dataclass(frozen=True)
class Accounts:
    """The configured credentials: one admin token, and reviewers' names with their passwords."""

    admin_token: str | None = None
    reviewers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Accounts:
        return cls(settings.admin_token, parse_reviewers(settings.reviewers or ""))

    @property
    def configured(self) -> bool:
        return bool(self.admin_token or self.reviewers)

    def identify(self, authorization) -> Actor | None:
        """The actor a werkzeug `Authorization` header names, or None if it proves nothing."""
        if authorization is None:
            return None
        if authorization.type == "bearer":
            return Actor(ADMIN, ADMIN) if _same(authorization.token, self.admin_token) else None
        if authorization.type != "basic":
            return None
        name, password = authorization.username or "", authorization.password or ""
        if name == ADMIN and _same(password, self.admin_token):
            return Actor(ADMIN, ADMIN)
        if name in self.reviewers and _same(password, self.reviewers[name]):
            return Actor(name, REVIEWER)
        return None


def _same(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


def parse_reviewers(text: str) -> dict[str, str]:
    """`name:password,name2:password2` -> {name: password}; a malformed entry is a ValueError."""
    reviewers = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        name, _, password = entry.partition(":")
        if not name or not password or name == ADMIN:
            raise ValueError(f"ARCHLAB_REVIEWERS: expected name:password pairs separated by commas "
                             f"(the name '{ADMIN}' is reserved); got an entry {name or '(empty)'!r}")
        reviewers[name] = password
    return reviewers


class CookieOnlySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (the CSRF token's home), without their cost on a request that
    carries no session cookie, which gets the same empty session: every JSON call. Such a request
    builds no signing serializer and parses no cookies (werkzeug walks every header to find them),
    and an answer whose session nobody read or changed skips the cookie settings Flask looks up
    before finding nothing to save (README, "Benchmarks": what this saved, measured from outside)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not (request.environ.get("HTTP_COOKIE")
                                   and request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession, response) -> None:
        if session or session.modified or session.accessed:  # else Flask's own would set, delete and vary nothing
            super().save_session(app, session, response)


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["archlab.accounts"] = Accounts.from_settings(settings)
    if not app.config.get("SECRET_KEY"):  # signs the CSRF token; a restarted front asks forms to reload
        app.config["SECRET_KEY"] = secrets.token_bytes(32)
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only the views that ask are checked
    app.session_interface = CookieOnlySessions()
    csrf.init_app(app)


def _refusal(status: int, title: str, message: str):
    response = make_response(error_response(status, title, message))
    if status == 401:
        response.headers["WWW-Authenticate"] = REALM
    return response


def _foreign_origin() -> str | None:
    """The Origin (or Referer) of an unsafe request when it is not this site, else None."""
    if request.method not in UNSAFE_METHODS:
        return None
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin is None:
        return None
    return None if urlsplit(origin).netloc == request.host else origin


def signed_in(*roles: str):
    """The view runs only for an actor in `roles` (`g.actor`), asked from this site."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if origin := _foreign_origin():
                return _refusal(403, "Forbidden", f"a request from another site ({origin}) may not change anything here")
            accounts: Accounts = current_app.extensions["archlab.accounts"]
            if not accounts.configured:
                return _refusal(403, "Forbidden", "no credentials are configured for this front; "
                                                  "set ARCHLAB_ADMIN_TOKEN or ARCHLAB_REVIEWERS")
            actor = accounts.identify(request.authorization)
            if actor is None:
                return _refusal(401, "Unauthorized", "sign in: HTTP basic auth as a reviewer (ARCHLAB_REVIEWERS), "
                                                     "or the admin token (ARCHLAB_ADMIN_TOKEN) as a Bearer token")
            if actor.role not in roles:
                return _refusal(403, "Forbidden", f"{actor.name} may not do this (it needs: {', '.join(roles)})")
            g.actor = actor
            return view(*args, **kwargs)

        return wrapped

    return decorator


def json_only(view):
    """Refuse any body that is not declared JSON (415) before the view reads it."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not request.is_json:
            return _refusal(415, "Unsupported Media Type", "send the body as JSON with Content-Type: application/json")
        return view(*args, **kwargs)

    return wrapped


def form_protected(view):
    """Check the form's CSRF token (a missing or wrong one is 400) before the view runs."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        csrf.protect()
        return view(*args, **kwargs)

    return wrapped


def with_admin_token(settings: Settings) -> Settings:
    """`settings` with an admin token: the configured one, else a random one for this run only,
    which a launcher hands to the front it starts and uses for its own calls."""
    return settings if settings.admin_token else replace(settings, admin_token=secrets.token_urlsafe(32))


def admin_headers(settings: Settings) -> dict[str, str]:
    """The Authorization header that signs a launcher's own calls to its front as the admin."""
    return {"Authorization": f"Bearer {settings.admin_token}"}
