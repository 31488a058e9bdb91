"""Whether any figures have been published, asked without importing the reports room.

``perception`` imports no app, yet site settings must know whether lowering the minimum
group size would re-cut figures already published. The reports app registers its check
in ``ReportsConfig.ready()``; without one (reports not installed), nothing is published.
"""

from collections.abc import Callable

_checks: list[Callable[[], bool]] = []


def register(check: Callable[[], bool]) -> None:
    """Add a check that answers True once any figures have been published."""
    if check not in _checks:
        _checks.append(check)


def any_published() -> bool:
    return any(check() for check in _checks)
