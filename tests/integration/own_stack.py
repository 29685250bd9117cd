"""A second local stack of a test's own, run by stack/stack.sh.

Its Redis, Neo4j and API listen on free loopback ports and keep their files
in a state folder of their own, so a test may stop and start its backends
without touching the shared stack's processes or data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fate_lineage.conf import Settings, load_settings
from tests.integration.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "stack" / "stack.sh"
# The stack waits up to FATE_LINEAGE_NEO4J_START_TIMEOUT (120 s) for Neo4j.
COMMAND_TIMEOUT_SECONDS = 300
PID_FILES = {
    "redis": "redis/redis.pid",
    "neo4j": "neo4j/neo4j.pid",
    "api": "api/gunicorn.pid",
}


@dataclass
class OwnStack:
    """Where the stack's processes listen, and the commands that drive it."""

    state: Path
    environ: dict[str, str]

    @classmethod
    def on_free_ports(cls, state: Path) -> OwnStack:
        api_port = free_port()
        environ = {
            **os.environ,
            "FATE_LINEAGE_STATE": str(state),
            "FATE_LINEAGE_NEO4J_HTTP_PORT": str(free_port()),
            # A small heap is enough for a test's graph and leaves the
            # shared Neo4j its memory.
            "FATE_LINEAGE_NEO4J_HEAP": "512m",
            "FATE_LINEAGE__NEO4J__URI": f"bolt://127.0.0.1:{free_port()}",
            "FATE_LINEAGE__REDIS__URL": f"redis://127.0.0.1:{free_port()}/0",
            "FATE_LINEAGE__FATEFLOW__HTTP_PORT": str(api_port),
            # Requests during a Neo4j outage then fail after about 1 s of
            # retries instead of the default 3 s.
            "FATE_LINEAGE__NEO4J__MAX_TRANSACTION_RETRY_TIME": "1",
        }
        return cls(state, environ)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.environ['FATE_LINEAGE__FATEFLOW__HTTP_PORT']}"

    def settings(self) -> Settings:
        return load_settings(environ=self.environ)

    def start(self) -> None:
        """Start whatever of Redis, Neo4j and the API is not running."""
        self._run("start")

    def stop(self, *services: str) -> None:
        """Stop the named services, or all, by the PIDs in their PID files."""
        self._run("stop", *services)

    def pid(self, service: str) -> int:
        return int((self.state / PID_FILES[service]).read_text(encoding="utf-8"))

    def remove(self) -> None:
        """Stop everything and delete the state folder.

        Neo4j preallocates about 0.5 GB of transaction logs there.
        """
        try:
            self.stop()
        finally:
            shutil.rmtree(self.state, ignore_errors=True)

    def _run(self, *arguments: str) -> None:
        done = subprocess.run(
            ["bash", str(STACK), *arguments],
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"stack.sh {' '.join(arguments)} failed with exit code "
                f"{done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
