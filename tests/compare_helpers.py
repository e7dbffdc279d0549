"""Running `archlab compare --quick` as a user does, in a home of its own, for the comparison tests."""

import json
import os
import subprocess
import sys
from pathlib import Path


def processes_using(home: Path) -> list[int]:
    """Pids whose environment names this ARCHLAB_HOME: anything the comparison left running."""
    marker = f"ARCHLAB_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


SETTINGS = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "MODEL_TRANSPORT", "AMQP_URL")


def run_compare(home: Path, models_home: Path, *args: str, **settings: str):
    """`archlab compare --quick ARGS` in a fresh ARCHLAB_HOME (its models those of `models_home`)
    with exactly `settings` set."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "models").symlink_to(models_home / "models")
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(ARCHLAB_HOME=str(home), **settings)
    result = subprocess.run([sys.executable, "-m", "archlab", "compare", "--quick", *args], env=env,
                            capture_output=True, text=True, timeout=1100)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = Path(result.stdout.strip().splitlines()[-1])
    return folder, json.loads((folder / "results.json").read_text()), result
