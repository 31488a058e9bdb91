"""A realistic, deterministic demo organisation for the `it-service` survey.

The data carries real signal so the product looks alive on first run:
- Communication and empathy improves wave on wave;
- Finance grows less satisfied wave on wave;
- Legal is small (fewer than 5 respondents a wave), so its figures are suppressed;
- comments recur on a few themes, and one theme is raised by many people; the past
  waves' comments are coded, the open wave's wait in the coding queue;
- a separate overall question ("Overall, how satisfied…") that Responsiveness drives
  most, so the drivers page has something to find;
- each wave has an IT self-view wave: fifteen IT staff answering as they think users
  would, rating Responsiveness and Reliability well above users (blind spots), a gap
  that narrows wave on wave.
Everything is drawn from one seeded random generator: same date, same data.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from perception.models import Department, SiteSettings, Theme
from surveys import instrument
from surveys.bulk import mark_answered
from surveys.models import Answer, Question, Response, Survey, Wave

SEED = 20261123

# (name, share of respondents, baseline satisfaction on 1..5, change per wave)
DEPARTMENTS = [
    ("Finance", 0.16, 3.9, -0.30),
    ("Human Resources", 0.12, 3.7, 0.0),
    ("Sales", 0.22, 3.4, 0.05),
    ("Operations", 0.20, 3.3, 0.05),
    ("Research", 0.16, 3.6, 0.05),
    ("Customer Service", 0.12, 3.2, 0.10),
    ("Legal", 0.02, 3.8, 0.0),
]
IMPROVING_DIMENSION = "Communication and empathy"
# A change IT made that worked (conversations/demo.py: done between the second and third
# waves): from the third wave on, Responsiveness is half a point higher and fewer people
# raise slow tickets. The other demo action (meeting-room Wi-Fi, for Human Resources)
# changed nothing, so its figures carry no shift.
RESPONSIVENESS_SHIFT = ("Responsiveness", 2, 0.5)  # dimension, from wave index, lift

OVERALL_QUESTION = "Overall, how satisfied are you with the help you get from IT?"
OVERALL_LABELS = ["Very dissatisfied", "Dissatisfied", "Neither", "Satisfied", "Very satisfied"]
# How much each dimension weighs in a person's overall satisfaction (the drivers page
# should find Responsiveness first).
OVERALL_WEIGHTS = {
    "Responsiveness": 0.45,
    "Reliability": 0.25,
    "Competence": 0.15,
    "Communication and empathy": 0.10,
    "Professionalism": 0.05,
}
# IT's self-view: how much better than users IT believes users rate it, per dimension,
# in the first wave; the gap narrows by a sixth of it each wave after.
SELF_VIEW_PEOPLE = 15
SELF_VIEW_OPTIMISM = {
    "Responsiveness": 1.1,
    "Reliability": 0.8,
    "Competence": 0.3,
    "Communication and empathy": -0.2,
    "Professionalism": 0.1,
}

THEMES = {
    "Slow ticket resolution": (
        "Requests and incidents take longer than people expect.",
        [
            "Tickets sit for days without anyone replying.",
            "Fix things faster; I waited two weeks for a new monitor.",
            "Please tell us when a ticket is picked up, it feels like nobody sees them.",
            "Ticket response times. Simple requests take far too long.",
        ],
    ),
    "Communication of changes": (
        "Changes to systems arrive without warning or explanation.",
        [
            "Warn us before updates restart our laptops mid-meeting.",
            "Tell us about changes before they happen, not after.",
            "The new VPN appeared with no explanation of why.",
        ],
    ),
    "Wi-Fi in meeting rooms": (
        "Wireless coverage and reliability in shared spaces.",
        [
            "The Wi-Fi in the big meeting rooms drops all the time.",
            "Fix the wireless on the third floor.",
        ],
    ),
    "Software requests": (
        "Getting approved software and tools for the work.",
        [
            "I needed a diagram tool for a client deadline and the request took a month, "
            "so I used a free web one.",
            "Make it easier to get the software we need; approvals are slow.",
            "We share files with partners through a personal cloud account "
            "because ours is blocked for guests.",
        ],
    ),
    "Friendly, helpful staff": (
        "Appreciation for how IT people treat users.",
        [
            "Keep doing what you do: the help desk people are lovely.",
            "Nothing major; staff are always patient with me.",
        ],
    ),
}
THEME_WEIGHTS = {
    "Slow ticket resolution": 5,
    "Communication of changes": 3,
    "Wi-Fi in meeting rooms": 2,
    "Software requests": 3,
    "Friendly, helpful staff": 2,
}


def _theme_weights(index: int) -> list[int]:
    """After the ticket change, slow tickets are raised less often."""
    weights = dict(THEME_WEIGHTS)
    if index >= RESPONSIVENESS_SHIFT[1]:
        weights["Slow ticket resolution"] = 2
    return list(weights.values())


@dataclass
class DemoSummary:
    departments: int
    waves: int
    responses: int
    open_wave: str


def _self_view(wave: Wave, index: int, ratings: list[Question], rng: random.Random) -> None:
    """IT staff answering the wave's questions as they think users would (personal links,
    no department): kinder to IT than users are, less so each wave."""
    from surveys.services import self_view_wave_create

    self_view = self_view_wave_create(wave=wave)
    if self_view.responses.exists():
        return
    responses, answers = [], []
    for _ in range(SELF_VIEW_PEOPLE):
        response = Response(
            wave=self_view,
            respondent_key=uuid.UUID(int=rng.getrandbits(128)).hex,
            submitted=wave.survey.submission_time(wave.opens + timedelta(days=2)),
            source=Response.DEMO,
        )
        responses.append(response)
        latent = rng.gauss(3.55, 0.4)
        for question in ratings:
            optimism = SELF_VIEW_OPTIMISM[question.dimension] * (1 - index / 6)
            value = _clip(latent + optimism + rng.gauss(0, 0.5), 1, 5)
            if question.reverse_scored:
                value = 6 - value
            answers.append(Answer(response=response, question=question, number=value))
    Response.objects.bulk_create(responses)
    _store_answers(answers)


def _store_answers(answers: list[Answer]) -> None:
    """Store answers built beside their (now stored) responses; their questions then say
    they have answers, as every writer of answers does."""
    for answer in answers:
        answer.response_id = answer.response.pk
    Answer.objects.bulk_create(answers)
    mark_answered(answer.question_id for answer in answers)


def _quarter_label(moment: datetime) -> str:
    return f"{moment.year} Q{(moment.month - 1) // 3 + 1}"


def _mean(values: list[int]) -> float:
    return sum(values) / len(values)


def _clip(value: float, low: int, high: int) -> int:
    return int(min(high, max(low, round(value))))


@transaction.atomic
def build(now: datetime) -> DemoSummary:
    """Create the demo organisation: 7 departments, 4 quarterly waves, the last one open."""
    rng = random.Random(SEED)
    site = SiteSettings.load()
    site.organisation_name = "Northwind Trading"
    site.contact_line = "IT Service Desk · servicedesk@northwind.example · +44 20 7946 0000"
    site.save()

    departments = {name: Department.objects.get_or_create(name=name)[0] for name, *_ in DEPARTMENTS}
    themes = {
        name: Theme.objects.get_or_create(name=name, defaults={"description": description})[0]
        for name, (description, _) in THEMES.items()
    }
    instrument.install(Survey, Question)
    survey = Survey.objects.get(slug=instrument.SLUG)
    questions = list(survey.questions.all())
    ratings = [q for q in questions if q.kind == Question.RATING_5 and not q.overall_measure]
    recommend = next(q for q in questions if q.likelihood_to_recommend)
    change_question = next(q for q in questions if q.text == instrument.CHANGE)
    in_the_way = next(q for q in questions if q.text == instrument.GOT_IN_THE_WAY)
    overall_question, _ = Question.objects.get_or_create(
        survey=survey,
        text=OVERALL_QUESTION,
        defaults={
            "order": max(q.order for q in ratings) + 5,
            "kind": Question.RATING_5,
            "overall_measure": True,
            "scale_labels": OVERALL_LABELS,
        },
    )
    # Its own generator, so adding it left every other demo answer as it was.
    overall_rng = random.Random(SEED + 1)

    start = (now - timedelta(days=21)).replace(hour=9, minute=0, second=0, microsecond=0)
    wave_starts = [start - timedelta(days=91 * k) for k in (3, 2, 1, 0)]
    total = 0
    theme_names = list(THEME_WEIGHTS)
    for index, opens in enumerate(wave_starts):
        closes = opens + timedelta(days=49 if index == 3 else 28)
        wave, _ = Wave.objects.get_or_create(
            survey=survey, label=_quarter_label(opens), defaults={"opens": opens, "closes": closes}
        )
        # The open wave has been running three weeks of seven: fewer answers so far.
        n = rng.randint(150, 200) if index < 3 else rng.randint(90, 120)
        window = min(closes, now) - opens
        responses, answers, codings = [], [], []
        for _ in range(n):
            name, _, base, slope = rng.choices(DEPARTMENTS, weights=[d[1] for d in DEPARTMENTS])[0]
            latent = rng.gauss(base + slope * index, 0.6)
            response = Response(
                wave=wave,
                respondent_key=uuid.UUID(int=rng.getrandbits(128)).hex,
                department=departments[name] if rng.random() > 0.08 else None,
                submitted=survey.submission_time(opens + window * rng.random()),
                source=Response.DEMO,
            )
            responses.append(response)
            given: dict[str, list[int]] = {}
            for question in ratings:
                # A few skip a statement; they then count in no dimension figure (a
                # dimension, its items and the overall score rest on the same people).
                if rng.random() < 0.01:
                    continue
                lift = 0.25 * index - 0.35 if question.dimension == IMPROVING_DIMENSION else 0.0
                shifted, from_wave, shift = RESPONSIVENESS_SHIFT
                lift += shift if question.dimension == shifted and index >= from_wave else 0.0
                value = _clip(latent + lift + rng.gauss(0, 0.55), 1, 5)
                given.setdefault(question.dimension, []).append(value)
                if question.reverse_scored:
                    value = 6 - value
                answers.append(Answer(response=response, question=question, number=value))
            felt = sum(weight * _mean(given.get(name, [3])) for name, weight in OVERALL_WEIGHTS.items())
            answers.append(
                Answer(
                    response=response,
                    question=overall_question,
                    number=_clip(felt + overall_rng.gauss(0, 0.45), 1, 5),
                )
            )
            answers.append(
                Answer(
                    response=response,
                    question=recommend,
                    number=_clip((latent - 1) * 2.6 + rng.gauss(0, 1.1), 0, 10),
                )
            )
            for question, share in ((change_question, 0.45), (in_the_way, 0.12)):
                if rng.random() < share:
                    theme = (
                        "Software requests"
                        if question is in_the_way
                        else rng.choices(theme_names, weights=_theme_weights(index))[0]
                    )
                    text = rng.choice(THEMES[theme][1])
                    # Past waves' comments were coded; the open wave's wait in the coding queue.
                    coded = index < 3
                    answer = Answer(
                        response=response,
                        question=question,
                        text=text,
                        reviewed_at=response.submitted if coded else None,
                    )
                    answers.append(answer)
                    if coded:
                        codings.append((answer, themes[theme]))
        Response.objects.bulk_create(responses)
        _store_answers(answers)
        Answer.themes.through.objects.bulk_create(
            Answer.themes.through(answer_id=answer.pk, theme_id=theme.pk) for answer, theme in codings
        )
        total += n
        _self_view(wave, index, ratings, overall_rng)
    return DemoSummary(len(departments), len(wave_starts), total, _quarter_label(start))
