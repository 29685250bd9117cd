"""Archive stores chosen by dependency.store, and a missing Hadoop client."""

from __future__ import annotations

from pathlib import Path

import pytest

from fate_lineage.distribution.store import (
    DEFAULT_LOCAL_STORE,
    HdfsClientMissing,
    HdfsStore,
    LocalStore,
    open_store,
)
from fate_lineage.errors import ConfigError


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("", LocalStore),
        ("/tmp/archives", LocalStore),
        ("file:///tmp/archives", LocalStore),
        ("hdfs://namenode:8020/fate", HdfsStore),
    ],
    ids=["empty", "path", "file-url", "hdfs-url"],
)
def test_open_store_by_scheme(setting: str, expected: type) -> None:
    assert isinstance(open_store(setting), expected)


def test_empty_setting_uses_home() -> None:
    store = open_store("")

    assert isinstance(store, LocalStore)
    assert store.root == DEFAULT_LOCAL_STORE.resolve()


def test_unknown_scheme_rejected() -> None:
    with pytest.raises(ConfigError, match="unknown scheme 's3'"):
        open_store("s3://bucket/archives")


def test_local_put_and_exists(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    source = tmp_path / "code.tar.gz"
    source.write_bytes(b"archive")
    location = store.location("code", "abc")

    before = store.exists(location)
    store.put(source, location)

    assert location.endswith("/fate_dependence/abc/code.tar.gz")
    assert before is False
    assert store.exists(location) is True
    assert sorted(
        p.name for p in (tmp_path / "store/fate_dependence/abc").iterdir()
    ) == ["code.tar.gz"]


def test_missing_hadoop_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    store = HdfsStore("hdfs://namenode:8020/fate")

    with pytest.raises(HdfsClientMissing) as caught:
        store.exists(store.location("env", "abc"))

    assert caught.value.http_status == 503
    assert "`hdfs` is not on PATH" in caught.value.message
    assert "dependency.store" in caught.value.message
