"""Submitting a batch: validate every row, store the valid ones, report the others by row number.

Only the model's columns are kept (a Kaggle CSV has 81); the stored payload is those cells exactly
as read, so a re-run with a later model sees the original request, not our cleaned copy of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shared_model import input_fields, validate_batch
from shared_model.errors import row_lines

from .store import Store


@dataclass
class IntakeReport:
    stored_ids: list[int] = field(default_factory=list)
    invalid: dict[int, list[dict]] = field(default_factory=dict)  # data row (first = 1) -> field errors
    ignored_columns: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable report: one line per invalid row, then the totals."""
        out = row_lines(self.invalid, first=0)  # already numbered from 1, as the file's data rows
        if self.ignored_columns:
            out.append(f"ignored {len(self.ignored_columns)} columns the model does not use: "
                       + ", ".join(self.ignored_columns))
        first = f" (ids {self.stored_ids[0]}..{self.stored_ids[-1]})" if self.stored_ids else ""
        out.append(f"stored {len(self.stored_ids)} requests{first}; rejected {len(self.invalid)} invalid rows")
        return out


def submit_records(store: Store, rows: Sequence[dict], source: str) -> IntakeReport:
    """Validate `rows`; store the valid ones (model columns only) as one run; report the rest."""
    names = {spec.name for spec in input_fields()}
    projected = [{k: v for k, v in row.items() if k in names} if isinstance(row, Mapping) else row for row in rows]
    checked = validate_batch(projected)  # a row that is not an object is reported, not projected
    seen = {k for row in rows if isinstance(row, Mapping) for k in row if k is not None}
    report = IntakeReport(
        invalid={index + 1: errors for index, errors in checked.invalid.items()},
        ignored_columns=sorted(seen - names),
    )
    report.stored_ids = store.submit([projected[index] for index, _ in checked.valid], source=source)
    return report
