"""Pack framework code and a Python environment into archives for Spark executors.

Spark copies every ``--archives`` file to each executor and unpacks ``.tar.gz``
files with ``tar``, which keeps permission bits and symlinks. Zip archives lose
the executable bit, and the interpreter then fails with "Permission denied".

``scan_code`` and ``scan_env`` list what goes into an archive and compute its
content version from file bytes, modes and link targets only. A client uploads
an archive again only when that version changes, so touching a file or copying
the tree elsewhere never triggers an upload, and editing one byte always does.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import posixpath
import re
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fate_lineage.errors import LineageError, RetCode

logger = logging.getLogger(__name__)

# Symlink permission bits are ignored on Linux, so one fixed value keeps the
# version independent of the platform that scanned the tree.
SYMLINK_MODE = 0o777

# Level 6 is the gzip command's default. On 208 MB of a virtualenv's files
# (Python 3.11 zlib, 2-core VM) level 9 took 36 s against 8 s and saved 0.5 %.
GZIP_LEVEL = 6

ARCHIVE_MODE = 0o644

BYTECODE_SUFFIXES = (".pyc", ".pyo")

# Standard library folders left out of a virtualenv's archive: tests, GUI tools
# and the pip bootstrapper, which jobs on executors are not expected to import,
# and config-3.X-<platform>, which contains the static libpython for building
# extensions (44 MB for CPython 3.11).
STDLIB_EXCLUDED = frozenset(
    {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip"}
)

VERSIONED_PYTHON = re.compile(r"python(3\.\d+)")
VERSION_NUMBER = re.compile(r"(\d+\.\d+)")

# Given the path parts below a mounted folder and whether the last part is a
# folder, a skip rule returns True for paths left out of the archive.
SkipRule = Callable[[tuple[str, ...], bool], bool]


class PackingError(LineageError):
    """A code root or an environment cannot be packed for executors as it is.

    The fault lies in the service's own files, not in the request, so it is
    FATE's data error (102) with 409: the files must change first.
    """

    retcode = RetCode.DATA_ERROR
    http_status = 409


@dataclass(frozen=True)
class Entry:
    """One file, folder or symlink in an archive.

    ``name`` is a POSIX path relative to the archive's top folder. ``kind`` is
    "file", "dir" or "symlink". ``mode`` contains the permission bits of the
    source. ``source`` is the file to read for a "file" entry and ``target``
    the relative link text of a "symlink" entry. ``size`` is in bytes and is 0
    for folders and symlinks.
    """

    name: str
    kind: str
    mode: int
    source: Path | None
    target: str | None
    size: int


@dataclass(frozen=True)
class ArchiveSpec:
    """The entries of one archive, its content version and how to run from it.

    ``python`` and ``library_path`` are set for ``env`` archives only, and
    ``pythonpath`` for ``code`` archives only. All three are paths relative to
    the folder that Spark unpacks the archive into.
    """

    kind: str
    entries: tuple[Entry, ...]
    version: str
    python: str | None = None
    library_path: str | None = None
    pythonpath: tuple[str, ...] = ()

    @property
    def file_count(self) -> int:
        """Number of regular files, without folders and symlinks."""
        return sum(1 for entry in self.entries if entry.kind == "file")

    @property
    def total_size(self) -> int:
        """Sum of the regular files' sizes in bytes, before compression."""
        return sum(entry.size for entry in self.entries if entry.kind == "file")


@dataclass(frozen=True)
class _Mount:
    """A source file or folder (a real path) and its name in the archive.

    A single file has no skip rule; a folder always has one.
    """

    source: Path
    name: str
    skip: SkipRule | None = None


