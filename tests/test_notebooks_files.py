"""The committed notebooks: named in one scheme, executed, runnable in this environment, and
sanitised for nbval narrowly enough that the values carrying a lesson are still compared."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from archlab.notebook_freshness import HOW_TO_REFRESH, recorded_digest, source_digest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
REPO = NOTEBOOKS.parent
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
SANITIZERS = get_sanitize_patterns((NOTEBOOKS / "nbval_sanitize.cfg").read_text())
MAX_IGNORED_CELLS = 3


def sanitize(text: str) -> str:
    for regex, replacement in SANITIZERS:
        text = re.sub(regex, replacement, text)
    return text


def code_cells(path: Path) -> list:
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def output_text(cell) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_notebooks_follow_one_numbering_scheme():
    assert PATHS, f"no notebooks in {NOTEBOOKS}"
    names = [path.name for path in PATHS]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", name) for name in names), names
    numbers = [name[:2] for name in names]
    assert len(set(numbers)) == len(numbers), f"two notebooks share a number: {names}"
    assert names[0] == "00_start_here.ipynb"


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_notebook_is_committed_executed_and_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3", "nbval and `make lab` need the python3 kernelspec"
    cells = code_cells(path)
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), "execute the notebook top to bottom and save it"
    errors = [output for cell in cells for output in cell.outputs if output.output_type == "error"]
    assert not errors, f"committed with an error: {errors[0].get('evalue')}"
    assert "nb.fresh_home(" in cells[0].source, "the first code cell must set a throw-away ARCHLAB_HOME"
    ignored = [cell for cell in cells if "NBVAL_IGNORE_OUTPUT" in cell.source]
    assert len(ignored) <= MAX_IGNORED_CELLS, "keep the cells whose output nbval ignores few"


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_notebook_that_starts_systems_stops_them_at_the_end(path):
    cells = code_cells(path)
    if any("nb.start(" in cell.source for cell in cells):
        assert "nb.stop_all()" in cells[-1].source


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_outputs_show_no_machine_specific_path_after_sanitizing(path):
    for cell in code_cells(path):
        text = sanitize(output_text(cell))
        assert "archlab-nb-" not in text and "/work/" not in text, text


@pytest.mark.parametrize(
    ("varying", "expected"),
    [
        ("home is /tmp/archlab-nb-start-here-k2_9xq0a/models", "home is <ARCHLAB_HOME>/models"),
        ("front at http://127.0.0.1:43817/predict", "front at http://127.0.0.1:<PORT>/predict"),
        ("created 2026-11-25T02:25:44+00:00 ok", "created <DATETIME> ok"),
        ("p50 12.73 ms, update took 1.5 s", "p50 <DURATION>, update took <DURATION>"),
        ("<ManagedProcess web pid=4242 port=5000 running>", "<ManagedProcess web pid=<PID> port=5000 running>"),
        ("<object at 0x7f3a2b1c9d80>", "<object at 0x<ADDRESS>>"),
        ("scikit-learn 0.24.2 at build time, 1.9.1 here", "scikit-learn 0.24.2 at build time, <INSTALLED> here"),
        ("ticket 0b8c2a4e-1f7d-4c3b-9a55-6d2f1e8b7c90", "ticket <UUID>"),
        ("some requests failed: 7 of the 412 sent; v2", "some requests failed: <N> of the <M> sent; v2"),
        ("the faulty model reached users: yes, 526 answers before the rollback",
         "the faulty model reached users: yes, <N> answers before the rollback"),
        ("1 x model-service: 24.8 requests/s (0 failed); 0.54 cores busy", "1 x model-service: <RATE> requests/s (0 failed); <RATE> cores busy"),
        ("the second model-service bought x0.98; load average 11.39", "the second model-service bought x<N>; load average <N>"),
        ("broker: tansu (39.4 MiB binary), 24.6 MiB resident", "broker: tansu (39.4 MiB binary), <MiB> resident"),
    ],
)
def test_sanitizers_hide_what_legitimately_varies(varying, expected):
    assert sanitize(varying) == expected


@pytest.mark.parametrize(
    "lesson",
    [
        "served by v2 after the update",
        "1459 predictions stored",
        "HTTP 503: model service unavailable",
        "refused: model.pkl does not match its signed SHA-256 digest",
        "payload ran: False",
        "v1: $172,557 (fast path)",
        "incompatible: scikit-learn 0.24.2 at build time",
        "3 of 200 requests failed",
        "the faulty model reached users: no: the review gate rejected every v3 answer",
    ],
)
def test_sanitizers_leave_the_lessons_checked(lesson):
    assert sanitize(lesson) == lesson


# What the code prints or sends when it shows a credential: a reviewer's password (HTTP basic auth,
# ARCHLAB_REVIEWERS=name:password), the admin token (`archlab serve` prints "admin token ...: TOKEN";
# ARCHLAB_ADMIN_TOKEN; `Authorization: Bearer TOKEN`). Secrets are `secrets.token_urlsafe` strings.
SECRET = r"[A-Za-z0-9_-]{12,}"
CREDENTIALS = re.compile("|".join([
    rf"\bpassword\b(?: is)?[\s:=]+['\"]?{SECRET}",
    rf"\btoken\b[^\n]{{0,80}}?:\s*['\"]?{SECRET}",
    rf"\bBearer\s+{SECRET}",
    rf"ARCHLAB_(?:REVIEWERS|ADMIN_TOKEN)['\"]?\s*[=:,]\s*['\"]?[\w.-]*:?{SECRET}",
    rf"\b[a-z]\w*:{SECRET}(?=['\"\s,]|$)",  # a name:password pair as ARCHLAB_REVIEWERS holds them
]), flags=re.IGNORECASE)


def stored_text(notebook) -> str:
    """Everything a committed notebook shows a reader: every output (text, HTML, JSON, widget
    views) and the widget state saved with it."""
    outputs = [json.dumps(output) for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    return "\n".join([*outputs, json.dumps(notebook.metadata.get("widgets", {}))])


@pytest.mark.parametrize(
    "printed",
    [
        "http://127.0.0.1:39355/dashboard: sign in as student with the password -X-zYv0cwXPjH_XR",
        "admin token for this run (basic auth as 'admin', or Bearer): 3q2p8X0fJ4kR7yW1vN6mT9cB5hL2gD8sA0eZ4uQ7iO1",
        "{'Authorization': 'Bearer 3q2p8X0fJ4kR7yW1vN6mT9cB5hL2gD8sA0eZ4uQ7iO1'}",
        "ARCHLAB_REVIEWERS=student:-X-zYv0cwXPjH_XR",
        "'ARCHLAB_ADMIN_TOKEN': '3q2p8X0fJ4kR7yW1vN6mT9cB5hL2gD8sA0eZ4uQ7iO1'",
        "'student:-X-zYv0cwXPjH_XR'",
    ],
)
def test_the_credential_detector_knows_what_the_code_prints(printed):
    assert CREDENTIALS.search(printed)


@pytest.mark.parametrize(
    "harmless",
    [
        "http://127.0.0.1:<PORT>/dashboard - sign in as student (password: os.environ['ARCHLAB_REVIEWERS'])",
        "sign in: HTTP basic auth as a reviewer (ARCHLAB_REVIEWERS), or the admin token (ARCHLAB_ADMIN_TOKEN)",
        "refused: model.pkl does not match its signed SHA-256 digest",
    ],
)
def test_the_credential_detector_lets_the_lessons_through(harmless):
    assert not CREDENTIALS.search(harmless)


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_no_stored_output_holds_a_credential(path):
    """A committed notebook is read by anyone: a password or token in it is a leaked credential,
    even one made for a single run (the habit is what matters)."""
    found = CREDENTIALS.search(stored_text(nbformat.read(path, as_version=4)))
    assert not found, f"{path.name} stores a credential in its outputs: {found.group(0)!r}; print where to find it instead"


GLOSSARY = REPO / "docs" / "GLOSSARY.md"
GLOSSARY_LINK = re.compile(r"\]\(\.\./docs/GLOSSARY\.md(?:#([^)]*))?\)")


def glossary_entries() -> set[str]:
    """The anchors of the glossary's entries as GitHub and JupyterLab both make them (lower case,
    spaces to hyphens: the headings hold no other punctuation, so the two agree)."""
    headings = re.findall(r"^## (.+)$", GLOSSARY.read_text(), flags=re.MULTILINE)
    assert all(re.fullmatch(r"[a-z0-9 -]+", heading) for heading in headings), headings
    return {heading.replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_glossary_links_point_at_entries_that_exist(path):
    notebook = nbformat.read(path, as_version=4)
    anchors = [anchor for cell in notebook.cells if cell.cell_type == "markdown"
               for anchor in GLOSSARY_LINK.findall(cell.source) if anchor]
    missing = sorted(set(anchors) - glossary_entries())
    assert not missing, f"{path.name} links glossary entries that do not exist: {missing}"


@pytest.mark.parametrize("name", ["00_start_here", "01_embedded", "02_model_api", "03_streaming", "04_async"])
def test_the_course_notebooks_link_the_glossary(name):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert any(GLOSSARY_LINK.search(cell.source) for cell in notebook.cells if cell.cell_type == "markdown")


def test_the_guide_lists_exactly_the_notebooks_there_are():
    guide = (REPO / "docs" / "NOTEBOOKS.md").read_text()
    listed = re.findall(r"^\| `(\d\d_[a-z0-9_]+)` \|", guide, flags=re.MULTILINE)
    assert sorted(listed) == [path.stem for path in PATHS]


@pytest.mark.parametrize(
    ("name", "lesson"),
    [
        ("01_embedded", "embedded/wheels/archlab_house_price_model-2-py3-none-any.whl"),  # rebuilt, observed
        ("01_embedded", "restarted: ['web']"),
        ("01_embedded", "app stopped  -> no answer at all"),
        ("02_model_api", "versions served during the update: v1, v2; no request failed"),
        ("02_model_api", "model service stopped -> 503:"),
        ("02_model_api", "model worker stopped -> 503:"),
        ("02_model_api", "ARCHLAB_ARCH=api      -> architecture api, scikit-learn loaded in the front: False"),
        ("02_model_api", "after:  the front answers with v2 - the report prices with ['v2']"),
        ("03_streaming", "rejected: 1"),
        ("03_streaming", "published v1; every instance has read it; instances now serve ['v2', 'v2']"),
        ("03_streaming", "served before and after: ['v1', 'v1'] -> ['v2', 'v2']"),
        ("03_streaming", "broker stopped -> instance 1: 200: predictions as usual, model v2; "
                         "instance 2: 200: predictions as usual, model v2"),
        ("04_async", "1459 houses stored, 0 rows refused"),
        ("04_async", "before the worker runs: {'requests_pending': 1459"),
        ("04_async", "after it ran:           {'requests_predicted': 1465, 'review_pending': 1459, 'review_validated': 6}"),
        ("04_async", "served before and after: ['v1'] -> ['v2']"),
        ("04_async", "1465 requests predicted = 6 earlier + 1459 of the batch"),
        ("04_async", "re-run: 1485 requests = the 1465 stored before this cell + 20 the measurement submitted to poll"),
        ("01_embedded", "built from it: embedded/wheels/archlab_house_price_model-1-py3-none-any.whl"),
        ("06_model_persistence", "loaded here, the same predictions: True"),
        ("06_model_persistence", "a pickle of protocol 6 here: ValueError: unsupported pickle protocol: 6"),
        ("04_async", "worker stopped   -> 202:"),
        ("04_async", "database stopped -> 503:"),
        ("05_compare", "failed requests: none"),
        ("05_compare", "measured: ['embedded', 'api', 'api-amqp', 'api-grpc', 'streaming', 'async', 'client']"),
        ("07_client", "largest relative difference from Python below 1e-9: True"),
        ("07_client", "page opened before, prompt -> prices with v1"),
        ("07_client", "new visitor while v3 was out, prompt     -> prices with v3"),
        ("07_client", "server stopped -> an open page still prices a house: True"),
        ("05_compare", "the naive update (without its best practice): cost"),  # its failures printed beside "some"
        ("05_compare", "a second app on the same model (update, drill and faults: "),  # the footing, stated
        ("02_model_api", "both model-service instances did the work: True"),
        ("03_streaming", "before the update: every instance serves v1: nothing to undo"),
        ("03_streaming", "pinned builds: True"),
        ("03_streaming", "consumer groups: 0"),
    ],
)
def test_committed_outputs_carry_the_lesson(name, lesson):
    """nbval only checks that a rerun matches what is committed: this checks what is committed."""
    outputs = "".join(output_text(cell) for cell in code_cells(NOTEBOOKS / f"{name}.ipynb"))
    assert lesson in outputs


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_a_stored_prediction_check_keeps_the_answer_hidden(path):
    """Executed unattended, nobody picked an answer: the committed check says so, and must not print
    the measured answer a student is asked to predict."""
    from archlab.notebook.exercises import Prediction

    for cell in code_cells(path):
        if ".check(" in cell.source:
            text = output_text(cell)
            assert Prediction.HIDDEN in text and "measured: " not in text, f"{path.name} gives an answer away:\n{text}"


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_services_a_notebook_requires_are_known_to_the_notebook_conftest(path):
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("notebooks_conftest", NOTEBOOKS / "conftest.py")
    conftest = module_from_spec(spec)
    spec.loader.exec_module(conftest)
    required = nbformat.read(path, as_version=4).metadata.get("archlab", {}).get("requires", [])
    assert set(required) <= set(conftest.SERVICES)


CHART_CALLS = re.compile(r"\b(traffic_chart|latency_histogram|update_timeline|side_by_side|Image|screenshot)\(")


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_every_chart_cell_shows_an_image_not_the_text_of_a_figure(path):
    """A chart nbval passes can still be text (`<Figure size 800x300 with 1 Axes>`): nbval compares
    text only, so this checks the committed outputs carry the picture."""
    for cell in code_cells(path):
        text = output_text(cell)
        if CHART_CALLS.search(cell.source) or "<Figure size" in text:
            kinds = {kind for output in cell.outputs for kind in output.get("data", {})}
            assert "image/png" in kinds, f"{path.name}: a chart cell has no image:\n{cell.source}"


def test_a_figure_made_without_pyplot_displays_as_png():
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.figure import Figure

    from archlab.notebook.figures import show_figures_as_png

    shell = InteractiveShell.instance()
    try:
        assert show_figures_as_png()
        figure = Figure()
        figure.subplots().plot([1, 2, 3])
        data, _ = shell.display_formatter.format(figure)
        assert data["image/png"].startswith(b"\x89PNG")
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_committed_outputs_are_not_older_than_the_code_they_show(path):
    """nbval compares text only: a chart drawn by older code would pass it. The notebook records the
    digest of the code it ran against (archlab.notebook_freshness.SOURCES) when executed the project's
    way; a change to that code since makes its committed outputs stale."""
    recorded = recorded_digest(nbformat.read(path, as_version=4))
    made_by = "code that has changed since" if recorded else "code it never recorded"
    assert recorded == source_digest(), (
        f"{path.name}: its committed outputs were made by {made_by}; re-execute it with "
        f"`{HOW_TO_REFRESH} {path.stem}` (all of them: `make notebooks`), check it with "
        f"`pytest notebooks/{path.name}`, and commit it")


def test_the_code_digest_changes_with_a_file_the_notebooks_show(tmp_path):
    from archlab.notebook_freshness import SOURCES

    for folder in SOURCES:
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "patterns" / "web.py").write_text("TITLE = 'house price'\n")
    before = source_digest(tmp_path)
    (tmp_path / "patterns" / "__pycache__").mkdir()
    (tmp_path / "patterns" / "__pycache__" / "web.cpython-311.pyc").write_bytes(b"compiled")
    (tmp_path / "README.md").write_text("not shown by any notebook")
    assert source_digest(tmp_path) == before
    (tmp_path / "patterns" / "web.py").write_text("TITLE = 'house prices'\n")
    assert source_digest(tmp_path) != before
