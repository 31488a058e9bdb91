"""Qualtrics: three header rows (export tags, question texts, ImportId JSON), or the
legacy two (V1, V2…, then texts). Unfinished responses are skipped."""

from surveys.imports.table import Layout, cleaned

METADATA = {
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "ExternalReference",
    "DistributionChannel",
    "UserLanguage",
}
FINISHED = ("finished", "abgeschlossen")


def detect(rows: list[list[str]]) -> Layout | None:
    first = cleaned(rows[0])
    second = cleaned(rows[1]) if len(rows) > 1 else []
    third = cleaned(rows[2]) if len(rows) > 2 else []
    if third and third[0].startswith('{"ImportId'):
        # Metadata keeps its export tag (StartDate, Finished, IPAddress…); questions get
        # their text (labels in the account's language).
        headers = [
            first[i]
            if first[i] in METADATA or first[i].startswith(("Recipient", "Location"))
            else second[i] or first[i]
            for i in range(len(first))
        ]
        return Layout("qualtrics", 3, headers)
    if first[:2] == ["V1", "V2"] and second and second[0] == "ResponseID":
        return Layout("qualtrics", 2, [second[i] or first[i] for i in range(len(first))])
    return None


def is_complete(value: str) -> bool:
    return value.strip().lower() not in ("0", "false", "falsch")


def completion_column(lowered: list[str]) -> int | None:
    return next((i for i, h in enumerate(lowered) if h in FINISHED), None)
