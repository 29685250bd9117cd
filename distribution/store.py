"""Archive stores: a local folder (path or file:// URL) or HDFS.

Archives go to ``<store>/fate_dependence/<version>/<type>.tar.gz``, as FATE
Flow lays them out. Writes are atomic: a local copy goes to a temporary name
and is renamed, and HDFS uploads go to a temporary name and are moved.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from fate_lineage.errors import BackendUnavailable, ConfigError, LineageError, RetCode

DEFAULT_LOCAL_STORE = Path.home() / ".local" / "share" / "fate-lineage" / "dependencies"
HDFS_CLIENT = "hdfs"
HDFS_TIMEOUT_SECONDS = 600


class ArchiveStore(Protocol):
    def location(self, kind: str, version: str) -> str:
        """Return the URI under which Spark finds the archive."""

    def owns(self, location: str) -> bool:
        """Return whether ``location`` lies in this store."""

    def exists(self, location: str, size: int | None = None) -> bool:
        """Return whether the archive is there, with ``size`` bytes if given."""

    def put(self, local_file: Path, location: str) -> None: ...


def open_store(setting: str) -> ArchiveStore:
    """Return the store that ``dependency.store`` names."""
    if not setting:
        return LocalStore(DEFAULT_LOCAL_STORE)
    parts = urlsplit(setting)
    if parts.scheme == "hdfs":
        return HdfsStore(setting.rstrip("/"))
    if parts.scheme == "file":
        return LocalStore(Path(unquote(parts.path)))
    if parts.scheme == "":
        return LocalStore(Path(setting).expanduser())
    raise ConfigError(
        f"dependency.store {setting!r} has the unknown scheme {parts.scheme!r}; "
        "use a path, a file:// URL or an hdfs:// URL"
    )


def _relative(kind: str, version: str) -> str:
    return f"fate_dependence/{version}/{kind}.tar.gz"


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def location(self, kind: str, version: str) -> str:
        return (self.root / _relative(kind, version)).as_uri()

    def owns(self, location: str) -> bool:
        return _path(location).is_relative_to(self.root)

    def exists(self, location: str, size: int | None = None) -> bool:
        path = _path(location)
        return path.is_file() and (size is None or path.stat().st_size == size)

    def put(self, local_file: Path, location: str) -> None:
        target = _path(location)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local_file, partial)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StoreFailed(
                f"cannot write {target}: {exc.strerror}; check that "
                "dependency.store names a writable folder"
            ) from exc


def _path(location: str) -> Path:
    """Return the local path of a file:// URL, decoding escapes such as %20."""
    return Path(unquote(urlsplit(location).path))


class StoreFailed(LineageError):
    """The archive store refused a write; the message names the place."""

    retcode = RetCode.CONNECTION_ERROR
    http_status = 503


class HdfsClientMissing(BackendUnavailable):
    """The Hadoop client is not installed; retrying cannot help."""

    def __init__(self, base: str) -> None:
        LineageError.__init__(
            self,
            f"the Hadoop client `{HDFS_CLIENT}` is not on PATH, so archives cannot "
            f"be stored at {base}; install the Hadoop client on this node, or "
            "set dependency.store to a path or a file:// URL",
            details={"backend": "hdfs"},
        )
        self.backend = "hdfs"


class HdfsStore:
    """HDFS through the Hadoop client's `hdfs dfs` commands."""

    def __init__(self, base: str) -> None:
        self.base = base

    def location(self, kind: str, version: str) -> str:
        return f"{self.base}/{_relative(kind, version)}"

    def owns(self, location: str) -> bool:
        return location.startswith(self.base + "/")

    def exists(self, location: str, size: int | None = None) -> bool:
        # NOTE: HDFS archives are checked for presence only, not for size.
        return self._dfs("-test", "-e", location, check=False) == 0

    def put(self, local_file: Path, location: str) -> None:
        partial = f"{location}.{uuid.uuid4().hex}.partial"
        self._dfs("-mkdir", "-p", location.rsplit("/", 1)[0])
        self._dfs("-put", "-f", str(local_file), partial)
        self._dfs("-mv", partial, location)

    def _dfs(self, *args: str, check: bool = True) -> int:
        client = shutil.which(HDFS_CLIENT)
        if client is None:
            raise HdfsClientMissing(self.base)
        done = subprocess.run(
            [client, "dfs", *args],
            capture_output=True,
            text=True,
            timeout=HDFS_TIMEOUT_SECONDS,
        )
        if check and done.returncode != 0:
            raise BackendUnavailable(
                "hdfs", f"`hdfs dfs {' '.join(args)}` failed: {done.stderr.strip()}"
            )
        return done.returncode