@dataclass
class _Tree:
    """Mounted sources, the folders links may be followed into, and the entries.

    A symlink whose target is in a mount is kept as a relative symlink. A
    symlink to anything else under ``roots`` is replaced by the file or folder
    it points to. Any other symlink is rejected.
    """

    mounts: list[_Mount]
    roots: tuple[Path, ...]
    scope: str
    entries: dict[str, Entry] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        if entry.name in self.entries:
            raise PackingError(
                f"Two sources map to {entry.name!r} in the archive. "
                "Pack folders whose contents do not overlap.",
                details={"path": entry.name},
            )
        self.entries[entry.name] = entry

    def archive_name(self, real: Path, is_dir: bool) -> str | None:
        """Return the archive name of a real path, or None if it is not packed."""
        for mount in self.mounts:
            if real == mount.source:
                return mount.name
            if mount.skip is None or not real.is_relative_to(mount.source):
                continue
            parts = real.relative_to(mount.source).parts
            if not mount.skip(parts, is_dir):
                return _join(mount.name, *parts)
        return None

    def add_mount(self, mount: _Mount) -> None:
        if mount.skip is None:
            self.add(_file_entry(mount.name, mount.source))
            return
        if mount.name:
            self.add(_dir_entry(mount.name, mount.source))
        self.walk(mount.source, mount.name, (), mount.skip, frozenset())

    def walk(
        self,
        folder: Path,
        name: str,
        parts: tuple[str, ...],
        skip: SkipRule,
        ancestors: frozenset[Path],
    ) -> None:
        """Add the contents of ``folder``, a real path, below ``name``."""
        if folder in ancestors:
            raise PackingError(
                f"Symlinks under {folder} form a cycle. Remove the link that "
                "points back to one of its parent folders.",
                details={"path": str(folder)},
            )
        ancestors = ancestors | {folder}
        for child in _list_folder(folder):
            child_name = _join(name, child.name)
            child_parts = (*parts, child.name)
            subfolder = self.visit(child, child_name, child_parts, skip)
            if subfolder is not None:
                self.walk(subfolder, child_name, child_parts, skip, ancestors)

    def visit(
        self, child: os.DirEntry[str], name: str, parts: tuple[str, ...], skip: SkipRule
    ) -> Path | None:
        """Add one folder item and return the real folder to walk next, if any."""
        path = Path(child.path)
        if child.is_symlink():
            return self.add_link(path, name, parts, skip)
        is_dir = child.is_dir(follow_symlinks=False)
        if skip(parts, is_dir):
            return None
        if is_dir:
            self.add(_dir_entry(name, path))
            return path
        if not child.is_file(follow_symlinks=False):
            raise PackingError(
                f"{path} is neither a file, a folder nor a symlink. "
                "Remove it from the tree before packing.",
                details={"path": str(path)},
            )
        self.add(_file_entry(name, path))
        return None

    def add_link(
        self, link: Path, name: str, parts: tuple[str, ...], skip: SkipRule
    ) -> Path | None:
        """Add a symlink as a relative link or as what it points to.

        Returns the real folder to walk when the link to a folder was followed.
        """
        real = Path(os.path.realpath(link))
        exists = real.exists()
        if skip(parts, exists and real.is_dir()):
            return None
        if not exists:
            raise PackingError(
                f"The symlink {link} -> {os.readlink(link)} is dangling. "
                "Remove it or restore its target before packing.",
                details={"path": str(link)},
            )
        target = self.archive_name(real, real.is_dir())
        if target is not None:
            self.add(_link_entry(name, target))
            return None
        if not any(real.is_relative_to(root) for root in self.roots):
            raise PackingError(
                f"The symlink {link} is a link to {real} outside the {self.scope}. "
                "Executors would not have it. Copy the target into the tree or "
                "remove the link.",
                details={"path": str(link), "target": str(real)},
            )
        if real.is_dir():
            self.add(_dir_entry(name, real))
            return real
        self.add(_file_entry(name, real))
        return None


def scan_code(roots: Sequence[Path]) -> ArchiveSpec:
    """List the framework code under each root, packed under the root's name.

    ``/opt/fate/python`` becomes ``python/...`` in the archive. Bytecode,
    ``__pycache__`` and hidden folders such as ``.git`` are left out. A symlink
    to anything outside the roots is rejected.
    """
    if not roots:
        raise PackingError("No code folder was given. Pass at least one folder.")
    mounts: list[_Mount] = []
    for root in roots:
        mount = _Mount(
            _existing_folder(root, "code folder"), _root_name(root), _skip_code
        )
        _check_unique_name(mount, mounts, root)
        mounts.append(mount)

    tree = _Tree(mounts, tuple(mount.source for mount in mounts), "code folders")
    for mount in mounts:
        tree.add_mount(mount)
    names = tuple(mount.name for mount in mounts)
    return _finish("code", tree, pythonpath=names)


