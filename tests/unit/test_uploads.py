from __future__ import annotations

from pathlib import Path

import pytest

from fate_lineage.tracking.uploads import CHUNK_BYTES, CsvSummary, describe_csv


@pytest.mark.parametrize(
    ("content", "head", "columns", "row_count"),
    [
        pytest.param(
            b"id,x0,x1\n1,0.5,0.7\n2,0.1,0.2\n",
            True,
            ("id", "x0", "x1"),
            2,
            id="trailing-newline",
        ),
        pytest.param(
            b"id,x0,x1\n1,0.5,0.7\n2,0.1,0.2",
            True,
            ("id", "x0", "x1"),
            2,
            id="last-line-without-newline",
        ),
        pytest.param(
            b"id,x0\r\n1,0.5\r\n2,0.1\r\n",
            True,
            ("id", "x0"),
            2,
            id="crlf",
        ),
        pytest.param(
            b"\xef\xbb\xbfid,x0\n1,0.5\n",
            True,
            ("id", "x0"),
            1,
            id="bom",
        ),
        pytest.param(
            b" id , x0 ,y\t\n1,0.5,1\n",
            True,
            ("id", "x0", "y"),
            1,
            id="spaces-around-names",
        ),
        pytest.param(
            b"id,x0\n1,0.5\n2,0.1\n\n\n",
            True,
            ("id", "x0"),
            2,
            id="blank-trailing-lines",
        ),
        pytest.param(b"1,0.5\n2,0.1\n", False, (), 2, id="head-0"),
        pytest.param(b"\xef\xbb\xbf1,0.5\n", False, (), 1, id="head-0-bom"),
        pytest.param(b"\xef\xbb\xbf", False, (), 0, id="head-0-only-bom"),
        pytest.param(b"id,x0\n", True, ("id", "x0"), 0, id="header-only"),
        pytest.param(b"id,x0", True, ("id", "x0"), 0, id="header-without-newline"),
        pytest.param(b"", True, (), 0, id="empty-file-head-1"),
        pytest.param(b"", False, (), 0, id="empty-file-head-0"),
        pytest.param(b"\n\n", True, (), 0, id="blank-lines-only"),
    ],
)
def test_describe_csv(
    tmp_path: Path,
    content: bytes,
    head: bool,
    columns: tuple[str, ...],
    row_count: int,
) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(content)

    summary = describe_csv(path, head=head, delimiter=",")

    assert summary.columns == columns
    assert summary.row_count == row_count


def test_describe_csv_other_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_bytes(b"id\tx,0\n1\t0.5\n")

    summary = describe_csv(path, head=True, delimiter="\t")

    assert summary == CsvSummary(columns=("id", "x,0"), row_count=1)


@pytest.mark.parametrize(
    "ending",
    [pytest.param(b"\n", id="trailing-newline"), pytest.param(b"", id="no-newline")],
)
def test_describe_csv_spans_chunks(tmp_path: Path, ending: bytes) -> None:
    row = b"123456,0.25,0.75\n"
    rows = 3 * CHUNK_BYTES // len(row)
    path = tmp_path / "big.csv"
    path.write_bytes(b"id,x0,x1\n" + row * (rows - 1) + row.rstrip(b"\n") + ending)

    summary = describe_csv(path, head=True, delimiter=",")

    assert path.stat().st_size > 2 * CHUNK_BYTES
    assert summary.row_count == rows


def test_describe_csv_blank_lines_past_chunk(tmp_path: Path) -> None:
    path = tmp_path / "padded.csv"
    path.write_bytes(b"id\n1\n2" + b"\n" * (CHUNK_BYTES + 10))

    assert describe_csv(path, head=True, delimiter=",").row_count == 2


def test_describe_csv_rejects_empty_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"id\n1\n")

    with pytest.raises(ValueError, match="delimiter"):
        describe_csv(path, head=True, delimiter="")


def test_describe_csv_rejects_non_utf8_header(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes("编号,x0\n1,0.5\n".encode("gbk"))

    with pytest.raises(UnicodeDecodeError):
        describe_csv(path, head=True, delimiter=",")


def test_describe_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        describe_csv(tmp_path / "absent.csv", head=True, delimiter=",")
