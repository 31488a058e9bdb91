"""Reading files people upload (survey exports, codebooks, service metrics) within limits.

One decoder and one CSV reader for every upload, so each refuses the same hostile files
the same way: too many bytes, rows, columns, cells or characters in a cell; text in an
encoding that cannot be read; NUL bytes; a quote that is opened and never closed. Every
refusal is an ``UploadProblem`` whose message names the row (and column) at fault, and
each limit is checked while reading, before the rest of the file is looked at.
"""

import csv
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes
from django.conf import settings

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Encodings charset-normalizer may name for text from a Western Windows machine; Excel
# writes those as Windows-1252, so that is used whenever it reads the bytes cleanly.
WESTERN = ("cp125", "latin", "iso8859", "mac_", "cp437", "cp850")


BINARY = "This does not look like a text export (it contains binary data)."


class UploadProblem(ValueError):
    """The file cannot be read; the message says why, naming the row where there is one."""


@dataclass(frozen=True)
class Limits:
    """What an upload may hold; defaults from settings (UPLOAD_MAX_*)."""

    bytes: int
    rows: int
    columns: int
    cells: int
    cell_chars: int

    @classmethod
    def from_settings(cls, **overrides: int) -> "Limits":
        values = {
            "bytes": settings.UPLOAD_MAX_BYTES,
            "rows": settings.UPLOAD_MAX_ROWS,
            "columns": settings.UPLOAD_MAX_COLUMNS,
            "cells": settings.UPLOAD_MAX_CELLS,
            "cell_chars": settings.UPLOAD_MAX_CELL_BYTES,
        }
        return cls(**(values | overrides))


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def decode(data: bytes) -> Decoded:
    """The text of an uploaded file and the encoding it was read in.

    A byte-order mark is trusted (UTF-8 or UTF-16); without one, UTF-8 is tried, then
    charset-normalizer detects the encoding (Shift-JIS, EUC-KR, …), preferring
    Windows-1252 for Western text. Binary files are refused.
    """
    if not data.strip():
        raise UploadProblem("The file is empty.")
    if not data.startswith(UTF16_BOMS) and _controls(data[:20000]) > 10:
        raise UploadProblem(BINARY)
    if data.startswith(UTF16_BOMS):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise UploadProblem("The file starts as UTF-16 text but is not; save it again as CSV.") from None
    elif data.startswith(UTF8_BOM):
        try:
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            row = _line_of(data, error.start + 3)
            raise UploadProblem(
                f"Row {row}: the file starts as UTF-8 text but this row is not UTF-8; "
                "save it again as CSV UTF-8."
            ) from None
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _detected(data)
    if _controls(text[:20000].encode("utf-8", "replace")) > 10:
        raise UploadProblem(BINARY)
    return Decoded(text, encoding)


def _controls(data: bytes) -> int:
    return sum(1 for byte in data if byte < 32 and byte not in b"\t\r\n")


def _detected(data: bytes) -> tuple[str, str]:
    best = from_bytes(data[:200_000]).best()
    if best is None:  # as before detection: Windows-1252, unreadable bytes replaced
        return data.decode("cp1252", errors="replace"), "cp1252"
    guess = best.encoding
    if guess.startswith(WESTERN):
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(guess), guess
    except (UnicodeDecodeError, LookupError):
        raise UploadProblem(
            "The file's text encoding cannot be recognised; save it as CSV UTF-8 and try again."
        ) from None


def sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def read_csv(text: str, limits: Limits, delimiter: str = ",") -> list[list[str]]:
    """Every row of a CSV (or TSV) text; see ``_read_delimited``.

    Tab-separated exports (Google Sheets' TSV) do not quote: a quote is just a character.
    When quoting would leave a quote open but every line has the header's number of tabs,
    the file is read again with quotes as plain characters."""
    try:
        return _read_delimited(text, limits, delimiter, csv.QUOTE_MINIMAL)
    except UploadProblem as problem:
        if delimiter != "\t" or not ("never closed" in str(problem) or "after '\"'" in str(problem)):
            raise
        widths = {line.count("\t") for line in text.splitlines() if line.strip()}
        if len(widths) != 1:
            raise
        return _read_delimited(text, limits, delimiter, csv.QUOTE_NONE)


def _read_delimited(text: str, limits: Limits, delimiter: str, quoting: int) -> list[list[str]]:
    """Every row of a CSV text, refusing the file at the first limit it passes.

    The header's width is checked before any data row is read; rows × width is checked
    as rows arrive, so 50 MB of empty cells stops early. A quote that is never closed
    would swallow the rest of the file into one cell: it is refused, naming the row where
    it opened. Blank rows at the end are dropped.
    """
    csv.field_size_limit(limits.cell_chars)
    # Lines are sliced from the text as the reader asks (a StringIO would hold another,
    # wider copy of a 50 MB file); endings are kept, as open(newline="") does.
    lines = (match.group() for match in LINES.finditer(text))
    reader = csv.reader(lines, delimiter=delimiter, strict=True, quoting=quoting)
    rows: list[list[str]] = []
    width = 0
    # Looked for cell by cell (to name the row and column) only when the text has one.
    has_nul = "\x00" in text
    while True:
        opened = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise UploadProblem(_csv_error(str(error), opened, reader.line_num, limits)) from None
        if not rows:
            width = len(row)
            if width > limits.columns:
                raise UploadProblem(f"Row 1: {width:,} columns; at most {limits.columns:,} can be imported.")
        if len(rows) >= limits.rows or (len(rows) + 1) * max(width, len(row)) > limits.cells:
            raise UploadProblem(
                f"Row {opened}: the file holds more than {limits.rows:,} rows or "
                f"{limits.cells:,} cells; split it and import each part."
            )
        for index, cell in enumerate(row if has_nul else ()):
            if "\x00" in cell:
                raise UploadProblem(
                    f"Row {opened}, column {_column_name(rows, index)}: a NUL character (binary data); "
                    "save the file again as CSV text."
                )
        rows.append(row)
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return rows


def _column_name(rows: list[list[str]], index: int) -> str:
    """The header's name for a column, quoted, or its number where there is none."""
    header = rows[0] if rows else []
    name = header[index].replace("\x00", "").strip() if index < len(header) else ""
    return f"'{name[:60]}'" if name else str(index + 1)


def _csv_error(message: str, opened: int, reached: int, limits: Limits) -> str:
    if "field larger than field limit" in message:
        return f"Row {opened}: a cell is larger than {limits.cell_chars // 1024} KB."
    if "unexpected end of data" in message or "newline inside string" in message:
        return (
            f"Row {opened}: a quote opened in this row is never closed, so the rest of the "
            "file would be read as one cell; close the quote or remove it."
        )
    if "NUL" in message:
        return f"Row {reached}: a NUL character (binary data); save the file again as CSV text."
    return f"Row {reached}: the file cannot be read as CSV ({message})."
