"""`archlab results [REPORT] [--output FILE]`: a report's measured results as Markdown."""

from __future__ import annotations

import json
from pathlib import Path

from shared_model.config import archlab_home

from ..errors import UsageError
from ..plan.section import markdown_section
from ..report.markdown import render_markdown
from ..report.schema import Results


def register(subparsers) -> None:
    parser = subparsers.add_parser("results", help="write a report's measured results as Markdown (docs/RESULTS.md)")
    parser.add_argument("report", nargs="?", type=Path, default=None,
                        help="report folder (default: ARCHLAB_HOME/reports/latest)")
    parser.add_argument("--output", type=Path, default=None, help="write the page here (default: print it)")
    parser.set_defaults(func=run)


def run(args) -> int:
    folder = args.report or archlab_home() / "reports" / "latest"
    path = folder / "results.json"
    try:
        data = json.loads(path.read_text())
        names = [arch.name for arch in Results.from_dict(data).ordered()]
    except FileNotFoundError:
        raise UsageError(f"no results.json in {folder}: run `archlab compare` first, or name a report folder") from None
    except (ValueError, KeyError) as exc:
        raise UsageError(f"{path} is not a results file this archlab reads: {exc}") from None
    source = f"reports/{folder.resolve().name}/results.json"
    page = render_markdown(data, names, source) + "\n" + markdown_section(data, source)
    if args.output:
        args.output.write_text(page)
        print(args.output)
    else:
        print(page, end="")
    return 0
