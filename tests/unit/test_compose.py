"""Checks of docker-compose.yml, the Dockerfile and the files beside them.

These tests build no image and start no container. `docker-compose config`
(or `docker compose config`) resolves the compose file without a Docker
engine, and BuildKit's parser reads the Dockerfile. Without Compose the
compose tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import dockerfile
import pytest
import yaml
from docker.utils.build import PatternMatcher, exclude_paths

from fate_lineage.conf import load_settings
from fate_lineage.conf.settings import default_conf_path

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "Dockerfile"

LOOPBACK = "127.0.0.1"
# Container ports that each service publishes on the host.
PUBLISHED_TARGETS = {"api": {9380}, "neo4j": {7474, 7687}, "redis": set()}
# Volume and mount point of each service's data.
DATA_VOLUMES = {"neo4j": ("neo4j-data", "/data"), "redis": ("redis-data", "/data")}


def compose_command() -> list[str]:
    """Return the Compose command, or skip (fail under CI=true) without one."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        plugin = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        )
        if plugin.returncode == 0:
            return ["docker", "compose"]
    reason = (
        "neither docker-compose nor the docker compose plugin is installed; "
        "run .ci/install-docker-compose as root to install Debian's docker-compose"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def run_compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    """Resolve docker-compose.yml with ``env_file``, ignoring the shell's values.

    Compose prefers the shell's variables to the env file's, so every variable
    that the compose file reads, and Compose's own COMPOSE_*, is left out.
    """
    read = set(re.findall(r"\$\{(\w+)", COMPOSE_FILE.read_text(encoding="utf-8")))
    environ = {
        name: value
        for name, value in os.environ.items()
        if name not in read and not name.startswith("COMPOSE_")
    }
    arguments = ["--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"]
    return subprocess.run(
        [*compose_command(), *arguments],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    result = run_compose_config(ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = yaml.safe_load(result.stdout)
    return document


@pytest.fixture(scope="module")
def services(resolved: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = resolved["services"]
    return found


def env_file_values(path: Path) -> dict[str, str]:
    """Read the NAME=value lines of an env file, skipping comments and blanks."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def published_ports(service: dict[str, Any]) -> list[tuple[str, str, int]]:
    """Return (host address, host port, container port) of each published port.

    Compose 1 prints ports as ``ADDRESS:PUBLISHED:TARGET/PROTOCOL`` and Compose
    2 as mappings, so both are read.
    """
    ports = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            address = entry.get("host_ip", "")
            ports.append((address, str(entry.get("published", "")), entry["target"]))
            continue
        parts = str(entry).split("/")[0].rsplit(":", 2)
        address = parts[0] if len(parts) == 3 else ""
        published = parts[-2] if len(parts) >= 2 else ""
        ports.append((address, published, int(parts[-1])))
    return ports


def mounts(service: dict[str, Any]) -> set[tuple[str, str]]:
    """Return the (source, target) pairs of a service's volumes, in either syntax."""
    found = set()
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            found.add((entry["source"], entry["target"]))
        else:
            source, target = str(entry).split(":")[:2]
            found.add((source, target))
    return found


def dockerfile_instructions(name: str) -> list[Any]:
    return [
        command
        for command in dockerfile.parse_file(str(DOCKERFILE))
        if command.cmd == name
    ]


def dockerfile_environment() -> dict[str, str]:
    environment: dict[str, str] = {}
    for command in dockerfile_instructions("ENV"):
        pairs = command.value
        environment.update(zip(pairs[0::2], pairs[1::2], strict=True))
    return environment


def container_environment(services: dict[str, Any]) -> dict[str, str]:
    """Return the API container's variables: the image's, then the compose file's."""
    environment = dockerfile_environment()
    environment.update(services["api"].get("environment", {}))
    return environment


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("127.0.0.1:9380:9380/tcp", ("127.0.0.1", "9380", 9380)),
        ("9380:9380", ("", "9380", 9380)),
        ("9380", ("", "", 9380)),
        (
            {"host_ip": "127.0.0.1", "published": "9380", "target": 9380},
            ("127.0.0.1", "9380", 9380),
        ),
        ({"target": 9380}, ("", "", 9380)),
    ],
    ids=[
        "compose1",
        "compose1-all-addresses",
        "compose1-random",
        "compose2",
        "compose2-random",
    ],
)
def test_published_ports_reads_both_syntaxes(
    entry: str | dict[str, Any], expected: tuple[str, str, int]
) -> None:
    assert published_ports({"ports": [entry]}) == [expected]


@pytest.mark.parametrize(
    "entry",
    [
        "neo4j-data:/data:rw",
        {"type": "volume", "source": "neo4j-data", "target": "/data"},
    ],
    ids=["compose1", "compose2"],
)
def test_mounts_reads_both_syntaxes(entry: str | dict[str, Any]) -> None:
    assert mounts({"volumes": [entry]}) == {("neo4j-data", "/data")}


def test_ports_published_on_loopback(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for address, published, target in published_ports(service):
            assert address == LOOPBACK, f"{name} publishes {target} on {address!r}"
            assert published, f"{name} publishes {target} on a random host port"


def test_published_container_ports(services: dict[str, Any]) -> None:
    assert set(services) == set(PUBLISHED_TARGETS)
    for name, expected in PUBLISHED_TARGETS.items():
        targets = {target for _, _, target in published_ports(services[name])}
        assert targets == expected, name


def test_every_service_has_healthcheck(services: dict[str, Any]) -> None:
    for name, service in services.items():
        healthcheck = service.get("healthcheck", {})
        assert not healthcheck.get("disable", False), name
        assert healthcheck.get("test"), f"{name} has no healthcheck test"
        assert healthcheck["test"] != ["NONE"], name


def test_api_healthcheck_probes_readyz(services: dict[str, Any]) -> None:
    probe = " ".join(services["api"]["healthcheck"]["test"])
    settings = load_settings(default_conf_path(), container_environment(services))

    assert f"http://127.0.0.1:{settings.service.http_port}/readyz" in probe
    # The slim Python image installs neither curl nor wget.
    assert services["api"]["healthcheck"]["test"][1] == "python"


def test_api_waits_for_healthy_backends(services: dict[str, Any]) -> None:
    depends_on = services["api"]["depends_on"]

    assert set(depends_on) == {"neo4j", "redis"}
    assert depends_on["neo4j"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_redis_appendonly_on(services: dict[str, Any]) -> None:
    command = services["redis"]["command"]

    assert command[0] == "redis-server"
    assert "--appendonly" in command
    assert command[command.index("--appendonly") + 1] == "yes"


def test_data_volumes_declared(resolved: dict[str, Any]) -> None:
    for name, (volume, target) in DATA_VOLUMES.items():
        assert volume in resolved["volumes"], f"volume {volume} is not declared"
        assert (volume, target) in mounts(resolved["services"][name]), name


def test_neo4j_auth_from_env_file(services: dict[str, Any]) -> None:
    password = env_file_values(ENV_EXAMPLE)["NEO4J_PASSWORD"]
    settings = load_settings(default_conf_path(), container_environment(services))

    assert services["neo4j"]["environment"]["NEO4J_AUTH"] == f"neo4j/{password}"
    assert settings.neo4j.user == "neo4j"
    assert settings.neo4j.password == password


def test_compose_file_contains_no_password() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)["services"]
    example_password = env_file_values(ENV_EXAMPLE)["NEO4J_PASSWORD"]
    local_password = load_settings(default_conf_path(), environ={}).neo4j.password

    assert example_password not in text
    assert local_password not in text
    auth = raw["neo4j"]["environment"]["NEO4J_AUTH"]
    assert auth.startswith("neo4j/${NEO4J_PASSWORD:?")
    api_password = raw["api"]["environment"]["FATE_LINEAGE__NEO4J__PASSWORD"]
    assert api_password.startswith("${NEO4J_PASSWORD:?")


def test_compose_rejects_missing_password(tmp_path: Path) -> None:
    env_file = tmp_path / "without-password.env"
    env_file.write_text("API_PORT=9380\n", encoding="utf-8")

    result = run_compose_config(env_file)

    assert result.returncode != 0, result.stdout
    assert "NEO4J_PASSWORD" in result.stderr


def test_api_settings_in_container(services: dict[str, Any]) -> None:
    settings = load_settings(default_conf_path(), container_environment(services))

    assert settings.service.host == "0.0.0.0"
    assert settings.neo4j.uri == "bolt://neo4j:7687"
    assert settings.redis.url == "redis://redis:6379/0"
    assert {settings.service.http_port} == PUBLISHED_TARGETS["api"]


def test_dockerfile_base_image() -> None:
    (base,) = dockerfile_instructions("FROM")

    assert base.value[0].startswith("python:3.11-slim")


def test_dockerfile_installs_package_not_editable() -> None:
    installs = [
        command.value[0]
        for command in dockerfile_instructions("RUN")
        if "pip install" in command.value[0]
    ]

    assert len(installs) == 1
    assert installs[0].startswith("pip install . ")
    assert "-e" not in installs[0].split()


def test_dockerfile_runs_as_non_root() -> None:
    user = dockerfile_instructions("USER")[-1].value[0]

    assert user.split(":")[0] not in ("root", "0")


def test_dockerfile_command_targets_exist() -> None:
    (command,) = dockerfile_instructions("CMD")
    arguments = list(command.value)
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

    assert command.json, "CMD must be a JSON array, so that signals reach gunicorn"
    assert arguments[0] == "gunicorn"
    assert any(d.startswith("gunicorn") for d in dependencies["dependencies"])
    config = arguments[arguments.index("--config") + 1]
    assert config == "python:fate_lineage.api.gunicorn_conf"
    assert importlib.util.find_spec(config.removeprefix("python:")) is not None
    module_name, _, factory = arguments[-1].partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, factory.removesuffix("()")))


def dockerignore_patterns() -> list[str]:
    """Read .dockerignore as Docker does: one pattern a line, ``#`` comments."""
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines]
    return [pattern for pattern in patterns if pattern and not pattern.startswith("#")]