def scan_env(prefix: Path) -> ArchiveSpec:
    """List a Python environment so that executors can run it from the archive.

    A virtualenv (``prefix/pyvenv.cfg`` exists) is packed with its base
    interpreter and standard library, because its ``bin/python`` is a link to an
    interpreter that executors do not have. Any other prefix, such as a conda
    environment, is packed as it is.
    """
    prefix = _existing_folder(prefix, "environment prefix")
    interpreter = _find_interpreter(prefix / "bin")
    if interpreter is None:
        raise PackingError(
            f"{prefix} has no Python interpreter in bin/ (python3.X, python3 or "
            "python). Pass the prefix of a virtualenv or a conda environment.",
            details={"path": str(prefix)},
        )
    if (prefix / "pyvenv.cfg").is_file():
        return _scan_venv(prefix)
    return _scan_prefix(prefix, interpreter)


def content_version(entries: Iterable[Entry]) -> str:
    """Hash the entries' names, kinds, modes, link targets and file contents.

    Returns a sha256 hex digest. Modification times, owners and source paths
    are left out, so touching or moving the source tree keeps the version.
    """
    return _version_of(entries, _content_digest)


def _version_of(entries: Iterable[Entry], digest_of: Callable[[Entry], str]) -> str:
    digest = hashlib.sha256()
    for entry in sorted(entries, key=_entry_name):
        fields = (
            entry.name,
            entry.kind,
            f"{entry.mode:o}",
            entry.target or "",
            digest_of(entry),
        )
        # File names cannot contain NUL, so NUL-terminated fields cannot merge.
        record = "".join(f"{value}\0" for value in fields)
        digest.update(record.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def write_archive(
    spec: ArchiveSpec,
    target: Path,
    on_entry: Callable[[Entry], None] | None = None,
) -> tuple[int, str]:
    """Write ``spec`` as a reproducible ``.tar.gz`` file at ``target``.

    Returns the archive's size in bytes and its sha256 hex digest. Timestamps
    and owners are zeroed, so the same spec gives a byte-identical file with
    the same zlib version. ``on_entry`` is called after each entry is written.
    The file appears at ``target`` only when complete.
    """
    target = Path(target)
    entries = sorted(spec.entries, key=_entry_name)
    written: dict[str, str] = {}
    writer = _write_replacing(
        target, lambda output: _write_tar(entries, output, on_entry, written)
    )
    # A file edited after the scan, even to the same size, would otherwise be
    # stored under the version of its old content.
    if _version_of(entries, lambda entry: written.get(entry.name, "")) != spec.version:
        target.unlink(missing_ok=True)
        raise PackingError(
            f"The {spec.kind} tree changed while it was being packed, so the "
            "archive does not match its version. Upload again once the files "
            "stop changing.",
            details={"kind": spec.kind},
        )
    logger.info(
        "Wrote %s archive %s: %d entries, %d bytes, version %s",
        spec.kind,
        target,
        len(spec.entries),
        writer.size,
        spec.version,
    )
    return writer.size, writer.digest.hexdigest()


def _write_replacing(
    target: Path, write_content: Callable[[_HashingWriter], None]
) -> _HashingWriter:
    """Write a temporary file beside ``target``, then rename it to ``target``.

    Readers of ``target`` never see a partial file, and a failed write leaves
    no temporary file behind.
    """
    handle, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as raw:
            writer = _HashingWriter(raw)
            write_content(writer)
            raw.flush()
            os.fsync(raw.fileno())
        # mkstemp creates the file as 0600, but the archive contains nothing
        # secret and other users, such as an upload job, may need to read it.
        temp.chmod(ARCHIVE_MODE)
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return writer


def _scan_venv(prefix: Path) -> ArchiveSpec:
    """Pack a virtualenv's site-packages with its base interpreter and stdlib."""
    config = _read_pyvenv_cfg(prefix / "pyvenv.cfg")
    version = _venv_version(prefix, config)
    base = _base_prefix(prefix, config)
    interpreter = _base_interpreter(base, version)
    site_packages = _venv_site_packages(prefix, version, config)

    python = f"bin/python{version}"
    mounts = [
        _Mount(interpreter, python),
        _Mount((base / "lib").resolve(), "lib", _stdlib_rule(version)),
        _Mount(
            site_packages,
            f"lib/python{version}/site-packages",
            _skip_bytecode,
        ),
    ]
    tree = _Tree(mounts, (base, prefix), "environment")
    tree.add(_dir_entry("bin", base / "bin"))
    for mount in mounts:
        tree.add_mount(mount)
    for alias in ("bin/python3", "bin/python"):
        tree.add(_link_entry(alias, python))
    return _finish(
        "env", tree, python=python, library_path=_library_path(tree, version)
    )


def _venv_site_packages(prefix: Path, version: str, config: dict[str, str]) -> Path:
    """Return the real path of the virtualenv's own site-packages folder."""
    site_packages = prefix / "lib" / f"python{version}" / "site-packages"
    if not site_packages.is_dir():
        raise PackingError(
            f"The virtualenv {prefix} has no {site_packages}. "
            "Pass a virtualenv created for the same Python version.",
            details={"path": str(site_packages)},
        )
    if config.get("include-system-site-packages", "").lower() == "true":
        logger.warning(
            "The virtualenv %s uses the base site-packages, which are not packed",
            prefix,
        )
    return site_packages.resolve()


def _scan_prefix(prefix: Path, interpreter: Path) -> ArchiveSpec:
    """Pack a self-contained prefix, such as a conda environment, as it is."""
    real = Path(os.path.realpath(interpreter))
    if not real.is_relative_to(prefix):
        raise PackingError(
            f"The interpreter {interpreter} resolves to {real}, outside the "
            "environment. Executors would not have it. Pass the prefix that "
            "contains the interpreter itself.",
            details={"path": str(interpreter), "target": str(real)},
        )
    _check_executable(real)
    tree = _Tree([_Mount(prefix, "", _skip_bytecode)], (prefix,), "environment")
    tree.add_mount(tree.mounts[0])
    version = VERSIONED_PYTHON.fullmatch(real.name)
    library_path = _library_path(tree, version.group(1) if version else "3")
    python = f"bin/{interpreter.name}"
    return _finish("env", tree, python=python, library_path=library_path)


def _finish(
    kind: str,
    tree: _Tree,
    python: str | None = None,
    library_path: str | None = None,
    pythonpath: tuple[str, ...] = (),
) -> ArchiveSpec:
    entries = tuple(sorted(tree.entries.values(), key=_entry_name))
    _check_links(entries)
    if python is not None and python not in tree.entries:
        raise PackingError(
            f"The interpreter {python} is not in the archive. Check that it is "
            "a file or a symlink inside the environment.",
            details={"path": python},
        )
    version = content_version(entries)
    return ArchiveSpec(kind, entries, version, python, library_path, pythonpath)


def _check_links(entries: tuple[Entry, ...]) -> None:
    """Reject symlinks whose target is not an entry, so none dangles on executors."""
    names = {entry.name for entry in entries}
    names.add("")  # the folder that Spark unpacks the archive into
    for entry in entries:
        if entry.kind != "symlink" or entry.target is None:
            continue
        resolved = posixpath.normpath(
            _join(posixpath.dirname(entry.name), entry.target)
        )
        if resolved == ".":
            resolved = ""
        if resolved not in names:
            raise PackingError(
                f"The symlink {entry.name} -> {entry.target} would dangle in the "
                "archive because its target is not packed. Remove the link.",
                details={"path": entry.name, "target": entry.target},
            )


def _read_pyvenv_cfg(path: Path) -> dict[str, str]:
    """Parse the ``key = value`` lines of a pyvenv.cfg file."""
    config: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            config[key.strip().lower()] = value.strip()
    return config


def _venv_version(prefix: Path, config: dict[str, str]) -> str:
    """Return the virtualenv's "3.X" from pyvenv.cfg or its lib/python3.X folder."""
    for key in ("version", "version_info"):
        match = VERSION_NUMBER.match(config.get(key, ""))
        if match:
            return match.group(1)
    found = sorted(path.name for path in (prefix / "lib").glob("python3.*"))
    for name in found:
        match = VERSIONED_PYTHON.fullmatch(name)
        if match:
            return match.group(1)
    raise PackingError(
        f"Cannot find the Python version of the virtualenv {prefix} because "
        "pyvenv.cfg has no version and lib/ has no python3.X folder. Recreate "
        "the virtualenv with python -m venv.",
        details={"path": str(prefix)},
    )


def _base_prefix(prefix: Path, config: dict[str, str]) -> Path:
    """Return the real prefix of the base interpreter named by ``home``."""
    home = config.get("home")
    if not home or not Path(home).is_dir():
        raise PackingError(
            f"{prefix / 'pyvenv.cfg'} has no valid home (found {home!r}), so the "
            "base interpreter cannot be found. Recreate the virtualenv.",
            details={"path": str(prefix / "pyvenv.cfg")},
        )
    return Path(home).resolve().parent


def _base_interpreter(base: Path, version: str) -> Path:
    """Return the real file of the base interpreter, which must be in ``base``."""
    found = _find_interpreter(base / "bin", version)
    if found is None:
        raise PackingError(
            f"The base prefix {base} has no bin/python{version}. "
            "Recreate the virtualenv from an installed Python.",
            details={"path": str(base / "bin")},
        )
    real = Path(os.path.realpath(found))
    if not real.is_relative_to(base):
        raise PackingError(
            f"The base interpreter {found} resolves to {real}, outside the base "
            f"prefix {base}. Executors would not have it. Create the virtualenv "
            "from an interpreter installed in one prefix (pyenv, conda, /usr).",
            details={"path": str(found), "target": str(real)},
        )
    _check_executable(real)
    stdlib = base / "lib" / f"python{version}"
    if not (stdlib / "os.py").is_file():
        raise PackingError(
            f"The standard library of {found} is not at {stdlib}. "
            "Create the virtualenv from an interpreter with a standard layout.",
            details={"path": str(stdlib)},
        )
    return real


def _find_interpreter(bin_folder: Path, version: str | None = None) -> Path | None:
    """Return bin/python3.X (the given or any X), python3 or python, if present."""
    if version is not None:
        names = [f"python{version}"]
    elif bin_folder.is_dir():
        names = sorted(
            path.name
            for path in bin_folder.iterdir()
            if VERSIONED_PYTHON.fullmatch(path.name)
        )
    else:
        names = []
    for name in (*names, "python3", "python"):
        if (bin_folder / name).is_file():
            return bin_folder / name
    return None


def _check_executable(interpreter: Path) -> None:
    if not interpreter.stat().st_mode & stat.S_IXUSR:
        raise PackingError(
            f"The interpreter {interpreter} is not executable. Run chmod +x on it.",
            details={"path": str(interpreter)},
        )


def _library_path(tree: _Tree, version: str) -> str | None:
    """Return "lib" if the tree packs a libpython shared library there."""
    prefix = f"lib/libpython{version}"
    for name in tree.entries:
        if name.startswith(prefix) and ".so" in name[len(prefix) :]:
            return "lib"
    return None


def _stdlib_rule(version: str) -> SkipRule:
    """Return the skip rule for the base prefix's lib/ folder in a virtualenv.

    It keeps only libpython3.X.so* and the standard library, without the
    folders in ``STDLIB_EXCLUDED``, lib2to3's tests and bytecode.
    """
    stdlib = f"python{version}"
    library = f"libpython{version}.so"

    def skip(parts: tuple[str, ...], is_dir: bool) -> bool:
        if parts[0].startswith(library):
            return len(parts) > 1 or is_dir
        if parts[0] != stdlib:
            return True
        inner = parts[1:]
        if not inner:
            return False
        if (
            inner[0] in STDLIB_EXCLUDED
            or inner[0].startswith("config-")
            or inner[:2] == ("lib2to3", "tests")
        ):
            return True
        return _skip_bytecode(inner, is_dir)

    return skip


def _skip_bytecode(parts: tuple[str, ...], is_dir: bool) -> bool:
    if "__pycache__" in parts:
        return True
    return not is_dir and parts[-1].endswith(BYTECODE_SUFFIXES)


def _skip_code(parts: tuple[str, ...], is_dir: bool) -> bool:
    """Skip bytecode and hidden files and folders, such as .git or a .env file.

    Hidden files often hold local secrets, which must not travel to every
    executor.
    """
    if _skip_bytecode(parts, is_dir):
        return True
    return any(part.startswith(".") for part in parts)


def _existing_folder(path: Path, role: str) -> Path:
    """Return the real path of a folder, or raise naming the missing one."""
    if not Path(path).is_dir():
        raise PackingError(
            f"The {role} {path} does not exist or is not a folder. "
            "Pass an existing folder.",
            details={"path": str(path)},
        )
    return Path(path).resolve()


def _root_name(root: Path) -> str:
    name = Path(os.path.abspath(root)).name
    if not name:
        raise PackingError(
            f"The code folder {root} has no name to pack it under. "
            "Pass a folder below the filesystem root.",
            details={"path": str(root)},
        )
    return name


def _check_unique_name(mount: _Mount, mounts: list[_Mount], root: Path) -> None:
    for other in mounts:
        if other.name == mount.name:
            raise PackingError(
                f"The code folders {other.source} and {root} have the same name "
                f"{mount.name!r}, so both would be packed as {mount.name}/. "
                "Pass folders with different names.",
                details={"path": str(root)},
            )


def _list_folder(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as items:
            return sorted(items, key=lambda item: item.name)
    except OSError as error:
        raise PackingError(
            f"Cannot read the folder {folder}: {error.strerror}. "
            "Check its permissions.",
            details={"path": str(folder)},
        ) from error


def _dir_entry(name: str, path: Path) -> Entry:
    mode = stat.S_IMODE(path.stat().st_mode)
    return Entry(name, "dir", mode, None, None, 0)


def _file_entry(name: str, path: Path) -> Entry:
    status = path.stat()
    return Entry(name, "file", stat.S_IMODE(status.st_mode), path, None, status.st_size)


def _link_entry(name: str, target_name: str) -> Entry:
    return Entry(
        name, "symlink", SYMLINK_MODE, None, _relative_link(name, target_name), 0
    )


def _relative_link(link_name: str, target_name: str) -> str:
    """Return the link text that leads from ``link_name`` to ``target_name``."""
    start = link_name.split("/")[:-1]
    target = target_name.split("/") if target_name else []
    common = 0
    while common < min(len(start), len(target)) and start[common] == target[common]:
        common += 1
    parts = [".."] * (len(start) - common) + target[common:]
    return "/".join(parts) or "."


def _join(*parts: str) -> str:
    return "/".join(part for part in parts if part)


def _entry_name(entry: Entry) -> str:
    return entry.name


def _content_digest(entry: Entry) -> str:
    if entry.kind != "file":
        return ""
    if entry.source is None:
        raise PackingError(
            f"The file entry {entry.name} has no source to read.",
            details={"path": entry.name},
        )
    try:
        with entry.source.open("rb") as source:
            return hashlib.file_digest(source, "sha256").hexdigest()
    except OSError as error:
        raise PackingError(
            f"Cannot read {entry.source}: {error.strerror}. Check its permissions.",
            details={"path": str(entry.source)},
        ) from error


class _HashingWriter:
    """A write-only file wrapper that counts and hashes what passes through."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.size += len(data)
        self.digest.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def _write_tar(
    entries: list[Entry],
    writer: _HashingWriter,
    on_entry: Callable[[Entry], None] | None,
    written: dict[str, str],
) -> None:
    # An empty file name and mtime 0 keep the gzip header the same on every run.
    with (
        gzip.GzipFile(
            filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=writer, mtime=0
        ) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for entry in entries:
            written[entry.name] = _add_tar_entry(tar, entry)
            if on_entry is not None:
                on_entry(entry)


def _add_tar_entry(tar: tarfile.TarFile, entry: Entry) -> str:
    """Add one entry; return the sha256 of the bytes written for a file."""
    info = tarfile.TarInfo(entry.name)
    info.mode = entry.mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    elif entry.kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = entry.target or ""
        tar.addfile(info)
    elif entry.kind == "file":
        return _add_tar_file(tar, info, entry)
    else:
        raise PackingError(
            f"The entry {entry.name} has the unknown kind {entry.kind!r}. "
            'Use "file", "dir" or "symlink".',
            details={"path": entry.name},
        )
    return ""


def _add_tar_file(tar: tarfile.TarFile, info: tarfile.TarInfo, entry: Entry) -> str:
    if entry.source is None:
        raise PackingError(
            f"The file entry {entry.name} has no source to read.",
            details={"path": entry.name},
        )
    with entry.source.open("rb") as source:
        if os.fstat(source.fileno()).st_size != entry.size:
            raise PackingError(
                f"{entry.source} changed size since it was scanned. "
                "Scan again and write the archive from the new spec.",
                details={"path": str(entry.source)},
            )
        info.size = entry.size
        reader = _HashingReader(source)
        tar.addfile(info, reader)
    return reader.digest.hexdigest()


class _HashingReader:
    """A read-only file wrapper that hashes what tarfile reads through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data
