"""A release's model run in V8 embedded in Python (`mini-racer`, a dev dependency): the same
files the browser loads, without a browser, for the parity test and the bench."""

from __future__ import annotations

import json
from pathlib import Path

from ..bundle import MODEL_SCRIPT

PRICES = """(function (houses) {
  var release = globalThis.ARCHLAB_RELEASE, model = globalThis.archlabModel;
  return JSON.stringify(houses.map(function (raw) {
    var cleaned = model.cleanRecord(release.fields, raw);
    if (cleaned.errors.length) return {errors: cleaned.errors};
    return {price: model.predictPrice(release.model, cleaned.record)};
  }));
})"""
BATCHES = """(function (houses, batches) {
  var release = globalThis.ARCHLAB_RELEASE, model = globalThis.archlabModel, seconds = [];
  for (var b = 0; b < batches; b++) {
    var started = Date.now();
    for (var r = 0; r < 5; r++) {
      for (var i = 0; i < houses.length; i++) {
        model.predictPrice(release.model, model.cleanRecord(release.fields, houses[i]).record);
      }
    }
    seconds.push((Date.now() - started) / 1000 / (5 * houses.length));
  }
  return JSON.stringify(seconds);
})"""


class ReleaseEngine:
    """A fresh V8 context holding one release's model script and evaluator."""

    def __init__(self, release_folder: Path) -> None:
        from py_mini_racer import MiniRacer

        self.context = MiniRacer()
        for name in (MODEL_SCRIPT, "predict.js"):
            self.context.eval((Path(release_folder) / name).read_text())
        self.model_version = self.context.eval("globalThis.ARCHLAB_RELEASE.model_version")

    def eval(self, script: str):
        return self.context.eval(script)

    def answers(self, houses: list[dict]) -> list[dict]:
        """Per house, {"price": ...} or {"errors": [...]} as the app computes it (numbers cross as
        JSON text: shortest round-trip form, so no digit is lost on the way back)."""
        return json.loads(self.context.eval(f"{PRICES}({json.dumps(houses)})"))

    def seconds_per_prediction(self, houses: list[dict], batches: int) -> list[float]:
        """`batches` samples, each the mean time to clean and price one house over 5 passes through
        `houses` (V8's clock counts milliseconds: one prediction alone would read 0)."""
        return json.loads(self.context.eval(f"{BATCHES}({json.dumps(houses)}, {batches})"))
