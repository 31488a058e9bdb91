"""Which measures a follow-up action may aim to move, without the listening log knowing
about surveys.

``conversations`` may not import ``surveys``, yet an action names the dimensions and
questions it should move. It stores them as opaque measure keys (``dimension:Reliability``,
``question:12``: the keys of ``reports.analysis.Measure``), and asks this registry for the
choices; ``surveys`` registers the provider in its AppConfig.ready().
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MeasureTarget:
    """One measure an action may target: its key (compare, never parse) and its label."""

    key: str
    label: str


_providers: list[Callable[[], list[MeasureTarget]]] = []


def register(provider: Callable[[], list[MeasureTarget]]) -> None:
    """Add a provider of targets (called again on each use, so new questions show)."""
    if provider not in _providers:
        _providers.append(provider)


def targets() -> list[MeasureTarget]:
    """Every target the registered providers offer, each key once, in their order."""
    seen: dict[str, MeasureTarget] = {}
    for provider in _providers:
        for target in provider():
            seen.setdefault(target.key, target)
    return list(seen.values())
