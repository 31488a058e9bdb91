"""SurveyMonkey: two header rows, a question's text only above its first column and
sub-labels below; a multiple-choice question has one column per option."""

from surveys.imports.table import Layout, cleaned

PLAIN_SUBLABELS = ("", "Response", "Open-Ended Response", "0")


def detect(rows: list[list[str]]) -> Layout | None:
    first = cleaned(rows[0])
    second = cleaned(rows[1]) if len(rows) > 1 else []
    lowered = [c.lower() for c in first]
    if not (
        ("respondent id" in lowered or any(c.startswith("Unnamed: ") for c in first))
        and second
        and ("Response" in second or second[0] == "0")
    ):
        return None
    headers, current = [], ""
    for top, sub in zip(first, second + [""] * (len(first) - len(second)), strict=False):
        if top and not top.startswith("Unnamed: "):
            current = top
        headers.append(current if sub in PLAIN_SUBLABELS else f"{current} | {sub}")
    return Layout("surveymonkey", 2, headers)


def combine_option_columns(headers: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Fold the columns of one multiple-choice question ("Question | Option", holding the
    option's label when ticked) into one column whose cells join the ticked options with ";"."""
    groups: list[tuple[str, list[int]]] = []
    for index, header in enumerate(headers):
        question = header.split(" | ", 1)[0] if " | " in header else None
        if question and groups and groups[-1][0] == question:
            groups[-1][1].append(index)
        else:
            groups.append((question or header, [index]))
    combined_headers = [name for name, _ in groups]
    combined_rows = [
        [
            row[columns[0]]
            if len(columns) == 1 and " | " not in headers[columns[0]]
            else ";".join(row[i].strip() for i in columns if row[i].strip())
            for _, columns in groups
        ]
        for row in rows
    ]
    return combined_headers, combined_rows
