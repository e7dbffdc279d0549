"""Signed artifacts: what is written, how it is verified, and the single-blob bundle for transport.

An artifact is four files: `model.pkl` (the fitted pipeline, pickled as the course does),
`model.json` (the pickle-free linear form), `metadata.json` (name, version, created, library and
Python versions, training-data hash, metrics, SHA-256 of every file) and `signature` (HMAC-SHA256
of metadata.json). Verification checks the signature, then every digest, then library
compatibility — and only then unpickles. A bundle is the same four files in one zip.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import pickle
import platform
import zipfile
import zlib

from .compiled import CompiledLinearModel
from .errors import IncompatibleModelError, IntegrityError
from .model import Model

PICKLE_FILE = "model.pkl"
PORTABLE_FILE = "model.json"
METADATA_FILE = "metadata.json"
SIGNATURE_FILE = "signature"
PAYLOAD_FILES = (PICKLE_FILE, PORTABLE_FILE)
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed, so equal artifacts give byte-equal bundles


def library_versions() -> dict[str, str]:
    import numpy
    import pandas
    import sklearn

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
    }


def sign(metadata_bytes: bytes, key: bytes) -> str:
    return hmac.new(key, metadata_bytes, hashlib.sha256).hexdigest()


def build_files(estimator, compiled: CompiledLinearModel, metadata: dict, key: bytes) -> dict[str, bytes]:
    """Serialise a trained model into the four artifact files, digests and signature included."""
    from .formats import export_files  # training only: skl2onnx and mlflow

    libraries = library_versions()
    payload = {
        PICKLE_FILE: pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL),
        PORTABLE_FILE: json.dumps(compiled.to_json_dict(), indent=1, sort_keys=True).encode(),
        **export_files(estimator, tuple(metadata["features"]), libraries),
    }
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in payload.items()}
    full = {**metadata, "files": digests, "digest": digests[PICKLE_FILE], "libraries": libraries}
    metadata_bytes = json.dumps(full, indent=1, sort_keys=True).encode()
    return {**payload, METADATA_FILE: metadata_bytes, SIGNATURE_FILE: sign(metadata_bytes, key).encode()}


def verified_metadata(files: dict[str, bytes], key: bytes) -> dict:
    """Check signature and digests; return the metadata. Raises IntegrityError, unpickling nothing."""
    if METADATA_FILE not in files:
        raise IntegrityError("artifact has no metadata.json: not an archlab artifact, or truncated")
    if SIGNATURE_FILE not in files:
        raise IntegrityError("artifact is unsigned (no signature file): refusing to load it")
    expected = sign(files[METADATA_FILE], key)
    if not hmac.compare_digest(expected, files[SIGNATURE_FILE].decode("ascii", "replace").strip()):
        raise IntegrityError(
            "artifact signature does not match: it was tampered with or signed with another key "
            "(check ARCHLAB_SIGNING_KEY)"
        )
    metadata = json.loads(files[METADATA_FILE])
    for name, digest in metadata["files"].items():
        if name not in files:
            raise IntegrityError(f"artifact is missing {name}: truncated")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise IntegrityError(f"{name} does not match its signed SHA-256 digest: tampered or corrupted")
    return metadata


def compatibility_problems(metadata: dict) -> list[str]:
    """Library differences that make the pickle untrustworthy here (scikit-learn's own warning)."""
    here, built = library_versions(), metadata.get("libraries", {})
    problems = []
    for library, parts in (("scikit-learn", 2), ("numpy", 1)):
        if built.get(library, "").split(".")[:parts] != here[library].split(".")[:parts]:
            problems.append(f"{library} {built.get(library, '?')} at build time, {here[library]} here")
    return problems


def load_files(files: dict[str, bytes], key: bytes, *, portable: bool = False) -> Model:
    """Verify, then build the Model: from the pickle, or from model.json alone when `portable`."""
    metadata = verified_metadata(files, key)
    compiled = CompiledLinearModel.from_json_dict(json.loads(files[PORTABLE_FILE]))
    if portable:
        return Model(metadata=metadata, compiled=compiled)
    problems = compatibility_problems(metadata)
    if problems:
        raise IncompatibleModelError(
            f"model {metadata['version']} was built with other libraries ({'; '.join(problems)}); "
            "its pickle may load wrongly. Retrain it here, or load the pickle-free model.json."
        )
    estimator = pickle.loads(files[PICKLE_FILE])  # verified above: signed, digest-checked, compatible
    return Model(metadata=metadata, compiled=compiled, estimator=estimator)


def pack(files: dict[str, bytes]) -> bytes:
    """One zip holding the artifact files, for transport (Kafka, the embedded wheel)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), files[name])
    return buffer.getvalue()


def unpack(data: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError, zlib.error) as exc:
        raise IntegrityError(f"artifact bundle is unreadable (truncated or not an archlab bundle): {exc}") from None


def load_bundle(data: bytes, key: bytes | None = None, *, portable: bool = False) -> Model:
    """Verify and load a bundle; nothing is unpickled before its signature and digest check out."""
    from .config import signing_key

    return load_files(unpack(data), key or signing_key(), portable=portable)


def bundle_metadata(data: bytes) -> dict:
    """The metadata a bundle claims, UNVERIFIED: for logging and headers only."""
    files = unpack(data)
    if METADATA_FILE not in files:
        raise IntegrityError("artifact bundle has no metadata.json")
    return json.loads(files[METADATA_FILE])
