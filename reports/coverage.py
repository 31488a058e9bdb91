"""Who has been heard from lately, in any channel, and who has not."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max
from django.utils import timezone

from conversations.models import Conversation, Person
from perception.models import Department
from surveys.models import Response, Survey

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

    A survey counts by whole waves, and only where the department had at least the
    survey's minimum group size in that wave: the day shown is the wave's last day (or
    today while it is open), never the day someone answered, which could single out a
    lone respondent.
    """
    surveyed: dict[int, date] = {}
    thresholds = {survey.pk: survey.group_threshold() for survey in Survey.objects.all()}
    cells = (
        Response.objects.filter(department__isnull=False)
        .values("department", "wave__closes", "wave__survey")
        .annotate(n=Count("id"))
        .order_by()
    )
    for cell in cells:
        if cell["n"] >= thresholds[cell["wave__survey"]]:
            day = min(timezone.localdate(cell["wave__closes"]), today)
            surveyed[cell["department"]] = max(day, surveyed.get(cell["department"], day))
    talked = dict(
        Conversation.objects.values_list("departments")
        .annotate(last=Max("date"))
        .values_list("departments", "last")
    )
    noted = dict(
        Person.objects.filter(department__isnull=False, notes__isnull=False)
        .values_list("department")
        .annotate(last=Max("notes__conversation__date"))
        .values_list("department", "last")
    )
    rows = []
    for department in Department.objects.order_by("name"):
        last = _latest(surveyed.get(department.pk), talked.get(department.pk), noted.get(department.pk))
        rows.append(
            Heard(department.name, last, last is None or today - last > DEPARTMENT_WINDOW, department.pk)
        )
    return sorted(rows, key=lambda h: (not h.overdue, h.last_heard or date.min, h.name))


def influencer_coverage(today: date) -> list[Heard]:
    """Each influencer with the last conversation they took part in. Overdue after 90 days."""
    people = (
        Person.objects.filter(is_influencer=True).annotate(last=Max("conversations__date")).order_by("name")
    )
    rows = [Heard(p.name, p.last, p.last is None or today - p.last > INFLUENCER_WINDOW, p.pk) for p in people]
    return sorted(rows, key=lambda h: (not h.overdue, h.last_heard or date.min, h.name))