def test_build_context_has_package() -> None:
    """Check that the build context contains every file ``pip install .`` reads."""
    context = exclude_paths(str(REPO), dockerignore_patterns())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())

    folders = project["tool"]["setuptools"]["package-dir"].values()
    for folder in folders:
        for path in (REPO / folder).rglob("*"):
            relative = path.relative_to(REPO).as_posix()
            if path.is_file() and "__pycache__" not in path.parts:
                assert relative in context, f"{relative} is not in the build context"
    assert "pyproject.toml" in context
    assert project["project"]["readme"] in context


@pytest.mark.parametrize(
    "path",
    [".env", ".venv/bin/python", ".state/redis/redis.conf", ".git/config"],
)
def test_build_context_leaves_out(path: str) -> None:
    matcher = PatternMatcher(dockerignore_patterns())

    # types-docker declares a PathLike argument, but matches() calls str
    # methods on it and fails on a Path.
    assert matcher.matches(path)  # type: ignore[arg-type]


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"

    result = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_env_file_ignored_by_git() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", ".env"],
        cwd=REPO,
        check=False,
    )
    example = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", ".env.example"],
        cwd=REPO,
        check=False,
    )

    assert ignored.returncode == 0, ".env is not in .gitignore"
    assert example.returncode == 1, ".env.example is ignored by git"
