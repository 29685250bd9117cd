"""Pack, upload once per content version, and link archives to Spark jobs.

Two archive types exist: ``code`` (the folders of ``dependency.code_roots``)
and ``env`` (the Python environment of ``dependency.python_env``). Each
version is uploaded once per store. The uploader takes a Redis lock named
after the type and version and renews it while it works. Every other caller
of that version waits for the lock, up to ``dependency.upload_wait_seconds``,
and then finds the version stored.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis

from fate_lineage.distribution import spark
from fate_lineage.distribution.packing import (
    ArchiveSpec,
    Entry,
    PackingError,
    scan_code,
    scan_env,
)
from fate_lineage.distribution.packing import write_archive as write_tar
from fate_lineage.distribution.store import ArchiveStore, open_store
from fate_lineage.errors import ConfigError, Conflict
from fate_lineage.resources.manager import translate_errors
from fate_lineage.tracking.recording import job_not_found
from fate_lineage.tracking.timefmt import now_ms

if TYPE_CHECKING:
    from fate_lineage.conf import Settings
    from fate_lineage.graph.archives import ArchiveRepository
    from fate_lineage.graph.lineage import Properties

log = logging.getLogger(__name__)

KINDS = ("code", "env")
SPARK = "SPARK"
# An upload lock lives this long unless its holder renews it, which it does
# every third of it while packing and storing.
LOCK_LEASE_SECONDS = 30
# FATE Flow's switch for the update check, honoured beside our own setting.
FATE_UPDATE_CHECK_VARIABLE = "FATE_FLOW_UPDATE_CHECK"

Progress = Callable[[str, int, int], None]


class DependencyService:
    """Dependency archives of the service node, for jobs on Spark."""

    def __init__(
        self,
        settings: Settings,
        archives: ArchiveRepository,
        client: redis.Redis,
        store: ArchiveStore | None = None,
    ) -> None:
        conf = settings.dependency
        self.enabled = settings.dependent_distribution
        self.update_check = conf.update_check or _flag(FATE_UPDATE_CHECK_VARIABLE)
        self.code_roots = [Path(root) for root in conf.code_roots]
        self.python_env = Path(conf.python_env or sys.prefix)
        self.store = store if store is not None else open_store(conf.store)
        self.wait_seconds = conf.upload_wait_seconds
        self.archives = archives
        self.client = client
        self.lock_prefix = f"{settings.resource_manager.key_namespace}:{{dependency}}"
        # What each archive type is built from here; archives of other
        # sources, or in other stores, never serve this service's jobs.
        self.sources = {
            "code": ":".join(str(root.resolve()) for root in self.code_roots),
            "env": str(self.python_env.resolve()),
        }

    def check_settings(self) -> None:
        """Raise ConfigError when distribution is on but cannot work."""
        if not self.enabled:
            return
        if not self.code_roots:
            raise ConfigError(
                "dependent_distribution is true but dependency.code_roots is "
                "empty; list the framework's code folders in service_conf.yaml"
            )
        for root in self.code_roots:
            if not root.is_dir():
                raise ConfigError(
                    f"dependency.code_roots names {str(root)!r}, which is not a "
                    "folder; fix the path in service_conf.yaml"
                )
        if not any((self.python_env / "bin").glob("python*")):
            raise ConfigError(
                f"dependency.python_env {str(self.python_env)!r} has no "
                "bin/python*; name the prefix of a Python environment"
            )
        # An HDFS store without its client fails here rather than at the
        # first Spark submission.
        self.store.exists(self.store.location("code", "0"))

    def scan(self, kind: str) -> ArchiveSpec:
        """List the current content of an archive of ``kind``, with its version."""
        if kind == "code":
            if not self.code_roots:
                raise PackingError(
                    "dependency.code_roots is empty, so there is no framework "
                    "code to pack. List its folders in service_conf.yaml or in "
                    "FATE_LINEAGE__DEPENDENCY__CODE_ROOTS (separated by ':') and "
                    "restart the service.",
                    details={"setting": "dependency.code_roots"},
                )
            return scan_code(self.code_roots)
        return scan_env(self.python_env)

    def upload(
        self, kind: str, progress: Progress | None = None
    ) -> tuple[Properties, bool]:
        """Pack and store the current ``kind`` unless its version is stored.

        Return the archive record and whether this call uploaded it.
        """
        return self.ensure(self.scan(kind), progress)

    def ensure(
        self, spec: ArchiveSpec, progress: Progress | None = None
    ) -> tuple[Properties, bool]:
        found = self._stored(spec.kind, spec.version)
        if found is not None:
            return found, False
        lock = self.client.lock(
            f"{self.lock_prefix}:upload:{spec.kind}:{spec.version}",
            timeout=LOCK_LEASE_SECONDS,
            blocking_timeout=self.wait_seconds,
            # The renewing thread must see the token the caller acquired with.
            thread_local=False,
        )
        log.info(
            "%s archive %s: waiting for its upload lock", spec.kind, spec.version[:12]
        )
        with translate_errors():
            acquired = lock.acquire()
        if not acquired:
            raise Conflict(
                f"another upload of the {spec.kind} archive {spec.version[:12]} "
                f"is still running after {self.wait_seconds:.0f} s; retry later or "
                "raise dependency.upload_wait_seconds",
                details={"type": spec.kind, "version": spec.version},
            )
        done = threading.Event()
        keeper = threading.Thread(target=_keep_lock, args=(lock, done), daemon=True)
        keeper.start()
        try:
            # The holder before us may have finished the same version.
            found = self._stored(spec.kind, spec.version)
            if found is not None:
                return found, False
            return self._pack_and_store(spec, progress), True
        finally:
            done.set()
            keeper.join()
            with translate_errors():
                if lock.owned():
                    lock.release()

    def current(self, kind: str) -> Properties:
        """Return the archive of ``kind`` that jobs run with now.

        With the update check on, the content is scanned and a changed
        version uploaded. Otherwise the newest archive stored here from this
        service's own source serves, and only a missing one is packed.
        """
        if not self.update_check:
            for archive in self.archives.of_types((kind,)):
                if archive.get("source") == self.sources[kind] and self._present(
                    archive
                ):
                    return archive
        record, _ = self.upload(kind)
        return record

    def archives_for(self, engine: str) -> list[Properties]:
        """Return the archives a new job on ``engine`` runs with, stored.

        Only Spark jobs get archives, and only with dependent_distribution on.
        """
        if not self.enabled or engine != SPARK:
            return []
        return [self.current(kind) for kind in KINDS]

    def link_job(self, job_id: str, archives: list[Properties]) -> None:
        self.archives.link_job(job_id, archives, now_ms())
        log.info(
            "job %s runs with %s",
            job_id,
            ", ".join(f"{a['type']} {a['version'][:12]}" for a in archives),
        )

    def query(self) -> dict[str, Any]:
        archives = [
            {**archive, "stored": self._present(archive)}
            for archive in self.archives.of_types(KINDS)
        ]
        return {
            "dependent_distribution": self.enabled,
            "update_check": self.update_check,
            "archives": archives,
        }

    def check(self, job_id: str, job: Properties | None) -> dict[str, Any]:
        """Say what a job's Spark executors get, and whether it is stored."""
        if job is None:
            raise job_not_found(job_id)
        linked = {a["type"]: a for a in self.archives.job_archives(job_id)}
        answer: dict[str, Any] = {
            "job_id": job_id,
            "dependent_distribution": self.enabled,
            "archives": [
                {**archive, "stored": self._present(archive)}
                for archive in linked.values()
            ],
        }
        if set(linked) == set(KINDS):
            source = Path(linked["env"].get("source") or self.python_env)
            answer["spark_submit_args"] = spark.submit_arguments(
                linked["code"], linked["env"], str(source / "bin" / "python")
            )
        else:
            answer["requirements"] = spark.WITHOUT_DISTRIBUTION
        return answer

    def _stored(self, kind: str, version: str) -> Properties | None:
        found = self.archives.find(kind, version, self.store.location(kind, version))
        if found is not None and self._present(found):
            return found
        return None

    def _present(self, archive: Properties) -> bool:
        """Return whether the archive is in this store, whole."""
        path = archive["path"]
        return self.store.owns(path) and self.store.exists(path, archive.get("size"))

    def _pack_and_store(
        self, spec: ArchiveSpec, progress: Progress | None
    ) -> Properties:
        location = self.store.location(spec.kind, spec.version)
        started = time.perf_counter()
        written = 0

        def on_entry(_: Entry) -> None:
            nonlocal written
            written += 1
            if progress is not None:
                progress(spec.kind, written, len(spec.entries))

        with tempfile.TemporaryDirectory(prefix="fate-lineage-pack-") as folder:
            local = Path(folder) / f"{spec.kind}.tar.gz"
            size, digest = write_tar(spec, local, on_entry)
            packed = time.perf_counter()
            self.store.put(local, location)
        stored = time.perf_counter()
        log.info(
            "%s archive %s stored at %s: %d bytes, packed in %.1f s, put in %.1f s",
            spec.kind,
            spec.version[:12],
            location,
            size,
            packed - started,
            stored - packed,
        )
        properties = {
            "digest": digest,
            "size": size,
            "file_count": spec.file_count,
            "python": spec.python,
            "library_path": spec.library_path,
            "pythonpath": list(spec.pythonpath),
            "pack_seconds": round(packed - started, 3),
            "store_seconds": round(stored - packed, 3),
            "source": self.sources[spec.kind],
        }
        return self.archives.record(
            spec.kind, spec.version, location, _without_none(properties), now_ms()
        )


def _keep_lock(lock: Any, done: threading.Event) -> None:
    """Renew the upload lock until ``done``, so a long upload keeps it.

    A holder that dies stops renewing, and the lock expires within
    LOCK_LEASE_SECONDS.
    """
    while not done.wait(LOCK_LEASE_SECONDS / 3):
        try:
            lock.reacquire()
        except redis.RedisError as exc:
            log.warning("upload lock not renewed: %s", exc)


def _flag(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() in {"1", "true", "yes", "on"}


def _without_none(properties: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if value is not None}
