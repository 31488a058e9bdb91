"""Where respondent scores are computed: a hook the reports app fills.

``surveys`` keeps one row of scores per response (``surveys.models.RespondentScore``),
written with the response, but the scoring rules (reverse-scoring, "don't know" as
missing, dimension and overall means, choice options) belong to the analysis in
``reports``, which ``surveys`` may not import. So ``reports`` registers its scorers
here in ``AppConfig.ready()`` and ``surveys`` calls them: one implementation of the rules.
"""

from collections.abc import Callable, Iterable

# survey, response ids -> {response id: {measure key: score}}, from the stored answers
FromDatabase = Callable[[object, list[int]], dict[int, dict[str, float]]]
# all the survey's questions, response ids, {question id: one number or None per
# response}, {question id: the choice ids ticked, per response} -> {response id:
# {measure: score}}, from answers in hand
FromAnswers = Callable[[list, list[int], dict[int, list], dict[int, list]], dict[int, dict[str, float]]]
# the same, as (response id, the JSON text of its scores)
EncodedFromAnswers = Callable[[list, list[int], dict[int, list], dict[int, list]], list[tuple[int, str]]]

_scorers: dict[str, Callable] = {}


def register(
    *, from_database: FromDatabase, from_answers: FromAnswers, encoded_from_answers: EncodedFromAnswers
) -> None:
    _scorers["database"] = from_database
    _scorers["answers"] = from_answers
    _scorers["encoded"] = encoded_from_answers


def _scorer(name: str) -> Callable:
    if name not in _scorers:
        raise RuntimeError("No respondent scorer registered: is the reports app installed?")
    return _scorers[name]


def score_responses(survey, response_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """Every measure each response has a score in, computed from its stored answers."""
    return _scorer("database")(survey, sorted(response_ids))


def score_answers(
    questions: list, response_ids: list[int], numbers: dict[int, list], chosen: dict[int, list]
) -> dict[int, dict[str, float]]:
    """Responses' scores from answers in hand, column by column (as an import reads them;
    a submission's are columns of one): ``numbers`` maps a question id to one number (or
    None) per response of ``response_ids``, ``chosen`` a choice question's id to the
    choice ids each response ticked (a tuple, empty if none); ``questions`` are all the
    survey's."""
    return _scorer("answers")(questions, response_ids, numbers, chosen)


def encoded_scores(
    questions: list, response_ids: list[int], numbers: dict[int, list], chosen: dict[int, list]
) -> list[tuple[int, str]]:
    """``score_answers`` as each response's id and the JSON text of its scores, as
    ``surveys.models.RespondentScore`` keeps them: for an import's many responses."""
    return _scorer("encoded")(questions, response_ids, numbers, chosen)
