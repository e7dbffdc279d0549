"""Ed25519 keys for model artifacts: training signs with a private key, apps verify with public keys.

With a shared secret (HMAC) every app that verifies could also sign, so one compromised app could
forge models for all. Here only the trainer holds the private key; apps hold public keys only.

- `ARCHLAB_SIGNING_KEY`: the private key file (PEM, PKCS#8) that `archlab train` signs with.
- `ARCHLAB_VERIFY_KEYS`: the public key files (PEM) apps trust, separated by the path separator
  (`:`), or folders whose `*.pub` files are all trusted: list two during a key rollover. Unset, the
  public half of `ARCHLAB_SIGNING_KEY` is trusted.
- Neither set: a DEVELOPMENT key pair, generated on first use in `$ARCHLAB_HOME/keys/development/`
  (never shipped), and said so in a log line, the front's `/status` and the form's footer. It is
  refused where anyone else could reach the model topic or a listener (`require_configured_keys`).

A key id (first 16 hex digits of the SHA-256 of the raw public key) names the key in every
signature, so a verifier picks the right public key and an untrusted signer is named in the error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .config import archlab_home
from .errors import IntegrityError, ModelError

log = logging.getLogger(__name__)

# Read as literal names below, so the settings scan of tests/test_docker.py finds them.
SIGNING_KEY_ENV = "ARCHLAB_SIGNING_KEY"
VERIFY_KEYS_ENV = "ARCHLAB_VERIFY_KEYS"
PRIVATE_KEY_FILE = "signing.key"
PUBLIC_KEY_FILE = "signing.pub"
KEY_ID_HEX_DIGITS = 16


class KeyConfigurationError(ModelError):
    """A key setting that cannot be used, or the development key where it is not allowed."""


def _ed25519():
    """Imported on use, so validation-only callers of shared_model need no cryptography."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def _serialization():
    from cryptography.hazmat.primitives import serialization

    return serialization


def key_id(public_key) -> str:
    serialization = _serialization()
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_HEX_DIGITS]


@dataclass(frozen=True)
class SigningKey:
    """The private key artifacts are signed with (training and publishing only)."""

    private_key: object
    key_id: str
    development: bool

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    def public_key(self):
        return self.private_key.public_key()


@dataclass(frozen=True)
class TrustedKeys:
    """The public keys a verifier accepts, by key id (more than one during a rollover)."""

    keys: Mapping[str, object]
    development: bool = False

    @classmethod
    def of(cls, *public_keys, development: bool = False) -> TrustedKeys:
        return cls({key_id(key): key for key in public_keys}, development)

    def verify(self, signer: str, signature: bytes, data: bytes) -> None:
        """Raise IntegrityError unless `signature` over `data` is by the trusted key `signer`."""
        from cryptography.exceptions import InvalidSignature

        public_key = self.keys.get(signer)
        if public_key is None:
            raise IntegrityError(
                f"artifact is signed with key {signer}, which is not trusted here (trusted: "
                f"{', '.join(sorted(self.keys)) or 'none'}; see {VERIFY_KEYS_ENV})"
            )
        try:
            public_key.verify(signature, data)
        except InvalidSignature:
            raise IntegrityError(
                f"artifact signature does not match key {signer}: metadata.json was tampered with"
            ) from None


# -- where keys come from --------------------------------------------------------------------


def development_key_folder(home: Path | None = None) -> Path:
    return (home or archlab_home()) / "keys" / "development"


def signing_key(environ: Mapping[str, str] | None = None) -> SigningKey:
    """$ARCHLAB_SIGNING_KEY, else the development key (generated on first use, logged as such)."""
    environ = os.environ if environ is None else environ
    configured = environ.get("ARCHLAB_SIGNING_KEY")
    if configured:
        private_key = load_private_key(Path(configured))
        return SigningKey(private_key, key_id(private_key.public_key()), _is_development(private_key.public_key()))
    if environ.get("ARCHLAB_VERIFY_KEYS"):
        raise KeyConfigurationError(
            f"{VERIFY_KEYS_ENV} is set but {SIGNING_KEY_ENV} is not: signing needs the private key "
            f"(`archlab keys generate DIR` writes one)"
        )
    private_key = _development_private_key()
    return SigningKey(private_key, key_id(private_key.public_key()), development=True)


def trusted_keys(environ: Mapping[str, str] | None = None) -> TrustedKeys:
    """$ARCHLAB_VERIFY_KEYS, else the public half of $ARCHLAB_SIGNING_KEY, else the development key."""
    environ = os.environ if environ is None else environ
    listed = environ.get("ARCHLAB_VERIFY_KEYS")
    if listed:
        public_keys = [load_public_key(path) for path in _public_key_files(listed)]
    else:
        public_keys = [signing_key(environ).public_key()]
    trusted = TrustedKeys.of(*public_keys)
    return TrustedKeys(trusted.keys, development=any(_is_development(key) for key in public_keys))


