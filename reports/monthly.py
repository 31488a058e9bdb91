"""The monthly perception report: two or three key metrics, very short, every month.

``compose`` reads the same trends document as the dashboard (cut at the end of the
month) plus a few counts, and returns the subject, the plain-text and HTML bodies and the
metrics behind them. ``report_send`` claims the month (one row per month), sends once and
records it.
"""

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from django.conf import settings as django_settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from conversations.models import Action, Conversation
from perception.lib import emails
from perception.models import SiteSettings
from reports import queries, summary
from reports.cache import trends_document
from reports.disclosure import RESPONDENTS, ensure_published
from reports.models import MonthlyReport, PublishedScore, ReportSettings, ServiceMetric
from surveys.models import Response, Survey

MAX_WORDS = 120
MIN_METRICS, MAX_METRICS = 2, 3
CLOSING = "IT exists to support your work."


class ReportError(Exception):
    """The report cannot be composed or sent; the message says what to fix."""


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(start: date) -> date:
    return month_start(start - timedelta(days=1))


def month_end(start: date) -> date:
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def due_period(today: date, send_day: int) -> date | None:
    """The month whose report is due today: last month, once ``send_day`` has come."""
    return previous_month(month_start(today)) if today.day >= send_day else None


def metric_choices(survey) -> list[tuple[str, str]]:
    """Every metric a report can carry, for the settings form."""
    choices = [
        ("overall", "Overall perception score"),
        ("net_score", "Net score (likelihood-to-recommend question)"),
        ("favorable", "Favourable share"),
    ]
    if survey is not None:
        dimensions = sorted(set(survey.questions.exclude(dimension="").values_list("dimension", flat=True)))
        choices += [(f"dimension:{name}", f"{name} score") for name in dimensions]
        # Every question is a measure: rated ones by their mean, choice options by their share.
        questions = list(survey.questions.prefetch_related("choices"))
        choices += [(f"question:{q.pk}", f"{q.text} (mean)") for q in questions if q.is_numeric]
        choices += [(m.key, f"{m.question}: {m.option} (share)") for m in queries.choice_measures(questions)]
    choices += [
        ("people_heard", "People heard this month"),
        ("actions_completed", "Follow-up actions completed"),
    ]
    names = ServiceMetric.objects.order_by("name").values_list("name", flat=True).distinct()
    choices += [(f"service:{name}", f"{name} (help desk)") for name in names]
    return choices


@dataclass
class Metric:
    key: str
    phrase: str  # for the subject line: "satisfaction 4.2 of 5, up from 4.0"
    sentence: str  # for the body
    value: float | None
    previous: float | None = None
    direction: str = ""


def _change_words(direction: str, previous: str | None, previous_when: str | None) -> str:
    if direction == "up":
        return f", up from {previous}"
    if direction == "down":
        return f", down from {previous}"
    if direction == "about the same":
        return f", about the same as {previous_when}"
    return ""


