"""LimeSurvey: one header row of codes (``Q2[SQ001]`` sub-questions) or texts; a
response without a submit date is incomplete and skipped."""

import re

from surveys.imports.table import Layout, cleaned

MARKERS = {"submitdate", "lastpage", "startlanguage"}
SUBQUESTION = re.compile(r"^\w+\[\w+\]")


def detect(rows: list[list[str]]) -> Layout | None:
    first = cleaned(rows[0])
    if MARKERS & {c.lower() for c in first} or any(SUBQUESTION.match(c) for c in first):
        return Layout("limesurvey", 1, first)
    return None


def is_complete(value: str) -> bool:
    return bool(value.strip())


def completion_column(lowered: list[str]) -> int | None:
    submitted = (i for i, h in enumerate(lowered) if h.startswith("submitdate") or h == "date submitted")
    return next(submitted, None)
