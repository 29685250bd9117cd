"""The same lineage in PostgreSQL, walked with a recursive CTE.

Starts a cluster of its own with Debian's ``initdb`` and ``pg_ctl`` in a
temporary folder, listening on a free loopback port, and stops it by the
PID in ``postmaster.pid``. As root, the server runs as the ``postgres``
user that Debian's package creates, because PostgreSQL refuses to run as
root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from bench.fate_graph import FateGraph, TableKey

SCHEMA = """
CREATE TABLE lineage_table (
    id integer PRIMARY KEY,
    namespace text NOT NULL,
    name text NOT NULL,
    UNIQUE (namespace, name)
);
CREATE TABLE derived_from (
    child_id integer NOT NULL REFERENCES lineage_table (id),
    parent_id integer NOT NULL REFERENCES lineage_table (id),
    job_id text NOT NULL,
    PRIMARY KEY (child_id, parent_id, job_id)
);
"""
# Ancestors up to a depth, each once at its nearest distance, first the
# nearest ones in (namespace, name) order up to the node budget. UNION drops
# repeated (table, hops) rows, so a diamond costs one row per distance.
LINEAGE = """
WITH RECURSIVE up (id, hops) AS (
    SELECT id, 0 FROM lineage_table WHERE namespace = %(namespace)s AND name = %(name)s
  UNION
    SELECT edge.parent_id, up.hops + 1
    FROM up JOIN derived_from AS edge ON edge.child_id = up.id
    WHERE up.hops < %(depth)s
)
SELECT lineage_table.namespace, lineage_table.name, min(up.hops) AS hops
FROM up JOIN lineage_table ON lineage_table.id = up.id
GROUP BY lineage_table.id
ORDER BY hops, lineage_table.namespace, lineage_table.name
LIMIT %(budget)s
"""


class PeerUnavailable(Exception):
    """PostgreSQL was not found or failed to start; the message gives the cause."""


class PostgresPeer:
    """A running cluster of our own, with one connection to it."""

    def __init__(self, folder: Path, bin_dir: Path, port: int) -> None:
        self.folder = folder
        self.bin_dir = bin_dir
        self.port = port
        self.connection: psycopg.Connection[Any] | None = None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @classmethod
    def start(cls) -> PostgresPeer:
        """Create and start a cluster; raise PeerUnavailable with the error."""
        bin_dir = _find_bin_dir()
        folder = Path(tempfile.mkdtemp(prefix="fate_lineage_bench_pg_"))
        peer = cls(folder, bin_dir, _free_port())
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        try:
            peer._run("initdb", "-D", str(peer.data_dir), "-U", "bench")
            options = (
                f"-c listen_addresses=127.0.0.1 -p {peer.port} -k {folder} "
                "-c fsync=off -c synchronous_commit=off"
            )
            peer._run(
                "pg_ctl", "-D", str(peer.data_dir), "-l", str(folder / "server.log"),
                "-o", options, "-w", "start",
            )  # fmt: skip
        except PeerUnavailable:
            peer.stop()
            raise
        peer.connection = psycopg.connect(
            host="127.0.0.1", port=peer.port, user="bench", dbname="postgres"
        )
        return peer

    def version(self) -> str:
        row = self._connected().execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"

    def load(self, graph: FateGraph) -> None:
        """Copy the graph's tables and DERIVED_FROM edges in, then analyze."""
        connection = self._connected()
        ids = {table: index for index, table in enumerate(graph.tables())}
        with connection.transaction():
            connection.execute("DROP TABLE IF EXISTS derived_from, lineage_table")
            connection.execute(SCHEMA)
            with connection.cursor() as cursor:
                with cursor.copy("COPY lineage_table FROM STDIN") as copy:
                    for table, index in ids.items():
                        copy.write_row((index, table[0], table[1]))
                with cursor.copy("COPY derived_from FROM STDIN") as copy:
                    for child, parent, job_id in set(graph.edges()):
                        copy.write_row((ids[child], ids[parent], job_id))
        connection.execute("ANALYZE")
        connection.commit()

    def lineage(self, table: TableKey, depth: int, budget: int) -> list[Any]:
        parameters = {
            "namespace": table[0],
            "name": table[1],
            "depth": depth,
            "budget": budget,
        }
        connection = self._connected()
        rows = connection.execute(LINEAGE, parameters).fetchall()
        connection.rollback()
        return rows

    def stop(self) -> None:
        """Close the connection, stop the server by its PID, remove the folder."""
        if self.connection is not None:
            self.connection.close()
        pid_file = self.data_dir / "postmaster.pid"
        pid = self._server_pid()
        if pid is not None:
            # SIGINT is PostgreSQL's fast shutdown.
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 60
            # The server removes its PID file as the last step of a shutdown.
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _server_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None
        return int(pid_file.read_text().splitlines()[0])

    def _connected(self) -> psycopg.Connection[Any]:
        if self.connection is None:
            raise PeerUnavailable("the PostgreSQL peer is not connected")
        return self.connection

    def _run(self, program: str, *arguments: str) -> str:
        command = [str(self.bin_dir / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        finished = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=120
        )
        if finished.returncode != 0:
            raise PeerUnavailable(
                f"{' '.join(command)} failed with exit code "
                f"{finished.returncode}: {finished.stderr.strip()[-2000:]}"
            )
        return finished.stdout


def _find_bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise PeerUnavailable(
            "initdb was not found in /usr/lib/postgresql/*/bin or on PATH; "
            "install Debian's package postgresql"
        )
    return Path(initdb).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
