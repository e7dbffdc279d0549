"""Architecture 4, asynchronous batch predictions: stored requests, a scoring job, review, dashboard.

`async` is a Python keyword, so this package is reached with
``importlib.import_module("patterns.async.<module>")`` or ``python -m patterns.async.worker``.

- `store`: the request/prediction database (SQLAlchemy Core; SQLite file or PostgreSQL).
- `job`: claims pending requests in chunks and predicts them vectorised.
- `gate`: the review gate, the rule that rejects an implausible prediction as the job stores it.
- `schedule`: when a worker runs its passes: every N seconds, or a cron expression (`0 2 * * *`).
- `worker`: the job as a process (`archlab score`), once or on a schedule, one or many.
- `intake`: reads a CSV batch, validates it row by row and stores the valid rows (`archlab submit`).
- `backend`, `views`, `chart`: the web front's async backend, status pages and dashboard.
- `system`: front + workers as one runnable system, with fault-injection hooks.
"""
