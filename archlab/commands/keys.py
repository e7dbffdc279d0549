"""`archlab keys generate DIR` / `archlab keys show`: signing keys of your own, and which are in use.

Models are signed with an Ed25519 private key (training only) and verified with public keys (the
apps). Without settings a development pair is generated in $ARCHLAB_HOME; an external broker or a
non-loopback listener needs a pair made here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shared_model.keys import (
    PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, SIGNING_KEY_ENV, VERIFY_KEYS_ENV, generate_key_pair, signing_mode,
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("keys", help="create a model signing key pair, or show the keys in use")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    generate = actions.add_parser("generate", help="write DIR/signing.key (private) and DIR/signing.pub (public)")
    generate.add_argument("folder", type=Path, metavar="DIR", help="where to write the pair (created if missing)")
    generate.set_defaults(func=run_generate)
    show = actions.add_parser("show", help="which keys verify models here (development or configured)")
    show.set_defaults(func=run_show)


def run_generate(args: argparse.Namespace) -> int:
    key = generate_key_pair(args.folder)  # refuses to overwrite: KeyConfigurationError, exit 2
    folder = args.folder.resolve()
    print(f"generated Ed25519 key pair {key.key_id} in {folder}")
    print("where models are trained and published (keep the private key there only):")
    print(f"  export {SIGNING_KEY_ENV}={folder / PRIVATE_KEY_FILE}")
    print("where models are loaded (apps, model service, workers; list more files with ':' during a rollover):")
    print(f"  export {VERIFY_KEYS_ENV}={folder / PUBLIC_KEY_FILE}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    mode = signing_mode()
    print(f"keys: {mode['keys']}")
    if "problem" in mode:
        print(f"problem: {mode['problem']}")
        return 2
    print(f"trusted key ids: {', '.join(mode['trusted_key_ids']) or 'none yet (generated on first use)'}")
    return 0