def _survey_metric(key: str, document: dict) -> Metric | None:
    """A figure from the trends document; None when the latest wave is too small to show.

    The sentence carries the change with its 95% interval and, from three waves on, the
    trend per month, in the words the dashboard uses (``reports.summary``)."""
    if key == "net_score":
        measure, figure = summary.net_score_measure(document), "net_score"
    elif key == "favorable":
        measure, figure = summary.find_measure(document, "overall"), "favorable"
    else:
        measure = summary.find_measure(document, key)
        figure = "favorable" if measure is not None and measure["kind"] == "choice" else "mean"
    if measure is None or (figure == "favorable" and not measure["favorable_definition"]):
        return None
    head = summary.headline(measure, figure)
    if head.suppressed:
        return None
    if figure == "net_score":
        shown, previous = f"{head.value:+.0f}", f"{head.previous:+.0f}" if head.previous is not None else None
        name, of = "net score", ""
    elif figure == "favorable":
        shown, previous = f"{head.value:.0%}", f"{head.previous:.0%}" if head.previous is not None else None
        name, of = (
            ("favourable", "")
            if measure["kind"] != "choice"
            else (
                f"chose “{measure['option']}” ({measure['question']})",
                "",
            )
        )
    else:
        shown, previous = f"{head.value:.1f}", f"{head.previous:.1f}" if head.previous is not None else None
        name = "satisfaction" if measure["kind"] == "overall" else measure["label"].lower()
        of = f" of {head.scale_high}"
    change = _change_words(head.direction, previous, head.previous_wave)
    phrase = f"{shown} {name}{change}" if figure == "favorable" else f"{name} {shown}{of}{change}"
    details = [f"{head.n} people, {head.wave} survey"]
    if head.definition and measure["kind"] != "choice":
        details.append(head.definition)
    if head.change:
        details.append(f"change {head.change}")
    if measure["trend"]["waves"] >= 3 and head.trend:
        details.append(f"trend {head.trend}")
    sentence = f"{phrase[0].upper()}{phrase[1:]} ({'; '.join(details)})"
    return Metric(key, phrase, sentence, head.value, head.previous, head.direction)


def _people_heard(start: date) -> int:
    end = month_end(start)
    # Published respondents only (reports.disclosure): they join in whole batches, so a
    # single new response never moves the count.
    published = PublishedScore.objects.filter(measure=RESPONDENTS).values("response_id")
    surveyed = Response.objects.filter(
        pk__in=published, submitted__date__gte=start, submitted__date__lte=end
    ).count()
    conversations = Conversation.objects.filter(date__gte=start, date__lte=end)
    named = conversations.aggregate(n=Count("participants", distinct=True))["n"]
    unnamed = conversations.aggregate(n=Sum("unnamed_participants"))["n"] or 0
    return surveyed + named + unnamed


def _actions_completed(start: date) -> list[Action]:
    return list(
        Action.objects.filter(done_on__gte=start, done_on__lte=month_end(start)).order_by("done_on", "id")
    )


def _count_metric(key: str, start: date) -> Metric | None:
    before = previous_month(start)
    if key == "people_heard":
        now, then = _people_heard(start), _people_heard(before)
        return Metric(
            key,
            f"we heard from {now} people",
            f"We heard from {now} people ({then} the month before)",
            now,
            then,
        )
    if key == "actions_completed":
        now, then = len(_actions_completed(start)), len(_actions_completed(before))
        return Metric(
            key,
            f"{now} changes made",
            f"We completed {now} follow-up actions ({then} the month before)",
            now,
            then,
        )
    name = key.removeprefix("service:")
    current = ServiceMetric.objects.filter(name=name, month=start).first()
    if current is None:
        return None
    earlier = ServiceMetric.objects.filter(name=name, month=before).first()
    shown = f"{current.value:g}{current.unit}"
    tail = f" ({earlier.value:g}{earlier.unit} the month before)" if earlier else ""
    return Metric(
        key, f"{name} {shown}", f"{name}: {shown}{tail}", current.value, earlier.value if earlier else None
    )


@dataclass
class Composition:
    period: date
    subject: str
    body_text: str
    body_html: str
    metrics: list[dict]
    recipients: list[str]
    sender: str
    chart_png: bytes | None = field(default=None, repr=False)

    @property
    def words(self) -> int:
        return len(self.body_text.split())


