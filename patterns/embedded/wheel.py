"""Write a model version as a wheel: the signed bundle plus a tiny loader module.

The wheel is written directly (a zip with METADATA, WHEEL and RECORD, per the wheel spec) rather
than through setuptools: there is no source tree to build, only two files to package.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path

from shared_model import ModelStore

DISTRIBUTION = "archlab_house_price_model"
PACKAGE = "archlab_model"
BUNDLE_FILE = "model.bundle"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say

LOADER = '''"""House-price model {version}, packaged as a dependency: one signed bundle and this loader."""

from importlib.resources import files

MODEL_VERSION = {version!r}


def bundle() -> bytes:
    return files(__name__).joinpath({bundle_file!r}).read_bytes()


def load(key=None):
    """The verified model (shared_model checks digest and signature before unpickling)."""
    from shared_model import load_bundle

    return load_bundle(bundle(), key)
'''


def distribution_version(model_version: str) -> str:
    """PEP 440 version of the wheel for a store version: 'v2' -> '2'."""
    match = re.fullmatch(r"v(\d+)", model_version)
    if not match:
        raise ValueError(f"model version must look like 'v<number>'; got {model_version!r}")
    return match.group(1)


def build_model_wheel(version: str, out_dir: Path, store: ModelStore | None = None) -> Path:
    """Build the wheel for `version` of the store into `out_dir` and return its path."""
    store = store or ModelStore()
    dist_version = distribution_version(version)
    dist_info = f"{DISTRIBUTION}-{dist_version}.dist-info"
    files = {
        f"{PACKAGE}/__init__.py": LOADER.format(version=version, bundle_file=BUNDLE_FILE).encode(),
        f"{PACKAGE}/{BUNDLE_FILE}": store.bundle(version),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: {dist_version}\n"
            f"Summary: archlab house-price model {version} (signed bundle)\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: archlab\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ).encode(),
    }
    record_lines = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record_lines, f"{dist_info}/RECORD,,"]) + "\n").encode()

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{DISTRIBUTION}-{dist_version}-py3-none-any.whl"
    partial = path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():  # a fixed date: the same version builds the same bytes
            archive.writestr(zipfile.ZipInfo(name, date_time=FIXED_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    partial.replace(path)
    return path


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
