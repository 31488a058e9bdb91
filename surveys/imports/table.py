"""What every reader produces: a table of text cells with its headers, and the one
error every step of an import raises."""

from dataclasses import dataclass


class ImportProblem(ValueError):
    """The file cannot be imported; the message says where and why. Nothing was stored."""


@dataclass
class Table:
    format: str
    headers: list[str]
    rows: list[list[str]]
    first_data_row: int  # the file's row number of rows[0], for messages
    skipped_incomplete: int = 0
    incomplete_column: str | None = None
    encoding: str = ""  # how the text was read ("utf-8", "cp1252", "shift_jis", … or "xlsx")


@dataclass(frozen=True)
class Layout:
    """How a format lays out its header: the format's name, how many rows the header
    takes, and one header text per column."""

    format: str
    header_rows: int
    headers: list[str]


def clean(cell: str) -> str:
    return cell.replace("\ufeff", "").strip()


def cleaned(row: list[str]) -> list[str]:
    return [clean(cell) for cell in row]
