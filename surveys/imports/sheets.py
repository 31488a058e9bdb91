"""Bytes to rows of text: a CSV/TSV file through the shared upload reader, or the first
sheet of an Excel workbook, read within the same limits.

An XLSX is a zip of XML files. Each member's uncompressed size is checked before
anything is unpacked; the sheet is read in read-only mode, refusing a declared extent
beyond the limits (a 1.5 KB file can claim A1:XFD1048576) and counting the real rows and
cells as they stream; the XML is parsed by defusedxml (openpyxl uses it when installed),
so entities (external or billion-laughs) are refused.
"""

import io
import zipfile
from datetime import datetime
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from perception.uploads import Limits, UploadProblem, decode, read_csv, sniff_delimiter
from surveys.imports.table import ImportProblem

XLSX_MAGIC = b"PK\x03\x04"


def read_rows(data: bytes, limits: Limits) -> tuple[list[list[str]], str]:
    """(rows of text cells, how the text was read: an encoding or "xlsx")."""
    try:
        if data[:4] == XLSX_MAGIC:
            return read_xlsx(data, limits), "xlsx"
        decoded = decode(data)
        return read_csv(decoded.text, limits, sniff_delimiter(decoded.text)), decoded.encoding
    except UploadProblem as problem:
        raise ImportProblem(str(problem)) from None


def _check_members(archive: zipfile.ZipFile, limits: Limits) -> None:
    # An XML sheet takes a few dozen bytes a cell: allow that for every permitted cell.
    allowed = max(limits.bytes * 10, limits.cells * 64)
    for member in archive.infolist():
        if member.file_size > allowed:
            raise UploadProblem(
                f"The Excel file's part {member.filename} unpacks to "
                f"{member.file_size // (1024 * 1024):,} MB; it cannot be a survey export."
            )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def read_xlsx(data: bytes, limits: Limits) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_members(archive, limits)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return _sheet_rows(workbook.worksheets[0], limits)
        finally:
            workbook.close()
    except UploadProblem:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, ParseError, SyntaxError) as error:
        if _caused_by(error, DefusedXmlException):
            raise UploadProblem(
                "The Excel file contains XML entities or a document type, which exports never do; "
                "it was not read."
            ) from None
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UploadProblem(f"The Excel file cannot be read ({first_line}).") from None


def _caused_by(error: BaseException | None, kind: type) -> bool:
    """openpyxl wraps what went wrong in a ValueError: look down the chain."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, kind):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _sheet_rows(sheet, limits: Limits) -> list[list[str]]:
    declared_rows, declared_columns = sheet.max_row, sheet.max_column
    if (declared_rows or 0) > limits.rows + 10 or (declared_columns or 0) > limits.columns:
        raise UploadProblem(
            f"The Excel sheet declares {declared_rows or 0:,} rows × {declared_columns or 0:,} columns; "
            f"at most {limits.rows:,} rows and {limits.columns:,} columns can be imported."
        )
    # The declared extent may also be smaller than the data: read the real one, bounded
    # by counting as rows stream in (a row's width is its last cell's column, at most 16,384).
    sheet.reset_dimensions()
    rows: list[list[str]] = []
    width = 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if len(values) > limits.columns:
            raise UploadProblem(f"Row {number}: more than {limits.columns:,} columns can be imported.")
        row = [_text(v) for v in values]
        width = max(width, len(row))
        if number > limits.rows + 10 or number * width > limits.cells:
            raise UploadProblem(
                f"Row {number}: the sheet holds more than {limits.rows:,} rows or {limits.cells:,} cells; "
                "split it and import each part."
            )
        for column, cell in enumerate(row, start=1):
            if len(cell) > limits.cell_chars:
                raise UploadProblem(
                    f"Row {number}, column {column}: a cell is larger than {limits.cell_chars // 1024} KB."
                )
        rows.append(row)
    rows = [row + [""] * (width - len(row)) for row in rows]
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return rows
