"""Write a report folder `$ARCHLAB_HOME/reports/<timestamp>/` and point `reports/latest` at it."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from shared_model.config import archlab_home

from .charts import CHARTS
from .page import render_page
from .schema import Results

MAX_SAME_SECOND = 100


def write_report(results: Results, reports_dir: Path | None = None) -> Path:
    """Write results.json, the charts and index.html into a new folder; return that folder.

    `reports_dir` defaults to `$ARCHLAB_HOME/reports`. The page and charts are rendered from the
    dict written to results.json, so what they show is what the JSON holds.
    """
    reports_dir = Path(reports_dir) if reports_dir is not None else archlab_home() / "reports"
    folder = _new_folder(reports_dir)
    data = results.to_dict()
    (folder / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    shown = Results.from_dict(data)
    for name, draw in CHARTS.items():
        draw(shown, folder / name)
    from ..plan.section import html_section  # here, not at the top: archlab.plan's tables import archlab.report

    plan = html_section(data, folder)
    (folder / "index.html").write_text(render_page(data, [a.name for a in shown.ordered()], plan))
    _point_latest(reports_dir, folder)
    return folder


def load_results(folder: Path) -> Results:
    """The results of a report folder, e.g. to render it again."""
    return Results.from_dict(json.loads((Path(folder) / "results.json").read_text()))


def _new_folder(reports_dir: Path) -> Path:
    """A fresh folder named by UTC time; runs within one second get a -2, -3... suffix."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1, MAX_SAME_SECOND + 1):
        folder = reports_dir / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"{MAX_SAME_SECOND} reports already exist for {stamp} in {reports_dir}")


def _point_latest(reports_dir: Path, folder: Path) -> None:
    """Swap the `latest` symlink atomically (relative, so the reports folder can be moved)."""
    temporary = reports_dir / f".latest-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(folder.name, target_is_directory=True)
    os.replace(temporary, reports_dir / "latest")
