"""The one Flask front shared by the four architectures: form, JSON API, errors, backend routes.

`create_app(backend)` follows flaskr's factory; without a backend it builds the one that
ARCHLAB_ARCH names (`patterns.<arch>.backend.create_backend(settings)`).
"""

from __future__ import annotations

from flask import Flask

from shared_model.keys import signing_mode

from patterns.settings import Settings

from . import auth, errors, json_api, pages
from .backend import Backend, load_backend

# Bodies above this are refused with 413. 4 MiB holds all 1,459 new houses as one JSON list (~1.6 MB).
MAX_CONTENT_LENGTH = 4 * 1024 * 1024


def create_app(backend: Backend | None = None, test_config: dict | None = None,
               settings: Settings | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH)
    if test_config:
        app.config.update(test_config)
    settings = settings or Settings.from_env()
    backend = backend if backend is not None else load_backend(settings)
    auth.init_app(app, settings)
    app.extensions["archlab.backend"] = backend
    signing = signing_mode()  # the footer says so when models are verified with the development key
    app.context_processor(lambda: {"architecture": backend.architecture, "signing": signing})
    app.register_blueprint(pages.bp)
    app.register_blueprint(json_api.bp)
    extra = backend.blueprint()
    if extra is not None:
        app.register_blueprint(extra)
    errors.register(app)
    return app
