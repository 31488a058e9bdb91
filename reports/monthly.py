"""The monthly perception report: two or three key metrics, very short, every month.

``compose`` reads the same trends document as the dashboard (cut at the end of the
month) plus a few counts, and returns the subject, the plain-text and HTML bodies and the
metrics behind them. ``report_send`` claims the month (one row per month), sends once and
records it.
"""

from __future__ import annotations

import base64
import calendar
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings as django_settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from perception.lib import emails
from perception.models import SiteSettings
from reports import queries, summary
from reports.cache import trends_document
from reports.disclosure import RESPONDENTS, ensure_all_published
from reports.models import MonthlyReport, PublishedScore, ReportSettings, ServiceMetric

if TYPE_CHECKING:  # types only: reports reads surveys and conversations through queries.py
    from conversations.models import Action

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
        choices += [
            (f"question:{q.series}", f"{q.text} (mean)")
            for q in queries.series_heads(questions)
            if q.is_numeric
        ]
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
    sentence: str  # for the body: one plain sentence with its interval in words
    value: float | None
    previous: float | None = None
    direction: str = ""
    footnote: str = ""  # what the figure means, where its name does not say it
    wave: str = ""  # the survey wave a survey figure comes from
    previous_wave: str = ""  # the wave it is compared with


NET_SCORE_FOOTNOTE = "*Net score: % who would recommend us (9–10 of 10) minus % who would not (0–6)."


def _compared(direction: str, previous: str | None) -> str:
    """How the figure moved since the previous survey, in words ("up from 3.0")."""
    if direction == "up":
        return f"up from {previous}"
    if direction == "down":
        return f"down from {previous}"
    if direction == "about the same":
        return f"about the same as before ({previous})"
    return "nothing to compare with yet"


def _in_ten(share: float) -> str:
    return f"{round(share * 10)} in 10"


def _survey_metric(key: str, document: dict) -> Metric | None:
    """A figure from the trends document; None when the latest wave is too small to show.

    The sentence says the figure, how many people it rests on, its 95% interval in words
    ("very likely between 4.3 and 4.7") and how it compares with the previous survey
    (up or down only when the change is called, as on the dashboard: ``reports.summary``)."""
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
    people = f"{head.n} {'person' if head.n == 1 else 'people'}"
    footnote = ""
    if figure == "net_score":

        def show(v):
            return f"{v:+.0f}".replace("-", "−")

        name, shown, of = "net score", show(head.value), ""
        footnote = NET_SCORE_FOOTNOTE
    elif figure == "favorable":

        def show(v):
            return f"{v:.0%}"

        name, shown, of = "favourable", show(head.value), ""
    else:

        def show(v):
            return f"{v:.1f}"

        name = "satisfaction" if measure["kind"] == "overall" else measure["label"].lower()
        shown, of = show(head.value), f" of {head.scale_high}"
    previous = show(head.previous) if head.previous is not None else None
    compared = _compared(head.direction, previous)
    if head.low is not None and head.high is not None:
        interval = f"very likely {show(head.low)} to {show(head.high)}"
    else:
        interval = f"no range: {head.missing or 'too few answers'}"
    if figure == "favorable" and measure["kind"] == "choice":
        chose = f"chose “{measure['option']}”"
        phrase = f"{_in_ten(head.value)} {chose}"
        sentence = (
            f"{_in_ten(head.value)} ({shown}, {people}) {chose} "
            f"({measure['question']}; {interval}), {compared}"
        )
    elif figure == "favorable":
        phrase = f"{_in_ten(head.value)} rate us favourably"
        sentence = (
            f"{_in_ten(head.value)} ({shown}, {people}) rate us favourably, "
            f"{head.definition.removeprefix('favourable = ')} ({interval}), {compared}"
        )
    elif figure == "net_score":
        phrase = f"net score {shown}"
        sentence = f"Net score* {shown} from {people} ({interval}), {compared}"
    else:
        phrase = f"{name} {shown}{of}"
        sentence = (
            f"{name[0].upper()}{name[1:]} averages {shown} out of {head.scale_high} "
            f"from {people} ({interval}), {compared}"
        )
    if head.direction in ("up", "down"):
        phrase += f", {head.direction} from {previous}"
    elif head.direction:
        phrase += ", about the same"
    return Metric(
        key,
        phrase,
        sentence,
        head.value,
        head.previous,
        head.direction,
        footnote,
        head.wave or "",
        head.previous_wave or "",
    )


def _people_heard(start: date) -> int:
    end = month_end(start)
    # Published respondents only (reports.disclosure): they join in whole batches, so a
    # single new response never moves the count. A batch published after a month ended
    # can still add late answers of that month to it: a count of people, never answers.
    published = PublishedScore.objects.filter(measure=RESPONDENTS).values("response_id")
    return queries.surveyed_between(published, start, end) + queries.conversation_voices_between(start, end)


def _actions_completed(start: date) -> list[Action]:
    return queries.actions_done_between(start, month_end(start))


