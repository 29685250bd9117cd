"""Columns and row count of an upload file, read on the client in one pass.

Lines are split on the delimiter without CSV quoting, as FATE Flow's Upload
component does (``line.rstrip().split(id_delimiter)`` in
``python/fate_flow/components/upload.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from pathlib import Path

CHUNK_BYTES = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class CsvSummary:
    """Header and size of a delimited text file."""

    columns: tuple[str, ...]
    row_count: int


def describe_csv(path: Path, head: bool, delimiter: str) -> CsvSummary:
    """Read the header of ``path`` and count its data rows without loading it.

    ``columns`` is empty when ``head`` is false. ``row_count`` excludes the
    header and counts a final line without a newline, but not blank lines at
    the end of the file. Raises OSError when the file cannot be read,
    UnicodeDecodeError when the header is not UTF-8, and ValueError for an
    empty delimiter.
    """
    if not delimiter:
        raise ValueError("the delimiter must not be empty")

    with path.open("rb") as stream:
        if head:
            columns = _parse_header(stream.readline(), delimiter)
        else:
            columns = ()
            if stream.read(len(UTF8_BOM)) != UTF8_BOM:
                stream.seek(0)
        row_count = _count_lines(stream)

    return CsvSummary(columns=columns, row_count=row_count)


def _parse_header(line: bytes, delimiter: str) -> tuple[str, ...]:
    text = line.decode("utf-8-sig").rstrip("\r\n")
    if not text.strip():
        return ()
    return tuple(name.strip() for name in text.split(delimiter))


def _count_lines(stream: BinaryIO) -> int:
    """Count the lines from the stream's position to its end in 1 MiB chunks."""
    newlines = 0
    # Newlines after the last non-whitespace byte end blank trailing lines.
    trailing_newlines = 0
    has_content = False

    while chunk := stream.read(CHUNK_BYTES):
        newlines += chunk.count(b"\n")
        content = chunk.rstrip()
        if content:
            has_content = True
            trailing_newlines = chunk.count(b"\n", len(content))
        else:
            trailing_newlines += chunk.count(b"\n")

    if not has_content:
        return 0
    # The last line with content counts whether or not a newline ends it.
    return newlines - trailing_newlines + 1
