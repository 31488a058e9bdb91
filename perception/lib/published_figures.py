"""Whether anyone has answered or any figure has been published, asked without importing
the rooms above.

``perception`` imports no app, yet site settings must know whether lowering the minimum
group size would re-cut figures already published, or break the promise people answered
under ("groups of at least k"). ``reports`` registers a check for published figures and
``surveys`` one for answers, in their ``AppConfig.ready()``; without any, nothing is.
"""

from collections.abc import Callable

_checks: list[Callable[[], bool]] = []


def register(check: Callable[[], bool]) -> None:
    """Add a check that answers True once people answered or figures were published."""
    if check not in _checks:
        _checks.append(check)


def any_published() -> bool:
    return any(check() for check in _checks)
