"""Scanning code roots and Python environments, content versions, and archives."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from fate_lineage.distribution.packing import (
    ArchiveSpec,
    Entry,
    PackingError,
    content_version,
    scan_code,
    scan_env,
    write_archive,
)

FAKE_PYTHON = '#!/bin/sh\necho "fake python $*"\n'


def write(path: Path, text: str = "", mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def link(path: Path, target: str | Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def case_id(value: object) -> str:
    """Show modes in octal and setup functions by name in test ids."""
    if isinstance(value, int) and not isinstance(value, bool):
        return oct(value)
    return getattr(value, "__name__", str(value))


def by_name(spec: ArchiveSpec) -> dict[str, Entry]:
    return {entry.name: entry for entry in spec.entries}


def make_code(root: Path) -> Path:
    write(root / "fate" / "__init__.py", "")
    write(root / "fate" / "run.sh", "#!/bin/sh\n", 0o755)
    write(root / "fate" / "job.py", "print('job')\n")
    write(root / "fate" / "__pycache__" / "job.cpython-311.pyc", "bytecode")
    write(root / "fate" / "old.pyc", "bytecode")
    write(root / "fate" / "old.pyo", "bytecode")
    write(root / ".git" / "config", "[core]\n")
    write(root / "fate" / ".idea" / "workspace.xml", "<xml/>")
    write(root / ".flake8", "[flake8]\n")
    link(root / ".git" / "dangling", "missing")
    link(root / "fate" / "__pycache__" / "dangling.pyc", "missing")
    (root.parent / "tox").mkdir(exist_ok=True)
    link(root / ".tox", root.parent / "tox")
    return root


def make_base(root: Path) -> Path:
    """Build a pyenv-like base prefix with a shell script as its interpreter."""
    write(root / "bin" / "python3.11", FAKE_PYTHON, 0o755)
    link(root / "bin" / "python3", "python3.11")
    stdlib = root / "lib" / "python3.11"
    write(stdlib / "os.py", "# os\n")
    write(stdlib / "json" / "__init__.py", "# json\n")
    write(stdlib / "json" / "__pycache__" / "__init__.cpython-311.pyc", "bytecode")
    write(stdlib / "site-packages" / "base_only.py", "# base only\n")
    write(stdlib / "test" / "x.py", "# test\n")
    write(stdlib / "tkinter" / "__init__.py", "# tk\n")
    write(stdlib / "lib2to3" / "tests" / "t.py", "# t\n")
    write(stdlib / "lib2to3" / "main.py", "# main\n")
    write(root / "lib" / "libpython3.11.so.1.0", "ELF", 0o755)
    link(root / "lib" / "libpython3.11.so", "libpython3.11.so.1.0")
    write(root / "lib" / "libother.so", "ELF", 0o755)
    return root


def make_venv(root: Path, base: Path, config: str | None = None) -> Path:
    if config is None:
        config = f"home = {base / 'bin'}\nversion = 3.11.7\n"
    write(root / "pyvenv.cfg", config)
    link(root / "bin" / "python3", base / "bin" / "python3.11")
    link(root / "bin" / "python", "python3")
    write(root / "bin" / "pip", f"#!{root / 'bin' / 'python3'}\n", 0o755)
    site = root / "lib" / "python3.11" / "site-packages"
    write(site / "probe_pkg" / "__init__.py", "VALUE = 1\n")
    write(site / "probe_pkg" / "__pycache__" / "__init__.cpython-311.pyc", "x")
    link(root / "lib64", "lib")
    return root


def make_conda(root: Path) -> Path:
    write(root / "bin" / "python3.11", FAKE_PYTHON, 0o755)
    link(root / "bin" / "python", "python3.11")
    write(root / "lib" / "python3.11" / "os.py", "# os\n")
    write(root / "lib" / "python3.11" / "__pycache__" / "os.cpython-311.pyc", "x")
    write(root / "lib" / "libpython3.11.so", "ELF", 0o755)
    write(root / "conda-meta" / "python-3.11.7.json", "{}")
    write(root / "lib" / "python3.11" / "site-packages" / "pkg.py", "# pkg\n")
    return root


# ---- scan_code ----


@pytest.mark.parametrize(
    ("name", "packed"),
    [
        ("python", True),
        ("python/fate", True),
        ("python/fate/__init__.py", True),
        ("python/fate/job.py", True),
        ("python/fate/run.sh", True),
        ("python/.flake8", False),
        ("python/fate/__pycache__", False),
        ("python/fate/__pycache__/job.cpython-311.pyc", False),
        ("python/fate/old.pyc", False),
        ("python/fate/old.pyo", False),
        ("python/.git", False),
        ("python/.git/config", False),
        ("python/fate/.idea", False),
        ("python/fate/.idea/workspace.xml", False),
        ("python/.tox", False),
    ],
    ids=case_id,
)
def test_scan_code_entries(tmp_path: Path, name: str, packed: bool) -> None:
    spec = scan_code([make_code(tmp_path / "fate" / "python")])

    assert (name in by_name(spec)) is packed


def test_scan_code_pythonpath_in_order(tmp_path: Path) -> None:
    python = make_code(tmp_path / "a" / "python")
    conf = write(tmp_path / "b" / "conf" / "service.yaml", "x: 1\n").parent

    spec = scan_code([python, conf])

    assert spec.kind == "code"
    assert spec.pythonpath == ("python", "conf")
    assert spec.python is None
    assert spec.library_path is None
    assert "conf/service.yaml" in by_name(spec)


def test_scan_code_spec_fields(tmp_path: Path) -> None:
    spec = scan_code([make_code(tmp_path / "python")])
    entries = by_name(spec)

    assert [entry.name for entry in spec.entries] == sorted(entries)
    assert entries["python/fate/run.sh"].mode == 0o755
    assert entries["python/fate/job.py"].mode == 0o644
    assert entries["python/fate/job.py"].size == len("print('job')\n")
    assert entries["python/fate"].kind == "dir"
    assert spec.file_count == 3
    assert spec.total_size == sum(
        entry.size for entry in spec.entries if entry.kind == "file"
    )
    assert spec.version == content_version(spec.entries)


def setup_same_name(tmp_path: Path) -> tuple[list[Path], str]:
    first = make_code(tmp_path / "one" / "python")
    second = make_code(tmp_path / "two" / "python")
    return [first, second], str(second)


def setup_missing(tmp_path: Path) -> tuple[list[Path], str]:
    missing = tmp_path / "missing"
    return [make_code(tmp_path / "python"), missing], str(missing)


def setup_file_root(tmp_path: Path) -> tuple[list[Path], str]:
    file = write(tmp_path / "python.py", "x = 1\n")
    return [file], str(file)


def setup_no_roots(tmp_path: Path) -> tuple[list[Path], str]:
    return [], "No code folder"


def setup_code_link_outside(tmp_path: Path) -> tuple[list[Path], str]:
    root = make_code(tmp_path / "python")
    link(root / "conf.yaml", write(tmp_path / "etc" / "conf.yaml", "x: 1\n"))
    return [root], str(root / "conf.yaml")


@pytest.mark.parametrize(
    "setup",
    [
        setup_same_name,
        setup_missing,
        setup_file_root,
        setup_no_roots,
        setup_code_link_outside,
    ],
    ids=["same-name", "missing", "file", "none", "link-outside"],
)
def test_scan_code_rejects(
    tmp_path: Path, setup: Callable[[Path], tuple[list[Path], str]]
) -> None:
    roots, named = setup(tmp_path)

    with pytest.raises(PackingError) as caught:
        scan_code(roots)

    assert named in caught.value.message


def test_scan_code_link_between_roots(tmp_path: Path) -> None:
    python = make_code(tmp_path / "python")
    conf = write(tmp_path / "conf" / "service.yaml", "x: 1\n").parent
    link(python / "fate" / "service.yaml", conf / "service.yaml")

    entry = by_name(scan_code([python, conf]))["python/fate/service.yaml"]

    assert entry.kind == "symlink"
    assert entry.target == "../../conf/service.yaml"


# ---- content_version ----


def touch(root: Path) -> None:
    os.utime(root / "fate" / "job.py", (1_000_000_000, 1_000_000_000))
    os.utime(root / "fate", (1_000_000_000, 1_000_000_000))


def edit_byte(root: Path) -> None:
    (root / "fate" / "job.py").write_text("print('jab')\n")


def chmod(root: Path) -> None:
    (root / "fate" / "job.py").chmod(0o755)


def add_file(root: Path) -> None:
    write(root / "fate" / "new.py")


def rename_file(root: Path) -> None:
    (root / "fate" / "job.py").rename(root / "fate" / "job2.py")


def add_bytecode(root: Path) -> None:
    write(root / "fate" / "__pycache__" / "new.cpython-311.pyc", "bytecode")


def add_empty_folder(root: Path) -> None:
    (root / "fate" / "empty").mkdir()


@pytest.mark.parametrize(
    ("change", "changed"),
    [
        (touch, False),
        (add_bytecode, False),
        (edit_byte, True),
        (chmod, True),
        (add_file, True),
        (rename_file, True),
        (add_empty_folder, True),
    ],
    ids=case_id,
)
def test_version_after_change(
    tmp_path: Path, change: Callable[[Path], None], changed: bool
) -> None:
    root = make_code(tmp_path / "python")
    before = scan_code([root]).version

    change(root)

    assert (scan_code([root]).version != before) is changed


def test_version_same_at_other_path(tmp_path: Path) -> None:
    first = make_code(tmp_path / "one" / "python")
    second = tmp_path / "two" / "python"
    shutil.copytree(first, second, symlinks=True)

    assert scan_code([first]).version == scan_code([second]).version


def test_version_ignores_entry_order(tmp_path: Path) -> None:
    entries = scan_code([make_code(tmp_path / "python")]).entries

    assert content_version(reversed(entries)) == content_version(entries)


@pytest.mark.parametrize(
    "other",
    [
        Entry("a", "symlink", 0o777, None, "c", 0),
        Entry("a", "symlink", 0o755, None, "b", 0),
        Entry("b", "symlink", 0o777, None, "b", 0),
        Entry("a", "dir", 0o777, None, None, 0),
    ],
    ids=["target", "mode", "name", "kind"],
)
def test_version_per_field(other: Entry) -> None:
    base = Entry("a", "symlink", 0o777, None, "b", 0)

    assert content_version([other]) != content_version([base])


def test_version_ignores_source_path(tmp_path: Path) -> None:
    first_source = write(tmp_path / "one.py", "same\n")
    second_source = write(tmp_path / "two.py", "same\n")

    first = content_version([Entry("x.py", "file", 0o644, first_source, None, 5)])
    second = content_version([Entry("x.py", "file", 0o644, second_source, None, 5)])

    assert first == second


# ---- write_archive ----


def test_archive_byte_identical(tmp_path: Path) -> None:
    root = make_code(tmp_path / "python")
    first = tmp_path / "out" / "first.tar.gz"
    second = tmp_path / "out" / "second.tar.gz"
    first.parent.mkdir()

    write_archive(scan_code([root]), first)
    touch(root)
    write_archive(scan_code([root]), second)

    assert first.read_bytes() == second.read_bytes()


def test_archive_size_and_digest(tmp_path: Path) -> None:
    target = tmp_path / "code.tar.gz"

    size, digest = write_archive(scan_code([make_code(tmp_path / "python")]), target)

    assert size == target.stat().st_size
    assert digest == hashlib.sha256(target.read_bytes()).hexdigest()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert list(tmp_path.glob(".code.tar.gz.*")) == []


def test_archive_gzip_header(tmp_path: Path) -> None:
    target = tmp_path / "code.tar.gz"
    write_archive(scan_code([make_code(tmp_path / "python")]), target)
    header = target.read_bytes()[:10]

    assert header[:2] == b"\x1f\x8b"
    assert header[3] & 0x08 == 0  # no FNAME field
    assert header[4:8] == b"\0\0\0\0"  # mtime 0


def test_archive_members(tmp_path: Path) -> None:
    spec = scan_code([make_code(tmp_path / "python")])
    target = tmp_path / "code.tar.gz"
    write_archive(spec, target)

    with tarfile.open(target) as tar:
        members = tar.getmembers()

    assert [member.name for member in members] == [e.name for e in spec.entries]
    assert {member.mtime for member in members} == {0}
    assert {(member.uid, member.gid) for member in members} == {(0, 0)}
    assert {(member.uname, member.gname) for member in members} == {("", "")}


def test_archive_on_entry_in_order(tmp_path: Path) -> None:
    spec = scan_code([make_code(tmp_path / "python")])
    seen: list[str] = []

    write_archive(spec, tmp_path / "code.tar.gz", lambda entry: seen.append(entry.name))

    assert seen == [entry.name for entry in spec.entries]


def test_archive_keeps_exec_bit(tmp_path: Path) -> None:
    spec = scan_code([make_code(tmp_path / "python")])
    target = tmp_path / "code.tar.gz"
    write_archive(spec, target)

    with tarfile.open(target) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")

    unpacked = tmp_path / "unpacked" / "python" / "fate"
    assert stat.S_IMODE((unpacked / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((unpacked / "job.py").stat().st_mode) == 0o644


def test_archive_rejects_changed_file(tmp_path: Path) -> None:
    root = make_code(tmp_path / "python")
    spec = scan_code([root])
    (root / "fate" / "job.py").write_text("longer than before\n")
    target = tmp_path / "code.tar.gz"

    with pytest.raises(PackingError) as caught:
        write_archive(spec, target)

    assert str(root / "fate" / "job.py") in caught.value.message
    assert not target.exists()
    assert list(tmp_path.glob(".code.tar.gz.*")) == []


# ---- scan_env: virtualenv ----


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    return make_venv(tmp_path / "venv", make_base(tmp_path / "base"))


@pytest.mark.parametrize(
    ("name", "kind", "mode"),
    [
        ("bin", "dir", 0o755),
        ("bin/python3.11", "file", 0o755),
        ("bin/python3", "symlink", 0o777),
        ("bin/python", "symlink", 0o777),
        ("lib/libpython3.11.so.1.0", "file", 0o755),
        ("lib/libpython3.11.so", "symlink", 0o777),
        ("lib/python3.11/os.py", "file", 0o644),
        ("lib/python3.11/json/__init__.py", "file", 0o644),
        ("lib/python3.11/lib2to3/main.py", "file", 0o644),
        ("lib/python3.11/site-packages", "dir", 0o755),
        ("lib/python3.11/site-packages/probe_pkg/__init__.py", "file", 0o644),
    ],
    ids=case_id,
)
def test_venv_packs(venv: Path, name: str, kind: str, mode: int) -> None:
    entry = by_name(scan_env(venv))[name]

    assert entry.kind == kind
    assert entry.mode == mode


@pytest.mark.parametrize(
    "name",
    [
        "pyvenv.cfg",
        "bin/pip",
        "lib64",
        "lib/libother.so",
        "lib/python3.11/site-packages/base_only.py",
        "lib/python3.11/test",
        "lib/python3.11/test/x.py",
        "lib/python3.11/tkinter",
        "lib/python3.11/lib2to3/tests",
        "lib/python3.11/json/__pycache__",
        "lib/python3.11/site-packages/probe_pkg/__pycache__",
    ],
    ids=case_id,
)
def test_venv_leaves_out(venv: Path, name: str) -> None:
    assert name not in by_name(scan_env(venv))


def test_venv_spec_fields(venv: Path) -> None:
    spec = scan_env(venv)
    entries = by_name(spec)

    assert spec.kind == "env"
    assert spec.python == "bin/python3.11"
    assert spec.library_path == "lib"
    assert spec.pythonpath == ()
    assert entries["bin/python3"].target == "python3.11"
    assert entries["bin/python"].target == "python3.11"
    assert entries["lib/libpython3.11.so"].target == "libpython3.11.so.1.0"
    assert entries["bin/python3.11"].size == len(FAKE_PYTHON)


def test_venv_version_from_lib_folder(tmp_path: Path) -> None:
    base = make_base(tmp_path / "base")
    venv = make_venv(tmp_path / "venv", base, f"home = {base / 'bin'}\n")

    assert scan_env(venv).python == "bin/python3.11"


def test_venv_without_libpython(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "base" / "lib" / "libpython3.11.so").unlink()
    (tmp_path / "base" / "lib" / "libpython3.11.so.1.0").unlink()

    assert scan_env(venv).library_path is None


def test_venv_follows_link_into_base(venv: Path, tmp_path: Path) -> None:
    base_only = (
        tmp_path / "base" / "lib" / "python3.11" / "site-packages" / "base_only.py"
    )
    site = venv / "lib" / "python3.11" / "site-packages"
    link(site / "shared.py", base_only)

    entry = by_name(scan_env(venv))["lib/python3.11/site-packages/shared.py"]

    assert entry.kind == "file"
    assert entry.source == base_only


def test_venv_keeps_link_to_stdlib(venv: Path, tmp_path: Path) -> None:
    site = venv / "lib" / "python3.11" / "site-packages"
    link(site / "os_alias.py", tmp_path / "base" / "lib" / "python3.11" / "os.py")

    entry = by_name(scan_env(venv))["lib/python3.11/site-packages/os_alias.py"]

    assert entry.kind == "symlink"
    assert entry.target == "../os.py"


def test_venv_archive_runs(venv: Path, tmp_path: Path) -> None:
    target = tmp_path / "env.tar.gz"
    write_archive(scan_env(venv), target)
    unpacked = tmp_path / "python_env"

    with tarfile.open(target) as tar:
        tar.extractall(unpacked, filter="tar")
    result = subprocess.run(
        [unpacked / "bin" / "python", "-V"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout == "fake python -V\n"
    assert (unpacked / "lib" / "python3.11" / "os.py").is_file()


def venv_no_home(tmp_path: Path) -> tuple[Path, str]:
    base = make_base(tmp_path / "base")
    venv = make_venv(tmp_path / "venv", base, "version = 3.11.7\n")
    return venv, str(venv / "pyvenv.cfg")


def venv_no_base_python(tmp_path: Path) -> tuple[Path, str]:
    base = make_base(tmp_path / "base")
    venv = make_venv(tmp_path / "venv", base)
    (venv / "bin" / "python3").unlink()
    write(venv / "bin" / "python3", FAKE_PYTHON, 0o755)
    for name in ("python3.11", "python3"):
        (base / "bin" / name).unlink()
    return venv, str(base)


def venv_base_python_outside(tmp_path: Path) -> tuple[Path, str]:
    base = make_base(tmp_path / "base")
    venv = make_venv(tmp_path / "venv", base)
    elsewhere = write(tmp_path / "elsewhere" / "python3.11", FAKE_PYTHON, 0o755)
    (base / "bin" / "python3.11").unlink()
    link(base / "bin" / "python3.11", elsewhere)
    return venv, str(base / "bin" / "python3.11")


def venv_no_stdlib(tmp_path: Path) -> tuple[Path, str]:
    base = make_base(tmp_path / "base")
    venv = make_venv(tmp_path / "venv", base)
    (base / "lib" / "python3.11" / "os.py").unlink()
    return venv, str(base / "lib" / "python3.11")


def venv_link_cycle(tmp_path: Path) -> tuple[Path, str]:
    base = make_base(tmp_path / "base")
    venv = make_venv(tmp_path / "venv", base)
    base_site = base / "lib" / "python3.11" / "site-packages"
    link(base_site / "again", base_site)
    link(venv / "lib" / "python3.11" / "site-packages" / "base_site", base_site)
    return venv, str(base_site)


@pytest.mark.parametrize(
    "setup",
    [
        venv_no_home,
        venv_no_base_python,
        venv_base_python_outside,
        venv_no_stdlib,
        venv_link_cycle,
    ],
    ids=["no-home", "no-base-python", "base-python-outside", "no-stdlib", "cycle"],
)
def test_venv_rejects(
    tmp_path: Path, setup: Callable[[Path], tuple[Path, str]]
) -> None:
    prefix, named = setup(tmp_path)

    with pytest.raises(PackingError) as caught:
        scan_env(prefix)

    assert named in caught.value.message


# ---- scan_env: conda-like prefix ----


def test_conda_packed_as_is(tmp_path: Path) -> None:
    spec = scan_env(make_conda(tmp_path / "conda"))
    entries = by_name(spec)

    assert spec.python == "bin/python3.11"
    assert spec.library_path == "lib"
    assert entries["bin/python3.11"].mode == 0o755
    assert entries["bin/python"].target == "python3.11"
    assert "conda-meta/python-3.11.7.json" in entries
    assert "lib/python3.11/site-packages/pkg.py" in entries
    assert "lib/python3.11/os.py" in entries
    assert "lib/python3.11/__pycache__" not in entries


def test_conda_link_inside_kept(tmp_path: Path) -> None:
    prefix = make_conda(tmp_path / "conda")
    link(prefix / "share" / "relative.py", "../lib/python3.11/os.py")
    link(prefix / "share" / "absolute.py", prefix / "lib" / "python3.11" / "os.py")
    link(prefix / "lib" / "python3", "python3.11")

    entries = by_name(scan_env(prefix))

    assert entries["share/relative.py"].target == "../lib/python3.11/os.py"
    assert entries["share/absolute.py"].target == "../lib/python3.11/os.py"
    assert entries["lib/python3"].target == "python3.11"
    assert entries["lib/python3"].kind == "symlink"


def test_conda_link_to_skipped_file_followed(tmp_path: Path) -> None:
    prefix = make_conda(tmp_path / "conda")
    pyc = prefix / "lib" / "python3.11" / "__pycache__" / "os.cpython-311.pyc"
    link(prefix / "share" / "os.bin", pyc)

    entry = by_name(scan_env(prefix))["share/os.bin"]

    assert entry.kind == "file"
    assert entry.source == pyc


def conda_dangling(tmp_path: Path) -> tuple[Path, str]:
    prefix = make_conda(tmp_path / "conda")
    return prefix, str(link(prefix / "lib" / "broken.so", "missing.so"))


def conda_link_outside(tmp_path: Path) -> tuple[Path, str]:
    prefix = make_conda(tmp_path / "conda")
    outside = write(tmp_path / "outside" / "libssl.so", "ELF")
    link(prefix / "lib" / "libssl.so", outside)
    return prefix, f"{prefix / 'lib' / 'libssl.so'} is a link to {outside}"


def conda_python_outside(tmp_path: Path) -> tuple[Path, str]:
    prefix = make_conda(tmp_path / "conda")
    outside = write(tmp_path / "outside" / "python3.11", FAKE_PYTHON, 0o755)
    (prefix / "bin" / "python3.11").unlink()
    link(prefix / "bin" / "python3.11", outside)
    return prefix, str(prefix / "bin" / "python3.11")


def conda_python_not_executable(tmp_path: Path) -> tuple[Path, str]:
    prefix = make_conda(tmp_path / "conda")
    (prefix / "bin" / "python3.11").chmod(0o644)
    return prefix, str(prefix / "bin" / "python3.11")


def conda_no_python(tmp_path: Path) -> tuple[Path, str]:
    prefix = make_conda(tmp_path / "conda")
    shutil.rmtree(prefix / "bin")
    return prefix, str(prefix)


def conda_missing(tmp_path: Path) -> tuple[Path, str]:
    return tmp_path / "missing", str(tmp_path / "missing")


@pytest.mark.parametrize(
    "setup",
    [
        conda_dangling,
        conda_link_outside,
        conda_python_outside,
        conda_python_not_executable,
        conda_no_python,
        conda_missing,
    ],
    ids=[
        "dangling",
        "link-outside",
        "python-outside",
        "python-not-executable",
        "no-python",
        "missing",
    ],
)
def test_conda_rejects(
    tmp_path: Path, setup: Callable[[Path], tuple[Path, str]]
) -> None:
    prefix, named = setup(tmp_path)

    with pytest.raises(PackingError) as caught:
        scan_env(prefix)

    assert named in caught.value.message


# ---- scan_env: the interpreter running these tests ----


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="not run in a virtualenv")
def test_real_venv_links_resolve() -> None:
    spec = scan_env(Path(sys.prefix))
    entries = by_name(spec)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"

    assert spec.python == f"bin/python{version}"
    assert entries[spec.python].kind == "file"
    assert f"lib/python{version}/os.py" in entries
    assert "pyvenv.cfg" not in entries
    for entry in spec.entries:
        if entry.kind == "symlink":
            assert entry.target is not None
            resolved = os.path.normpath(
                os.path.join(os.path.dirname(entry.name), entry.target)
            )
            assert resolved in entries, entry.name


def test_edit_during_packing_rejected(tmp_path: Path) -> None:
    root = make_code(tmp_path / "python")
    spec = scan_code([root])
    job = root / "fate" / "job.py"
    # Same size, other bytes: only the content check can notice.
    job.write_text("print('JOB')\n")
    target = tmp_path / "code.tar.gz"

    with pytest.raises(PackingError, match="changed while it was being packed"):
        write_archive(spec, target)

    assert not target.exists()
