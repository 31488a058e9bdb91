"""Who has been heard from lately, in any channel, and who has not."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from perception.models import Department
from reports import disclosure, queries

DEPARTMENT_WINDOW = timedelta(days=60)
INFLUENCER_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class Heard:
    name: str
    last_heard: date | None
    overdue: bool
    object_id: int


def _latest(*dates: date | None) -> date | None:
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def department_coverage(today: date) -> list[Heard]:
    """Each department with the last day anyone in it was heard: a survey wave, a
    conversation held with it, or a note from one of its people. Overdue after 60 days.

    A survey counts by whole waves, and only where the published figures show the
    department's cell (reports.disclosure): the day shown is the wave's last day (or
    today while it is open), never the day someone answered, and it changes only when
    the figures do, so it counts nobody one by one.
    """
    disclosure.ensure_all_published()
    surveyed: dict[int, date] = {}
    for department, closes in queries.department_published_waves():
        day = min(timezone.localdate(closes), today)
        surveyed[department] = max(day, surveyed.get(department, day))
    talked = queries.department_conversation_days()
    noted = queries.department_note_days()
    rows = []
    for department in Department.objects.order_by("name"):
        last = _latest(surveyed.get(department.pk), talked.get(department.pk), noted.get(department.pk))
        rows.append(
            Heard(department.name, last, last is None or today - last > DEPARTMENT_WINDOW, department.pk)
        )
    return sorted(rows, key=lambda h: (not h.overdue, h.last_heard or date.min, h.name))


def influencer_coverage(today: date) -> list[Heard]:
    """Each influencer with the last conversation they took part in. Overdue after 90 days."""
    rows = [
        Heard(name, last, last is None or today - last > INFLUENCER_WINDOW, pk)
        for name, last, pk in queries.influencers_last_heard()
    ]
    return sorted(rows, key=lambda h: (not h.overdue, h.last_heard or date.min, h.name))
