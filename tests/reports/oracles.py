"""Test-only helpers: slow, obvious versions of what production does in SQL or in closed
form, to check it against."""

import pandas as pd


def answers_table(answers: pd.DataFrame) -> pd.DataFrame:
    """Long answers (``response, wave, respondent, submitted, [department], column,
    value``) to the per-response table: one row per response, one column per item."""
    ids = [c for c in ("response", "wave", "respondent", "submitted", "department") if c in answers]
    table = answers.groupby([*ids, "column"], dropna=False)["value"].first().unstack("column")
    table.columns.name = None
    return table.reset_index()


def latest_only(table: pd.DataFrame) -> pd.DataFrame:
    """Keep each respondent's latest response inside each wave (latest ``submitted``, then
    highest ``response`` id): what ``queries.kept_responses`` does in SQL."""
    ordered = table.sort_values(["wave", "respondent", "submitted", "response"], kind="stable")
    return ordered.drop_duplicates(["wave", "respondent"], keep="last")


def count_scores(respondents: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """A respondent-level frame (``measure, wave, score`` per person) to the counted form."""
    keys = ["measure", *by, "wave", "score"]
    return respondents.groupby(keys, as_index=False).size().rename(columns={"size": "count"})
