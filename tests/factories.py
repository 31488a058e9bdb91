"""Small helpers that build test data with only what a test cares about."""

from datetime import timedelta

from django.utils import timezone

from perception.models import Department
from surveys.models import Choice, Question, Survey, Wave


def make_survey(slug: str = "pulse", anonymity: str = Survey.ANONYMOUS, **fields) -> Survey:
    return Survey.objects.create(title=fields.pop("title", "Pulse"), slug=slug, anonymity=anonymity, **fields)


def add_question(survey: Survey, kind: str, text: str | None = None, choices=(), **fields) -> Question:
    order = survey.questions.count() + 1
    question = Question.objects.create(
        survey=survey, order=order, kind=kind, text=text or f"{kind} question {order}", **fields
    )
    for position, label in enumerate(choices):
        Choice.objects.create(question=question, order=position, label=label)
    return question


def make_wave(survey: Survey, state: str = "open", label: str | None = None) -> Wave:
    """A wave that is open now, opens later ("upcoming") or has ended ("closed")."""
    now = timezone.now()
    opens, closes = {
        "open": (now - timedelta(days=1), now + timedelta(days=7)),
        "upcoming": (now + timedelta(days=3), now + timedelta(days=10)),
        "closed": (now - timedelta(days=30), now - timedelta(days=2)),
    }[state]
    return Wave.objects.create(survey=survey, label=label or f"{state} wave", opens=opens, closes=closes)


def make_departments(*names: str) -> list[Department]:
    return [Department.objects.get_or_create(name=name)[0] for name in names]


def add_response(
    wave: Wave, answers: dict, department=None, key: str | None = None, submitted=None, source: str = "link"
):
    """Store one response directly (numbers for scales, text for free text), bypassing the
    form; by default as if through a personal link (open-link answers, ``source="web"``,
    wait for their wave to close before any figure counts them)."""
    import uuid

    from surveys.models import Answer, Response

    response = Response.objects.create(
        wave=wave,
        respondent_key=key or uuid.uuid4().hex,
        department=department,
        submitted=submitted or wave.opens + timedelta(hours=1),
        source=source,
    )
    for question, value in answers.items():
        if question.is_numeric:
            Answer.objects.create(response=response, question=question, number=value)
        else:
            Answer.objects.create(response=response, question=question, text=value)
    return response


def make_user(username: str, role: str | None = None):
    """A signed-in-able staff user with one role: "Listeners", "Viewers" or none."""
    from django.contrib.auth.models import Group, Permission, User

    from perception.roles import ROLE_PERMISSIONS

    user = User.objects.create_user(username, f"{username}@example.org", "a-long-test-password")
    if role:
        group, created = Group.objects.get_or_create(name=role)
        if created:
            # Browser tests flush the database, and with it the groups the migration made.
            group.permissions.add(*Permission.objects.filter(codename__in=ROLE_PERMISSIONS.get(role, [])))
        user.groups.add(group)
    return user


def make_conversation(kind: str = "focus_group", days_ago: int = 3, departments=(), people=(), **fields):
    from conversations.models import Conversation

    conversation = Conversation.objects.create(
        kind=kind, date=timezone.localdate() - timedelta(days=days_ago), **fields
    )
    conversation.departments.set(departments)
    conversation.participants.set(people)
    return conversation


def make_past_waves(survey: Survey, labels: list[str]) -> list[Wave]:
    """Closed waves about a quarter apart, oldest first, the last one ending last week."""
    waves = []
    for index, label in enumerate(labels):
        wave = make_wave(survey, "closed", label=label)
        back = timedelta(days=100 * (len(labels) - index))
        wave.opens, wave.closes = wave.opens - back, wave.closes - back
        wave.save(update_fields=["opens", "closes"])
        waves.append(wave)
    return waves
