"""`archlab models`: the stored versions with their metrics, formats and integrity status."""

from __future__ import annotations

import json

from shared_model import ModelStore
from shared_model.formats import FORMATS, formats_in


def register(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list stored model versions, metrics and integrity")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(func=run)


FORMATS_WIDTH = len(",".join(FORMATS))


def print_table(store: ModelStore, versions: list[str]) -> None:
    print(f"{'version':8} {'cv rmse(log)':>12} {'holdout rmse($)':>15} {'holdout R2':>10}  {'created':25} "
          f"{'formats':{FORMATS_WIDTH}} status")
    lacking = {}
    for version in versions:
        status = store.status(version)
        try:
            meta = store.metadata(version)
        except ValueError:
            print(f"{version:8} {'?':>12} {'?':>15} {'?':>10}  {'?':25} {'?':{FORMATS_WIDTH}} {status}")
            continue
        metrics = meta.get("metrics", {})
        holdout = metrics.get("holdout", {})
        present = formats_in(meta)
        if len(present) < len(FORMATS):
            lacking[version] = [name for name in FORMATS if name not in present]
        print(
            f"{version:8} {metrics.get('cv_rmse_log', float('nan')):12.4f} "
            f"{holdout.get('rmse_price', float('nan')):15,.0f} {holdout.get('r2_price', float('nan')):10.3f}  "
            f"{meta.get('created', '?'):25} {','.join(present):{FORMATS_WIDTH}} {status}"
        )
    for version, missing in lacking.items():
        print(f"{version} has no {' or '.join(missing)} export (stored before archlab exported those formats): "
              f"run `archlab train {version}` to store it again with every format")


def run(args) -> int:
    store = ModelStore()
    versions = store.versions()
    if args.json:
        rows = []
        for version in versions:
            meta = store.metadata(version)
            rows.append({"version": version, "status": store.status(version), "created": meta.get("created"),
                         "formats": formats_in(meta),
                         "metrics": meta.get("metrics"), "libraries": meta.get("libraries"), "digest": meta.get("digest")})
        print(json.dumps(rows, indent=1))
        return 0
    if not versions:
        print(f"no models in {store.root}: run `archlab train`")
        return 0
    print_table(store, versions)
    return 0
