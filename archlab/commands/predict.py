"""`archlab predict`: records from a CSV or JSON file (or stdin) to predicted prices.

Columns the model does not use (an Id, the other Ames columns) are ignored. Invalid rows are
reported on stderr with their row numbers and field errors; valid rows are still predicted, each
with the fields it left empty, which the model imputed (`imputed`, space-separated in CSV), and
the exit code is 2 when any row was invalid.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from shared_model import ModelStore, imputed_fields, validate_batch
from shared_model.errors import row_lines
from shared_model.data import read_csv_records

from ..errors import UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser("predict", help="predict prices for a CSV or JSON file of houses")
    parser.add_argument("file", nargs="?", default="-", help="CSV or JSON file; '-' or nothing reads stdin")
    parser.add_argument("--version", help="model version (default: newest stored)")
    parser.add_argument("--format", choices=("csv", "json"), help="input format (default: from the file name or content)")
    parser.set_defaults(func=run)


def read_records(source: str, fmt: str | None) -> tuple[list[dict], str]:
    if source == "-":
        text = sys.stdin.read()
    else:
        path = Path(source)
        if not path.is_file():
            raise UsageError(f"no such file: {source}")
        text = path.read_text(encoding="utf-8-sig")
        fmt = fmt or {".json": "json", ".csv": "csv"}.get(path.suffix.lower())
    if not text.strip():
        raise UsageError(f"{'stdin' if source == '-' else source} is empty: expected CSV rows or JSON houses")
    fmt = fmt or ("json" if text.lstrip()[0] in "[{" else "csv")
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{source} is not valid JSON: {exc}") from None
        records = [data] if isinstance(data, dict) else data
        if not isinstance(records, list):
            raise UsageError("JSON input must be one house object or a list of them")
        return records, fmt
    records = read_csv_records(text)
    if not records:
        raise UsageError(f"{source} has no data rows (expected a header line and one house per line)")
    return records, fmt


def run(args) -> int:
    records, fmt = read_records(args.file, args.format)
    batch = validate_batch(records, allow_extra=True)
    model = ModelStore().load(args.version)
    prices = model.predict([clean for _, clean in batch.valid]) if batch.valid else []
    rows = [
        {"row": index + 1, "id": records[index].get("Id"), "price": round(price, 2), "model_version": model.version,
         "imputed": imputed_fields(clean)}
        for (index, clean), price in zip(batch.valid, prices)
    ]
    if fmt == "json":
        print(json.dumps(rows, indent=1))
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=["row", "id", "price", "model_version", "imputed"])
        writer.writeheader()
        writer.writerows({**row, "imputed": " ".join(row["imputed"])} for row in rows)
    for line in row_lines(batch.invalid):
        print(line, file=sys.stderr)
    if batch.invalid:
        print(f"{len(batch.invalid)} of {len(records)} rows invalid; {len(rows)} predicted", file=sys.stderr)
        return 2
    return 0