def keys_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Keys set explicitly, and none of them the development key. Generates nothing."""
    environ = os.environ if environ is None else environ
    if not (environ.get("ARCHLAB_SIGNING_KEY") or environ.get("ARCHLAB_VERIFY_KEYS")):
        return False
    return not trusted_keys(environ).development


def require_configured_keys(why: str, environ: Mapping[str, str] | None = None) -> None:
    """Refuse the development key (or none) where others could reach the model path."""
    if not keys_configured(environ):
        raise KeyConfigurationError(
            f"refusing to start: {why} needs signing keys of your own, not the development key. "
            f"Create a pair with `archlab keys generate DIR`, then set {SIGNING_KEY_ENV}=DIR/{PRIVATE_KEY_FILE} "
            f"where models are trained and {VERIFY_KEYS_ENV}=DIR/{PUBLIC_KEY_FILE} where they are loaded"
        )


def signing_mode(environ: Mapping[str, str] | None = None) -> dict:
    """For /status and the footer: which keys verify models here. Generates nothing."""
    environ = os.environ if environ is None else environ
    if not (environ.get("ARCHLAB_SIGNING_KEY") or environ.get("ARCHLAB_VERIFY_KEYS")):
        return {"keys": "development", "trusted_key_ids": _development_key_ids()}
    try:
        trusted = trusted_keys(environ)
    except ModelError as exc:
        return {"keys": "misconfigured", "problem": str(exc)}
    return {"keys": "development" if trusted.development else "configured", "trusted_key_ids": sorted(trusted.keys)}


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_keys_for_listener(host: str, environ: Mapping[str, str] | None = None) -> None:
    """A listener others can reach serves what the keys admit: refuse the development key there."""
    if not is_loopback(host):
        require_configured_keys(f"listening on {host} (not loopback)", environ)


# -- files ------------------------------------------------------------------------------------


def generate_key_pair(folder: Path) -> SigningKey:
    """Write a new pair into `folder` (private key readable by the owner only). Never overwrites."""
    ed25519, serialization = _ed25519(), _serialization()
    folder = Path(folder)
    private_path, public_path = folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE
    existing = [str(p) for p in (private_path, public_path) if p.exists()]
    if existing:
        raise KeyConfigurationError(f"{' and '.join(existing)} already exist(s): refusing to overwrite a key")
    folder.mkdir(parents=True, exist_ok=True)
    private_key = ed25519.Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _create_exclusively(private_path, private_pem, mode=0o600)
    _create_exclusively(public_path, public_pem, mode=0o644)
    return SigningKey(private_key, key_id(private_key.public_key()), development=False)


def load_private_key(path: Path):
    serialization = _serialization()
    data = _read_key_file(path, SIGNING_KEY_ENV)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyConfigurationError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, _ed25519().Ed25519PrivateKey):
        raise KeyConfigurationError(f"{path} holds a {type(key).__name__}; expected an Ed25519 private key")
    return key


def load_public_key(path: Path):
    serialization = _serialization()
    data = _read_key_file(path, VERIFY_KEYS_ENV)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyConfigurationError(f"{path} is not a PEM public key: {exc}") from None
    if not isinstance(key, _ed25519().Ed25519PublicKey):
        raise KeyConfigurationError(f"{path} holds a {type(key).__name__}; expected an Ed25519 public key")
    return key


def _read_key_file(path: Path, setting: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise KeyConfigurationError(
            f"{setting}: cannot read key file {path} ({exc.strerror}); `archlab keys generate DIR` creates one"
        ) from None


def _public_key_files(listed: str) -> list[Path]:
    """Files and folders (every `*.pub` inside) from a path-separator list."""
    files: list[Path] = []
    for entry in filter(None, listed.split(os.pathsep)):
        path = Path(entry).expanduser()
        if path.is_dir():
            found = sorted(path.glob("*.pub"))
            if not found:
                raise KeyConfigurationError(f"{VERIFY_KEYS_ENV}: folder {path} holds no *.pub public key")
            files += found
        else:
            files.append(path)
    if not files:
        raise KeyConfigurationError(f"{VERIFY_KEYS_ENV} lists no key file")
    return files


def _create_exclusively(path: Path, data: bytes, mode: int) -> None:
    """Write a complete file under `path` only if none exists (a temp file hard-linked into place)."""
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temp, mode)
        os.link(temp, path)  # atomic, and fails if `path` exists: a concurrent writer's key wins
    finally:
        os.unlink(temp)


# -- the development key ----------------------------------------------------------------------


def _development_private_key():
    """The development private key of this ARCHLAB_HOME, generated on first use."""
    folder = development_key_folder()
    path = folder / PRIVATE_KEY_FILE
    if not path.is_file():
        try:
            generated = generate_key_pair(folder)
        except (KeyConfigurationError, FileExistsError):
            pass  # another process generated it at the same moment: use theirs
        else:
            log.warning("generated a DEVELOPMENT signing key %s in %s: fine on this machine, "
                        "refused with an external broker or a non-loopback listener", generated.key_id, folder)
    key = load_private_key(path)
    if path not in _announced:
        _announced.add(path)
        log.warning("model artifacts are signed and verified with the DEVELOPMENT key %s (%s): "
                    "set %s / %s for anything others can reach", key_id(key.public_key()), path,
                    SIGNING_KEY_ENV, VERIFY_KEYS_ENV)
    return key


_announced: set[Path] = set()  # development key files already announced in this process


def _development_key_ids() -> list[str]:
    path = development_key_folder() / PUBLIC_KEY_FILE
    try:
        return [key_id(load_public_key(path))]
    except KeyConfigurationError:
        return []


def _is_development(public_key) -> bool:
    return key_id(public_key) in _development_key_ids()
