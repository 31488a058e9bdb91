"""Google Forms, Microsoft Forms and any plain CSV: one header row, one row per
response. They differ only in their first headers, which tell them apart."""

from surveys.imports.table import Layout, cleaned

MICROSOFT_FORMS_START = ["id", "start time", "completion time", "email", "name"]


def detect_known(rows: list[list[str]]) -> Layout | None:
    """Microsoft Forms or Google Forms, from the first headers; None for anything else."""
    first = cleaned(rows[0])
    lowered = [c.lower() for c in first]
    if lowered[:5] == MICROSOFT_FORMS_START:
        return Layout("microsoft-forms", 1, first)
    if lowered and lowered[0] == "timestamp":
        return Layout("google-forms", 1, first)
    return None


def plain(rows: list[list[str]]) -> Layout:
    return Layout("csv", 1, cleaned(rows[0]))
