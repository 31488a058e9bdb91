"""Reading small CSV files that people upload (codebooks, service metrics)."""

from perception.uploads import Limits, UploadProblem, decode, read_csv

# The older name, kept for the callers that catch it.
CsvProblem = UploadProblem


def _join(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def read_rows(
    data: bytes, columns: list[str], limits: Limits | None = None
) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: stripped text}) for every data row; column names are matched
    without regard to case. Read by the one upload decoder and CSV reader (limits, NUL
    bytes, unclosed quotes); refuses files that lack a column or have a row with more
    cells than the header."""
    limits = limits or Limits.from_settings()
    if len(data) > limits.bytes:
        raise UploadProblem(f"The file is larger than {limits.bytes // (1024 * 1024)} MB.")
    decoded = decode(data)
    table = read_csv(decoded.text, limits, delimiter=",")
    header = [name.strip().lower() for name in (table[0] if table else [])]
    missing = [column for column in columns if column not in header]
    if missing:
        raise UploadProblem(f"The file needs the columns {_join(columns)}; missing: {', '.join(missing)}.")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            raise UploadProblem(f"Row {number}: more cells than columns.")
        padded = cells + [""] * (len(header) - len(cells))
        rows.append((number, {key: value.strip() for key, value in zip(header, padded, strict=True)}))
    return rows
