"""Signed artifacts: what is written, how it is verified, and the single-blob bundle for transport.

An artifact is four files: `model.pkl` (the fitted pipeline, pickled as the course does),
`model.json` (the pickle-free linear form), `metadata.json` (name, version, created, library and
Python versions, training-data hash, metrics, SHA-256 of every file) and `signature` (an Ed25519
signature of metadata.json with the signer's key id, see shared_model.keys). Verification checks
the signature, then every digest, then library compatibility — and only then unpickles. A bundle
is the same files in one zip, and is opened with bounded work: its directory is checked against
`MAX_BUNDLE_FILES` and `MAX_UNPACKED_BYTES` before anything is inflated, and the limits are
enforced again while reading.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib.metadata
import io
import json
import pickle
import platform
import re
import zipfile
import zlib

from .compiled import CompiledLinearModel
from .errors import IncompatibleModelError, IntegrityError
from .keys import SigningKey, TrustedKeys, trusted_keys
from .model import Model

PICKLE_FILE = "model.pkl"
PORTABLE_FILE = "model.json"
METADATA_FILE = "metadata.json"
SIGNATURE_FILE = "signature"
PAYLOAD_FILES = (PICKLE_FILE, PORTABLE_FILE)
SIGNATURE_ALGORITHM = "ed25519"
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed, so equal artifacts give byte-equal bundles

# A model is well under 1 MiB; the limits leave room for bigger ones and stop a zip bomb cold.
MAX_BUNDLE_FILES = 64
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
_READ_BYTES = 1024 * 1024
_HMAC_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


class BundleTooLarge(IntegrityError):
    """A bundle whose files would inflate beyond the limits: refused before (or while) inflating."""


def library_versions() -> dict[str, str]:
    """The installed versions, read from their package metadata: checking a stored model's
    compatibility (`ModelStore.status`) then costs no import of scikit-learn (a second of CPU and
    ~100 MiB in a process that never unpickles, e.g. the classroom)."""
    return {
        "python": platform.python_version(),
        **{name: importlib.metadata.version(name) for name in ("numpy", "pandas", "scikit-learn")},
    }


def sign(metadata_bytes: bytes, key: SigningKey) -> str:
    """The signature file's text: algorithm, key id, and the Ed25519 signature of metadata.json."""
    signature = base64.b64encode(key.sign(metadata_bytes)).decode("ascii")
    return json.dumps({"algorithm": SIGNATURE_ALGORITHM, "key_id": key.key_id, "signature": signature}, sort_keys=True)


def check_signature(metadata_bytes: bytes, signature_file: bytes, keys: TrustedKeys) -> None:
    """Raise IntegrityError unless the signature file is a trusted key's signature of metadata.json."""
    text = signature_file.decode("ascii", "replace").strip()
    if _HMAC_SIGNATURE.match(text):
        raise IntegrityError(
            "artifact is signed with the old shared-secret (HMAC) scheme, which is no longer trusted: "
            "run `archlab train` again to sign it with an Ed25519 key"
        )
    try:
        fields = json.loads(text)
        algorithm, signer = fields["algorithm"], fields["key_id"]
        signature = base64.b64decode(fields["signature"], validate=True)
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise IntegrityError("artifact signature file is unreadable: expected JSON with algorithm, key_id, signature") from None
    if algorithm != SIGNATURE_ALGORITHM:
        raise IntegrityError(f"artifact is signed with {algorithm!r}; only {SIGNATURE_ALGORITHM} is accepted")
    keys.verify(str(signer), signature, metadata_bytes)


def build_files(estimator, compiled: CompiledLinearModel, metadata: dict, key: SigningKey) -> dict[str, bytes]:
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


def verified_metadata(files: dict[str, bytes], keys: TrustedKeys) -> dict:
    """Check signature and digests; return the metadata. Raises IntegrityError, unpickling nothing."""
    if METADATA_FILE not in files:
        raise IntegrityError("artifact has no metadata.json: not an archlab artifact, or truncated")
    if SIGNATURE_FILE not in files:
        raise IntegrityError("artifact is unsigned (no signature file): refusing to load it")
    check_signature(files[METADATA_FILE], files[SIGNATURE_FILE], keys)
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


def load_files(files: dict[str, bytes], keys: TrustedKeys, *, portable: bool = False) -> Model:
    """Verify, then build the Model: from the pickle, or from model.json alone when `portable`."""
    metadata = verified_metadata(files, keys)
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
    """The bundle's files, inflating at most MAX_UNPACKED_BYTES in at most MAX_BUNDLE_FILES files."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_directory(members)
            budget = MAX_UNPACKED_BYTES
            files = {}
            for member in members:
                files[member.filename] = _read_member(archive, member, budget)
                budget -= len(files[member.filename])
            return files
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError, zlib.error) as exc:
        raise IntegrityError(f"artifact bundle is unreadable (truncated or not an archlab bundle): {exc}") from None


def _check_directory(members: list[zipfile.ZipInfo]) -> None:
    """Refuse from the zip directory alone: too many files, names that are no plain file, declared sizes."""
    if len(members) > MAX_BUNDLE_FILES:
        raise BundleTooLarge(f"artifact bundle holds {len(members)} files; at most {MAX_BUNDLE_FILES} are accepted")
    names = [member.filename for member in members]
    if len(set(names)) != len(names):
        raise IntegrityError("artifact bundle names a file twice")
    for name in names:
        if not name or name.startswith("/") or "\\" in name or ".." in name.split("/") or name.endswith("/"):
            raise IntegrityError(f"artifact bundle holds {name!r}, which is not a plain relative file name")
    declared = sum(member.file_size for member in members)
    if declared > MAX_UNPACKED_BYTES:
        raise BundleTooLarge(
            f"artifact bundle would inflate to {declared} bytes; at most {MAX_UNPACKED_BYTES} are accepted"
        )


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: int) -> bytes:
    """Inflate one file piece by piece, stopping as soon as it outgrows its declared size or the budget."""
    limit = min(member.file_size, budget)
    pieces, size = [], 0
    with archive.open(member) as stream:
        while piece := stream.read(_READ_BYTES):
            size += len(piece)
            if size > limit:
                raise BundleTooLarge(f"{member.filename} inflates beyond its declared {member.file_size} bytes "
                                     f"or the {MAX_UNPACKED_BYTES}-byte limit")
            pieces.append(piece)
    return b"".join(pieces)


def load_bundle(data: bytes, keys: TrustedKeys | None = None, *, portable: bool = False) -> Model:
    """Verify and load a bundle; nothing is unpickled before its signature and digest check out."""
    return load_files(unpack(data), keys or trusted_keys(), portable=portable)


def bundle_metadata(data: bytes) -> dict:
    """The metadata a bundle claims, UNVERIFIED: for logging and headers only."""
    files = unpack(data)
    if METADATA_FILE not in files:
        raise IntegrityError("artifact bundle has no metadata.json")
    return json.loads(files[METADATA_FILE])