def _count_metric(key: str, start: date) -> Metric | None:
    """A count or help-desk figure for the month, compared with the month before."""
    before = previous_month(start)
    month, last = f"{start:%B}", f"{before:%B}"
    if key == "people_heard":
        now, then = _people_heard(start), _people_heard(before)
        return Metric(
            key,
            f"we heard from {now} {'person' if now == 1 else 'people'}",
            f"We heard from {now} {'person' if now == 1 else 'people'} in {month} ({then} in {last})",
            now,
            then,
        )
    if key == "actions_completed":
        now, then = len(_actions_completed(start)), len(_actions_completed(before))
        return Metric(
            key,
            f"{now} change{'' if now == 1 else 's'} made",
            f"We completed {now} follow-up action{'' if now == 1 else 's'} in {month} ({then} in {last})",
            now,
            then,
        )
    name = key.removeprefix("service:")
    current = ServiceMetric.objects.filter(name=name, month=start).first()
    if current is None:
        return None
    earlier = ServiceMetric.objects.filter(name=name, month=before).first()
    shown = f"{current.value:g}{current.unit}"
    tail = f" ({earlier.value:g}{earlier.unit} in {last})" if earlier else ""
    return Metric(
        key,
        f"{name} {shown}",
        f"{name}: {shown} in {month}{tail}",
        current.value,
        earlier.value if earlier else None,
    )


def survey_span(document: dict | None, label: str | None) -> str:
    """The months a wave ran, "October–November 2026", from the trends document."""
    info = next((w for w in (document or {}).get("waves", []) if w["label"] == label), None)
    if info is None:
        return ""
    opens, closes = date.fromisoformat(info["opens"]), date.fromisoformat(info["closes"])
    if (opens.year, opens.month) == (closes.year, closes.month):
        return f"{opens:%B %Y}"
    if opens.year == closes.year:
        return f"{opens:%B}–{closes:%B %Y}"
    return f"{opens:%B %Y}–{closes:%B %Y}"


def _fix_first(survey, wave_label: str | None) -> str | None:
    """The most important dimension that scores below the rest in the report's survey wave
    (``reports.drivers``), or None when the drivers page shows none for it."""
    if survey is None or wave_label is None:
        return None
    from reports import drivers  # numpy's bootstrap loads only for a report that names a wave

    found = drivers.drivers(queries.driver_frame(survey, wave_label))
    return found.fix_first[0].measure.label if found.fix_first else None


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
    ensure_all_published(force=True)
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
    if settings.survey is not None:  # earlier changes a wave this month measured, and how
        from reports import impact

        changed = impact.measured_in_month(settings.survey, period, month_end(period)) + changed
    from_survey = next((m for m in metrics if m.wave), None)
    survey = None
    if from_survey:
        survey = {
            "label": from_survey.wave,
            "span": survey_span(document, from_survey.wave),
            "previous": from_survey.previous_wave,
            "previous_span": survey_span(document, from_survey.previous_wave),
        }
    context = {
        "month": month,
        "survey": survey,
        "footnotes": sorted({m.footnote for m in metrics if m.footnote}),
        "year": period.year,
        "site": site,
        "metrics": metrics,
        "changed": changed,
        "closing": CLOSING,
        "contact": settings.contact_line() or site.contact_line,
        "chart": False,
        "fix_first": _fix_first(settings.survey, from_survey.wave if from_survey else None),
    }
    email = emails.render("monthly", context)
    # Keep the report short. Telling people what changed is the point of listening, so
    # the focus line goes first, then the later examples of what changed.
    if len(email.text.split()) > MAX_WORDS and context["fix_first"]:
        context["fix_first"] = None
        email = emails.render("monthly", context)
    while len(email.text.split()) > MAX_WORDS and context["changed"]:
        context["changed"] = context["changed"][:-1]
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


def message_for(composition: Composition, to: list[str] | None = None) -> mail.EmailMultiAlternatives:
    """The email as it goes out; ``to`` replaces the recipients (a test to oneself)."""
    return emails.message(
        emails.Email(composition.subject, composition.body_text, composition.body_html),
        to=composition.recipients if to is None else to,
        from_email=composition.sender,
        inline_png=composition.chart_png,
    )


def viewable_html(html: str, chart_png: bytes | None) -> str:
    """The HTML part as a browser can show it outside a mail client: the inline chart
    (``cid:``) becomes a ``data:`` URI. Nothing else changes."""
    if not chart_png:
        return html
    data = "data:image/png;base64," + base64.b64encode(chart_png).decode("ascii")
    return html.replace(f"cid:{emails.INLINE_IMAGE_ID}", data)


def send_test_to(*, user, composition: Composition) -> str:
    """Send the composed report to the signed-in user only; returns the address.
    Records nothing: the month stays unsent. Raises ReportError without an address."""
    if not user.email:
        raise ReportError("Your account has no email address: add one to send yourself a test.")
    try:
        message_for(composition, to=[user.email]).send()
    except Exception as error:
        raise ReportError(f"Sending the test failed: {error}") from error
    return user.email


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
        "chart_png": composition.chart_png,
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
