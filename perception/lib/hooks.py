"""Doors from a lower room to a higher one, without an import pointing up.

``surveys`` may import neither ``conversations`` nor ``reports``, yet the invitation
pages choose recipients from People and show how many answered from the published
figures. The higher app fills in a hook in its ``AppConfig.ready()``; the lower one
calls it and copes when nobody did (an app not installed).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Recipient:
    """Someone to invite: an address, and their department's id if known."""

    email: str
    department_id: int | None


@dataclass(frozen=True)
class PeopleDirectory:
    """Who can be chosen as recipients (filled in by ``conversations``)."""

    # (value, label) pairs of influence levels
    influence_choices: Callable[[], list[tuple[str, str]]]
    # recipients with an address, filtered by department ids and influence values
    # (each list empty for "any"); only ever called with at least one of them set
    find: Callable[[list[int], list[str]], list[Recipient]]


_people: PeopleDirectory | None = None
_published_respondents: Callable[[object], int | None] | None = None
_request_publication: Callable[[object], object] | None = None
_published_responses: Callable[[list[int]], object] | None = None


def register_people(directory: PeopleDirectory) -> None:
    global _people
    _people = directory


def people() -> PeopleDirectory | None:
    return _people


def register_published_respondents(count: Callable[[object], int | None]) -> None:
    global _published_respondents
    _published_respondents = count


def published_respondents(wave) -> int | None:
    """How many respondents the wave's published figures count, or None when nothing is
    published yet (or the count is hidden): never a live count, so it moves only in the
    batches publication allows and cannot be differenced around one person's answer."""
    if _published_respondents is None:
        return None
    return _published_respondents(wave)


def register_publication_request(request: Callable[[object], object]) -> None:
    global _request_publication
    _request_publication = request


def request_publication(survey) -> None:
    """Ask for the survey's figures to be published soon, by a background task: after an
    import has brought many responses at once, so that the first reader finds them
    published rather than publishing them inside a page request (a 100,000-row import
    takes most of a minute to publish). Nothing happens when nobody registered."""
    if _request_publication is not None:
        _request_publication(survey)


def register_published_responses(responses: Callable[[list[int]], object]) -> None:
    global _published_responses
    _published_responses = responses


def published_responses(wave_ids: list[int]):
    """The ids of the responses of these waves that published figures count (a query of
    ``response_id`` values, to filter with), publications first brought up to date; None
    when nobody registered. A comment is coded only once its author is counted: coding a
    comment whose author never is (the remainder a closed wave leaves out) and watching a
    theme's count stay put would tell that its author is one of those few people."""
    if _published_responses is None:
        return None
    return _published_responses(wave_ids)
