"""The client architecture (the model inside the app) measured in real browsers and in V8.

    python -m archlab.bench.client [--clients 6] [--loads 20] [--batches 30] [--poll 2] [--seconds 12] [--json]

- the bundle: bytes of each file of a release (model included), gzipped too, beside the ONNX
  file a bundle would carry instead (its runtime, onnxruntime-web, is sized in patterns/client/README.md);
- in V8 embedded in Python (mini-racer): a cold start (a fresh context loads the release and
  prices one house) and the time per prediction (batches of the 1,459 new houses);
- in headless chromium, when installed: a cold page load until the first price is on screen
  (a new browser context each time, nothing cached); the time per prediction in the page; the
  release v1 -> v2 with `--clients` pages already open (half reload on their own, `?reload=auto`,
  half only show the prompt, the default): when each one had v2, or showed the prompt; and the
  bad-model drill: v3 released, new visitors arrive while it is current, v2 released again
  (the rollback): how many pages still price with v3 afterwards, and how many answers they give.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shlex
import sys
import tempfile
import time
import uuid
from pathlib import Path

from shared_model import ModelStore
from shared_model.data import new_houses_records
from shared_model.formats.onnx import ONNX_FILE

from patterns.client.bundle import build_release
from patterns.client.lab.engine import ReleaseEngine
from patterns.launch.architectures import ARCHITECTURES, launch, system_class
from patterns.launch.protocols import PredictsInClient
from patterns.settings import Settings

from ..chromium import NO_CHROMIUM, chromium_path, headless_chromium
from ..compare.in_client import open_pages_record, pages_in
from ..compare.run import ensure_models
from ..measure.stats import summarize
from .model import machine_description

DRILL_HOUSE = {"Neighborhood": "NAmes", "OverallQual": 6, "GrLivArea": 1500}
PAGE_BATCH = """([houses, batches]) => {
  const client = window.archlabClient, perPrediction = [], single = [];
  for (let b = 0; b < batches; b++) {
    const started = performance.now();
    for (const house of houses) client.predict(house);
    perPrediction.push((performance.now() - started) / 1000 / houses.length);
  }
  for (const house of houses) {
    const started = performance.now();
    client.predict(house);
    single.push((performance.now() - started) / 1000);
  }
  return {perPrediction, single, isolated: self.crossOriginIsolated};
}"""


def bundle_figures(store: ModelStore, version: str) -> dict:
    """Each file of a release of `version` as a new visitor downloads it, plain and gzipped."""
    with tempfile.TemporaryDirectory() as folder:
        release = build_release(store, version, Path(folder), 5.0)
        files = {path.name: (path.stat().st_size, len(gzip.compress(path.read_bytes())))
                 for path in release.folder.iterdir()}
    onnx = store.files(version).get(ONNX_FILE)
    return {"files": {name: {"bytes": raw, "gzip_bytes": packed} for name, (raw, packed) in sorted(files.items())},
            "bytes": sum(raw for raw, _ in files.values()), "gzip_bytes": sum(packed for _, packed in files.values()),
            "onnx_model_bytes": None if onnx is None else len(onnx)}


def v8_figures(store: ModelStore, version: str, houses: list[dict], loads: int, batches: int) -> dict:
    """Cold start (a fresh V8 context loads the release, prices one house) and time per prediction."""
    with tempfile.TemporaryDirectory() as folder:
        release = build_release(store, version, Path(folder), 5.0)
        cold = []
        for _ in range(loads):
            started = time.perf_counter()
            ReleaseEngine(release.folder).answers(houses[:1])
            cold.append(time.perf_counter() - started)
        engine = ReleaseEngine(release.folder)
        per_prediction = engine.seconds_per_prediction(houses, batches)
    return {"cold_start_s": summarize(cold).to_dict(), "per_prediction_s": summarize(per_prediction).to_dict()}


def browser_figures(system, houses: list[dict], clients: int, loads: int, batches: int, seconds: float,
                    chromium: str) -> dict:
    with headless_chromium(chromium) as browser:
        first = []
        for _ in range(loads):
            with pages_in(system, browser) as pages:
                pages.visit()
                first.append(pages.first_price_ms()[0] / 1000)
        with pages_in(system, browser) as pages:
            timed = pages.visit().evaluate(PAGE_BATCH, [houses, batches])
        with pages_in(system, browser) as pages:
            pages.open(clients)
            first_price_ms = pages.first_price_ms()
            report = system.update_model("v2")
            time.sleep(seconds)
            update = {**open_pages_record(pages.outcomes(system.published_at, "v2"), seconds, system.poll_seconds,
                                          first_price_ms),
                      "publish_s": report.total_seconds, "new_visitor_gets": report.served_after[0]}
            drill = _drill(system, pages, seconds)
    return {"first_prediction_s": summarize(first).to_dict(),
            "per_prediction_s": summarize(timed["perPrediction"]).to_dict(),
            "single_prediction_s": summarize(timed["single"]).to_dict(),
            "cross_origin_isolated": timed["isolated"], "update": update, "drill": drill}


def _drill(system, pages, seconds: float) -> dict:
    """v3 (the faulty model) released; new visitors arrive while it is current; v2 released again.
    Afterwards: which pages still price with v3, and their answers (none can be recalled)."""
    system.update_model("v3")
    pages.visit("prompt", "new visitor while v3 was out, prompt")
    pages.visit("auto", "new visitor while v3 was out, auto")
    time.sleep(seconds / 2)
    system.rollback("v2")
    time.sleep(seconds)
    given = pages.answers_from("v3", DRILL_HOUSE, 100)
    return {"pages": len(pages.pages), "on_v3_after_rollback": [page["kind"] for page in given],
            "answers_from_v3_after_rollback": sum(page["answers"] for page in given), "per_page_answers": 100}


def run_client_bench(clients: int = 6, loads: int = 20, batches: int = 30, poll: float = 2.0,
                     seconds: float = 12.0, chromium: str | None = None) -> dict:
    settings = Settings.from_env()
    store = ModelStore(settings.home / "models")
    ensure_models(store)
    houses = new_houses_records()
    result = {"machine": machine_description(), "houses": len(houses),
              "bundle": bundle_figures(store, "v1"), "v8": v8_figures(store, "v1", houses, loads, batches)}
    if chromium is None:
        result["browser"] = NO_CHROMIUM
        return result
    in_client = next(arch for arch in ARCHITECTURES if issubclass(system_class(arch), PredictsInClient))
    with launch(in_client, settings=settings, version="v1", namespace=f"bench-{uuid.uuid4().hex[:8]}",
                poll_seconds=poll) as system:
        result["browser"] = browser_figures(system, houses, clients, loads, batches, seconds, chromium)
    return result


def _percentiles(stats: dict, scale: float, unit: str) -> str:
    shown = "  ".join(f"{key} {stats[key] * scale:.3f}" for key in ("p50", "p95", "p99", "max"))
    return f"{shown} {unit} (n={stats['n']})"


def _ms(stats: dict) -> str:
    return _percentiles(stats, 1e3, "ms")


def _us(stats: dict) -> str:
    return _percentiles(stats, 1e6, "µs")


def format_client_bench(result: dict, command: str) -> str:
    bundle = result["bundle"]
    lines = [f"client architecture on {result['machine']}",
             f"bundle (one release, model included): {bundle['bytes']:,} bytes, {bundle['gzip_bytes']:,} gzipped"]
    lines += [f"  {name:14} {f['bytes']:>8,} bytes  {f['gzip_bytes']:>7,} gzipped"
              for name, f in bundle["files"].items()]
    if bundle["onnx_model_bytes"] is not None:
        lines.append(f"  model.onnx instead of model.js: {bundle['onnx_model_bytes']:,} bytes, plus onnxruntime-web "
                     "(see patterns/client/README.md)")
    v8 = result["v8"]
    lines += ["V8 embedded in Python (mini-racer):",
              f"  cold start (fresh context, release loaded, one price): {_ms(v8['cold_start_s'])}",
              f"  per prediction ({result['houses']} houses x 5 per batch, clean + predict): "
              f"{_us(v8['per_prediction_s'])}"]
    browser = result["browser"]
    if isinstance(browser, str):
        lines.append(f"headless chromium: {browser}")
    else:
        lines += ["headless chromium:",
                  f"  cold page load until the first price is shown: {_ms(browser['first_prediction_s'])}",
                  f"  per prediction (batches of {result['houses']}, clean + predict): "
                  f"{_us(browser['per_prediction_s'])}",
                  f"  one prediction timed alone (crossOriginIsolated={browser['cross_origin_isolated']}): "
                  f"{_us(browser['single_prediction_s'])}"]
        update = browser["update"]
        lines.append(f"  release v1 -> v2 published in {update['publish_s'] * 1e3:.1f} ms; a new visitor gets "
                     f"{update['new_visitor_gets']}; {len(update['pages'])} pages open before it, manifest "
                     f"polled every {update['poll_seconds']:g} s, watched {update['watched_s']:g} s:")
        for client in update["pages"]:
            had = f"had v2 after {client['had_new_after_s']:.2f} s" if "had_new_after_s" in client else "never reloaded"
            prompt = f", prompt shown after {client['prompt_after_s']:.2f} s" if "prompt_after_s" in client else ""
            lines.append(f"    {client['policy']:6} now on {client['model_version']}: {had}{prompt}")
        lines.append("  share of open pages still on v1: " +
                     ", ".join(f"{share:.0%} at {t} s" for t, share in update["share_on_old"].items()))
        drill = browser["drill"]
        lines.append(f"  drill: v3 released, 2 new visitors, v2 released again: "
                     f"{len(drill['on_v3_after_rollback'])} of {drill['pages']} pages still price with v3 after the "
                     f"rollback ({'; '.join(drill['on_v3_after_rollback']) or 'none'}); they gave "
                     f"{drill['answers_from_v3_after_rollback']} answers from v3 "
                     f"({drill['per_page_answers']} asked of each)")
    lines.append(f"reproduce: {command}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archlab.bench.client", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=6, help="pages open before the release (default 6)")
    parser.add_argument("--loads", type=int, default=20, help="cold page loads and V8 cold starts (default 20)")
    parser.add_argument("--batches", type=int, default=30, help="timed batches of predictions (default 30)")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between the app's manifest checks (default 2)")
    parser.add_argument("--seconds", type=float, default=12.0, help="how long to watch the open pages (default 12)")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    args = parser.parse_args(argv)
    if min(args.clients, args.loads, args.batches) < 1 or args.poll <= 0 or args.seconds <= 0:
        print("python -m archlab.bench.client: --clients, --loads and --batches must be at least 1, "
              "--poll and --seconds above 0", file=sys.stderr)
        return 2
    result = run_client_bench(args.clients, args.loads, args.batches, args.poll, args.seconds, chromium_path())
    command = shlex.join(["python", "-m", "archlab.bench.client", *(argv if argv is not None else sys.argv[1:])])
    print(json.dumps(result, indent=1) if args.json else format_client_bench(result, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