def compose(period: date, settings: ReportSettings | None = None) -> Composition:
    """Build the report for the month starting at ``period`` (nothing is saved or sent)."""
    settings = settings or ReportSettings.load()
    if not MIN_METRICS <= len(settings.metrics) <= MAX_METRICS:
        raise ReportError("Choose two or three metrics in the monthly report settings.")
    for survey in Survey.objects.all():
        ensure_published(survey)
    document = None
    if settings.survey is not None:
        document = trends_document(settings.survey, until=month_end(period))
    metrics = []
    for key in settings.metrics:
        if key in {"people_heard", "actions_completed"} or key.startswith("service:"):
            metric = _count_metric(key, period)
        else:
            metric = _survey_metric(key, document) if document else None
        if metric is not None:
            metrics.append(metric)
    if not metrics:
        raise ReportError("None of the chosen metrics has a figure for this month yet.")
    month = f"{period:%B}"
    site = SiteSettings.load()
    changed = [action.title for action in _actions_completed(period)]
    context = {
        "month": month,
        "year": period.year,
        "site": site,
        "metrics": metrics,
        "changed": changed,
        "closing": CLOSING,
        "contact": settings.contact_line() or site.contact_line,
        "chart": False,
    }
    email = emails.render("monthly", context)
    while len(email.text.split()) > MAX_WORDS and context["changed"]:
        context["changed"] = context["changed"][:-1]  # keep the report short: fewer examples
        email = emails.render("monthly", context)
    chart_png = None
    headline_measure = summary.find_measure(document, metrics[0].key) if document else None
    if (
        settings.include_chart
        and headline_measure
        and sum(not w["suppressed"] for w in headline_measure["waves"]) >= 2
    ):
        from reports import charts  # matplotlib loads only when a chart is drawn

        chart_png = charts.trend_png(headline_measure)
        context["chart"] = True
        email = emails.render("monthly", context)
    return Composition(
        period=period,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        metrics=[asdict(m) for m in metrics],
        recipients=settings.recipient_list(),
        sender=settings.sender or django_settings.DEFAULT_FROM_EMAIL,
        chart_png=chart_png,
    )


def message_for(composition: Composition) -> mail.EmailMultiAlternatives:
    return emails.message(
        emails.Email(composition.subject, composition.body_text, composition.body_html),
        to=composition.recipients,
        from_email=composition.sender,
        inline_png=composition.chart_png,
    )


class AlreadySent(Exception):
    """This month's report went out already, or another run is sending it now."""


def report_send(*, period: date, settings: ReportSettings | None = None) -> MonthlyReport:
    """Compose, claim the month, send once, record. Raises AlreadySent or ReportError."""
    settings = settings or ReportSettings.load()
    if not settings.recipient_list():
        raise ReportError("No recipients: add them in the monthly report settings.")
    composition = compose(period, settings)
    fields = {
        "subject": composition.subject,
        "body_text": composition.body_text,
        "body_html": composition.body_html,
        "metrics": composition.metrics,
        "recipients": "\n".join(composition.recipients),
        "status": MonthlyReport.SENDING,
        "created": timezone.now(),
        "error": "",
    }
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(period=period, **fields)
    except IntegrityError:
        # A failed attempt may be retried, and so may a send stuck in "sending" for longer
        # than any send can take (the run crashed or was killed): EMAIL_TIMEOUT bounds a
        # live send far below the reclaim age. A sent one, or one sending now, may not.
        stale = fields["created"] - timedelta(minutes=django_settings.MONTHLY_REPORT_RECLAIM_MINUTES)
        retry = Q(status=MonthlyReport.FAILED) | Q(status=MonthlyReport.SENDING, created__lt=stale)
        if not MonthlyReport.objects.filter(retry, period=period).update(**fields):
            raise AlreadySent from None
        report = MonthlyReport.objects.get(period=period)
    try:
        message_for(composition).send()
    except Exception as error:
        MonthlyReport.objects.filter(pk=report.pk).update(
            status=MonthlyReport.FAILED, error=str(error)[:2000]
        )
        raise ReportError(f"Sending failed: {error}") from error
    report.status, report.sent_at = MonthlyReport.SENT, timezone.now()
    report.save(update_fields=["status", "sent_at"])
    return report


def overdue(today: date) -> date | None:
    """Last month's period when its report is due and has not gone out; else None.

    Nothing is overdue before a manager has saved the report settings."""
    settings = ReportSettings.objects.filter(pk=1).first()
    if settings is None:
        return None
    period = due_period(today, settings.send_day)
    if period is None or MonthlyReport.objects.filter(period=period, status=MonthlyReport.SENT).exists():
        return None
    return period
