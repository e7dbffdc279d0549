""""Predict before you run": a question a student answers before a measurement, checked against
what the measurement then observed (never against an answer typed into the notebook)."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets

# What a user can get from the front, as `user_sees` describes it (keyed by how that text starts).
OUTCOMES = {
    "200": "predictions as usual (200)",
    "202": "accepted, answered later (202)",
    "503": "an error that says why (503)",
    "no answer": "no answer at all",
}


def user_outcome(user_sees: str) -> str:
    """Which of OUTCOMES a `user_sees` description is (several instances: the first one's)."""
    first = user_sees.split("; ")[0].split(": ", 1)[-1] if user_sees.startswith("instance ") else user_sees
    for start, outcome in OUTCOMES.items():
        if first.startswith(start):
            return outcome
    raise ValueError(f"no known outcome in {user_sees!r}")


def restarted(report: dict) -> str:
    """The processes an update restarted (from its observed report), as one answer."""
    return ", ".join(report["restarted"]) or "nothing"


class Prediction:
    """One question: `widget()` lets the student pick an answer before the measurement runs;
    `check(measured)` afterwards says whether the pick matches what was measured.

    The measured answer is shown only once the student has picked one: a notebook executed
    unattended (and so its committed outputs) holds the question, never the answer."""

    HIDDEN = "measured; pick your answer above to see it and whether you were right"

    def __init__(self, question: str, choices: Sequence[str]) -> None:
        if len(set(choices)) != len(choices) or len(choices) < 2:
            raise ValueError(f"a question needs two or more distinct choices; got {list(choices)}")
        self.question, self.choices = question, tuple(choices)
        self.picked: str | None = None
        self.measured: str | None = None
        self._feedback = widgets.HTML()

    def widget(self) -> widgets.VBox:
        buttons = widgets.ToggleButtons(options=self.choices, value=None, style={"button_width": "auto"})
        buttons.observe(lambda change: self._pick(change["new"]), names="value")
        return widgets.VBox([widgets.HTML(f"<b>Predict before you run:</b> {self.question}"), buttons, self._feedback])

    def check(self, measured: str) -> str:
        if measured not in self.choices:
            raise ValueError(f"the measurement {measured!r} is none of the choices {list(self.choices)}")
        self.measured = measured
        self._feedback.value = self._verdict()
        return self._verdict()

    def _pick(self, picked: str | None) -> None:
        self.picked = picked
        if self.measured is not None:  # picked after the measurement: the widget answers at once
            self._feedback.value = self._verdict()

    def _verdict(self) -> str:
        if self.picked is None:
            return self.HIDDEN
        verdict = "right" if self.picked == self.measured else f"not quite: you predicted {self.picked}"
        return f"{verdict}; measured: {self.measured}"
