"""Results pages: the staff home page, the dashboard, its charts, theme drill-downs and
exports, coverage, and the monthly report.

Every figure comes from the cached trends document, the same one `trends --json` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from perception.models import Department, Theme
from perception.roles import EXPORT_RAW_RESPONSES, SEND_MONTHLY_REPORT, VIEW_RESULTS, permission_required
from reports import charts, coverage, drivers, exports, gap, impact, monthly, queries, summary
from reports.cache import trends_document
from reports.forms import ReportSettingsForm, ServiceMetricsUploadForm
from reports.models import MonthlyReport, ReportSettings, ServiceMetric
from reports.service_metrics import ServiceMetricsError, import_service_metrics

if TYPE_CHECKING:  # types only: reports reads surveys and conversations through queries.py
    from collections.abc import Iterable

    from surveys.models import Survey, Wave

CHANNELS = {
    "survey": "survey",
    "focus_group": "focus group",
    "one_on_one": "one-on-one",
    "walkabout": "walkabout",
}


@dataclass
class Filters:
    """The dashboard's state, read from and written to the query string."""

    survey: Survey
    waves: list[Wave]
    wave_from: Wave | None = None
    wave_to: Wave | None = None
    department: Department | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def since(self) -> date | None:
        return self.wave_from.opens.date() if self.wave_from else None

    @property
    def until(self) -> date | None:
        return self.wave_to.opens.date() if self.wave_to else None

    def query(self, **extra) -> str:
        params = {"survey": self.survey.slug}
        if self.wave_from:
            params["from"] = self.wave_from.label
        if self.wave_to:
            params["to"] = self.wave_to.label
        if self.department:
            params["department"] = self.department.name
        return urlencode(params | extra)

    def document(self) -> dict:
        return trends_document(self.survey, self.department, self.since, self.until)


def read_filters(request: HttpRequest) -> Filters:
    """Survey (default: the first), wave range and department; unknown values are
    ignored with a visible note rather than an error page."""
    slug = request.GET.get("survey")
    survey = queries.survey_named(slug) if slug else queries.first_survey()
    if survey is None:
        raise Http404("No survey with that name.")
    waves = list(survey.waves.of_users().order_by("opens", "pk"))
    filters = Filters(survey, waves)
    by_label = {w.label: w for w in waves}
    for param, attribute in (("from", "wave_from"), ("to", "wave_to")):
        label = request.GET.get(param)
        if label:
            if label in by_label:
                setattr(filters, attribute, by_label[label])
            else:
                filters.problems.append(f"There is no wave “{label}”; showing all waves.")
    name = request.GET.get("department")
    if name:
        filters.department = Department.objects.filter(name=name).first()
        if filters.department is None:
            filters.problems.append(f"There is no department “{name}”; showing everyone.")
    if filters.wave_from and filters.wave_to and filters.wave_from.opens > filters.wave_to.opens:
        filters.wave_from, filters.wave_to = filters.wave_to, filters.wave_from
    return filters


@permission_required(VIEW_RESULTS)
def home(request: HttpRequest) -> HttpResponse:
    """The staff starting point: each survey with its current wave and how many answered."""
    rows = queries.survey_overview(timezone.now())
    context = {
        "rows": rows,
        "any_wave": any(row.wave for row in rows),
        "report_overdue": monthly.overdue(timezone.localdate()),
    }
    return render(request, "reports/home.html", context)


def _scale_title(name: str, measure: dict | None) -> str:
    if measure is None:
        return name
    if measure["rescaled"]:
        return f"{name} (0–100: dimensions on different scales, each rescaled)"
    return f"{name} ({measure['scale_low']}–{measure['scale_high']})"


@permission_required(VIEW_RESULTS)
def dashboard(request: HttpRequest) -> HttpResponse:
    if queries.first_survey() is None:
        return render(request, "reports/dashboard_empty.html")
    filters = read_filters(request)
    document = filters.document()
    overall = summary.find_measure(document, "overall")
    net = summary.net_score_measure(document)
    latest_wave = next((w for w in reversed(document["waves"]) if not w["suppressed"]), None)
    departments, heat_rows, heat_wave = summary.heatmap(document)
    today = timezone.localdate()
    theme_ids = dict(Theme.objects.values_list("name", "pk"))
    chart_measures = [
        {
            "measure": m,
            "trend": summary.trend_words(m["trend"]["mean"]),
            "headline": summary.headline(m),
        }
        for m in document["measures"]
        if m["kind"] in ("overall", "dimension")
    ]
    context = {
        "filters": filters,
        "document": document,
        "k": document["min_group_size"],
        "overall": summary.headline(overall) if overall else None,
        "overall_title": _scale_title("Overall score", overall),
        "favourable": summary.headline(overall, "favorable")
        if overall and overall["favorable_definition"]
        else None,
        "net": summary.headline(net, "net_score") if net else None,
        "latest_wave": latest_wave,
        "as_of": max((w["published_on"] for w in document["waves"] if w["published_on"]), default=None),
        "left_out": sum(w["left_out"] for w in document["waves"] if w["final"]),
        "self_reported": any(d["self_reported"] for d in document["departments"]),
        "response_rate": queries.response_rate(filters.survey, latest_wave["label"] if latest_wave else None),
        "chart_measures": chart_measures,
        "question_rows": [
            {"measure": m, "mean": summary.headline(m), "favourable": summary.headline(m, "favorable")}
            for m in summary.question_measures(document)
        ],
        "choice_groups": summary.choice_groups(document),
        "heat_departments": departments,
        "heat_rows": heat_rows,
        "heat_wave": heat_wave,
        "themes": [
            t
            | {
                "pk": theme_ids.get(t["theme"]),
                "channel_names": ", ".join(CHANNELS.get(c, c) for c in t["channels"]),
            }
            for t in document["themes"]
        ],
        "single_voices": [t for t in document["themes"] if t["status"] == "single_voice"],
        "overdue_departments": [r for r in coverage.department_coverage(today) if r.overdue],
        "overdue_influencers": [r for r in coverage.influencer_coverage(today) if r.overdue],
        "open_actions": queries.open_actions(8),
        "report_overdue": monthly.overdue(today),
        "surveys": queries.surveys(),
        "departments": Department.objects.order_by("name"),
    }
    return render(request, "reports/dashboard.html", context)


@permission_required(VIEW_RESULTS)
def how_to_read(request: HttpRequest) -> HttpResponse:
    """Plain words on what each figure of the dashboard means and how it is worked out."""
    return render(request, "reports/how_to_read.html")


@permission_required(VIEW_RESULTS)
def chart(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request)
    measure = summary.find_measure(filters.document(), request.GET.get("measure", ""))
    if measure is None:
        raise Http404("No such measure.")
    response = HttpResponse(charts.trend_svg(measure), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _survey_asked(request: HttpRequest) -> Survey:
    slug = request.GET.get("survey")
    survey = queries.survey_named(slug) if slug else queries.first_survey()
    if survey is None:
        raise Http404("No survey with that name.")
    return survey


def _perception_gap(survey: Survey) -> gap.PerceptionGap:
    return gap.perception_gap(*queries.perception_gap_data(survey))


@permission_required(VIEW_RESULTS)
def gap_page(request: HttpRequest) -> HttpResponse:
    """How IT sees itself against how users see IT: per measure, both means and the gap."""
    survey = _survey_asked(request)
    found = _perception_gap(survey)
    context = {
        "survey": survey,
        "surveys": queries.surveys(),
        "gap": found,
        "k": survey.group_threshold(),
        "shown_rows": [row for row in found.rows if row.shown],
        "trend_waves": max((len(t.points) for t in found.trends), default=0),
    }
    return render(request, "reports/gap.html", context)


@permission_required(VIEW_RESULTS)
def gap_chart(request: HttpRequest) -> HttpResponse:
    survey = _survey_asked(request)
    found = _perception_gap(survey)
    if not any(row.shown for row in found.rows):
        raise Http404("No gap to draw.")
    title = f"Perception gap, {found.wave}: IT self-view minus users"
    response = HttpResponse(charts.gap_svg(found.rows, title), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _drivers(request: HttpRequest) -> tuple[Survey, drivers.Drivers, queries.DriverFrame, str | None]:
    survey = _survey_asked(request)
    label = request.GET.get("wave") or None
    frame = queries.driver_frame(survey, label)
    problem = None
    if label is not None and frame.wave is None:
        problem = f"There is no wave “{label}”; showing the latest."
        frame = queries.driver_frame(survey)
    return survey, drivers.drivers(frame), frame, problem


@permission_required(VIEW_RESULTS)
def drivers_page(request: HttpRequest) -> HttpResponse:
    """What drives the overall question: importance against performance per dimension."""
    survey, result, frame, problem = _drivers(request)
    context = {
        "survey": survey,
        "surveys": queries.surveys(),
        "result": result,
        "waves": frame.waves,
        "problem": problem,
        "k": survey.group_threshold(),
        "quadrants": drivers.QUADRANT_WORDS,
    }
    return render(request, "reports/drivers.html", context)


@permission_required(VIEW_RESULTS)
def drivers_chart(request: HttpRequest) -> HttpResponse:
    _, result, _, _ = _drivers(request)
    if not result.drivers:
        raise Http404("Nothing to draw.")
    title = f"What drives “{result.overall_label}”, {result.wave}: importance against mean score"
    response = HttpResponse(charts.drivers_svg(result, title), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


@permission_required(VIEW_RESULTS)
def theme(request: HttpRequest, pk: int) -> HttpResponse:
    """The notes and survey comments behind one theme; comments only from groups of at
    least the minimum size (the waves the document shows)."""
    found = get_object_or_404(Theme, pk=pk)
    filters = read_filters(request)
    document = filters.document()
    shown_waves = [w["label"] for w in document["waves"] if not w["suppressed"]]
    comments, withheld = queries.theme_comments(found, filters.survey, shown_waves, filters.department)
    entry = next((t for t in document["themes"] if t["theme"] == found.name), None)
    return render(
        request,
        "reports/theme.html",
        {
            "theme": found,
            "entry": entry,
            "filters": filters,
            "k": document["min_group_size"],
            "comments": Paginator(comments, 25).get_page(request.GET.get("page")),
            "withheld": withheld,
            "notes": queries.theme_notes(found, document["themes_window"])[:100],
        },
    )


def _csv_download(header: list[str], rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """Sent line by line as the rows are produced, so memory stays flat however many."""
    response = StreamingHttpResponse(exports.csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_download(header: list[str], rows: Iterable[list], title: str, filename: str) -> FileResponse:
    """A zip cannot be sent before it is finished: built in a temporary file, then sent from it."""
    return FileResponse(
        exports.xlsx_file(header, rows, title), as_attachment=True, filename=filename, content_type=XLSX
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@permission_required(VIEW_RESULTS)
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    filters = read_filters(request)
    rows = exports.measure_rows(filters.document())
    name = f"perception-{filters.survey.slug}"
    if fmt == "csv":
        return _csv_download(exports.MEASURE_COLUMNS, rows, f"{name}.csv")
    return _xlsx_download(exports.MEASURE_COLUMNS, rows, "Measures", f"{name}.xlsx")


@permission_required(EXPORT_RAW_RESPONSES)
def responses_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Raw responses, for the few people given that permission."""
    survey = queries.survey_named(request.GET.get("survey", ""))
    if survey is None:
        raise Http404("No survey with that name.")
    header, rows = queries.raw_responses(survey)
    name = f"responses-{survey.slug}"
    if fmt == "csv":
        return _csv_download(header, rows, f"{name}.csv")
    return _xlsx_download(header, rows, "Responses", f"{name}.xlsx")


@permission_required(VIEW_RESULTS)
def coverage_page(request: HttpRequest) -> HttpResponse:
    """Who has been heard from lately, in any channel, and who has not."""
    today = timezone.localdate()
    return render(
        request,
        "reports/coverage.html",
        {
            "departments": coverage.department_coverage(today),
            "influencers": coverage.influencer_coverage(today),
            "department_days": coverage.DEPARTMENT_WINDOW.days,
            "influencer_days": coverage.INFLUENCER_WINDOW.days,
        },
    )


# -- The monthly report (managers) -------------------------------------------------------


def _last_period() -> date:
    return monthly.previous_month(monthly.month_start(timezone.localdate()))


# The email's own HTML carries inline styles (mail programs need them); the pages that
# show it in a sandboxed frame allow inline styles, and still no script at all.
EMAIL_FRAME_CSP = {"style-src": ["'self'", "'unsafe-inline'"]}


@permission_required(SEND_MONTHLY_REPORT)
@csp_replace(EMAIL_FRAME_CSP)
def monthly_preview(request: HttpRequest) -> HttpResponse:
    """Exactly what will be sent for last month, with the send button."""
    period = _last_period()
    settings = ReportSettings.load()
    composition, problem = None, None
    try:
        composition = monthly.compose(period, settings)
    except monthly.ReportError as error:
        problem = str(error)
    sent = MonthlyReport.objects.filter(period=period, status=MonthlyReport.SENT).first()
    return render(
        request,
        "reports/monthly_preview.html",
        {
            "period": period,
            "composition": composition,
            "email_html": monthly.viewable_html(composition.body_html, composition.chart_png)
            if composition
            else "",
            "problem": problem,
            "sent": sent,
            "settings": settings,
        },
    )


@permission_required(SEND_MONTHLY_REPORT)
@require_POST
def monthly_test(request: HttpRequest) -> HttpResponse:
    """Send last month's report, exactly as composed, to the signed-in manager only."""
    try:
        composition = monthly.compose(_last_period())
        address = monthly.send_test_to(user=request.user, composition=composition)
    except monthly.ReportError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"A test was sent to {address} only; the report itself has not gone out.")
    return redirect("reports:monthly")


@permission_required(SEND_MONTHLY_REPORT)
def monthly_send(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation; POST sends last month's report now (once)."""
    period = _last_period()
    if request.method != "POST":
        return render(
            request, "reports/monthly_send.html", {"period": period, "settings": ReportSettings.load()}
        )
    try:
        report = monthly.report_send(period=period)
    except monthly.AlreadySent:
        messages.info(request, f"The report for {period:%B %Y} has already been sent.")
    except monthly.ReportError as error:
        messages.error(request, str(error))
        return redirect("reports:monthly")
    else:
        messages.success(request, f"Sent: {report.subject}")
    return redirect("reports:monthly_history")


@permission_required(SEND_MONTHLY_REPORT)
def monthly_history(request: HttpRequest) -> HttpResponse:
    page = Paginator(MonthlyReport.objects.all(), 24).get_page(request.GET.get("page"))
    return render(request, "reports/monthly_history.html", {"page": page})


@permission_required(SEND_MONTHLY_REPORT)
@csp_replace(EMAIL_FRAME_CSP)
def monthly_report(request: HttpRequest, pk: int) -> HttpResponse:
    """One report from the history, the exact email as it was sent."""
    report = get_object_or_404(MonthlyReport, pk=pk)
    chart = bytes(report.chart_png) if report.chart_png else None
    return render(
        request,
        "reports/monthly_report.html",
        {"report": report, "email_html": monthly.viewable_html(report.body_html, chart)},
    )


@permission_required(SEND_MONTHLY_REPORT)
def monthly_settings(request: HttpRequest) -> HttpResponse:
    settings = ReportSettings.load()
    if settings.survey is None:
        settings.survey = queries.survey_named("it-service")
    form = ReportSettingsForm(request.POST or None, instance=settings, initial={"metrics": settings.metrics})
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Monthly report settings saved.")
            return redirect("reports:monthly")
        return render(request, "reports/monthly_settings.html", {"form": form}, status=400)
    return render(request, "reports/monthly_settings.html", {"form": form})


@permission_required(SEND_MONTHLY_REPORT)
def service_metrics_upload(request: HttpRequest) -> HttpResponse:
    form = ServiceMetricsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            created, updated = import_service_metrics(form.cleaned_data["file"].read())
        except ServiceMetricsError as error:
            form.add_error("file", f"{error} Nothing was imported.")
        else:
            messages.success(request, f"Imported service metrics: {created} new, {updated} updated.")
            return redirect("reports:service_metrics")
    status = 400 if request.method == "POST" else 200
    recent = ServiceMetric.objects.all()[:36]
    return render(request, "reports/service_metrics.html", {"form": form, "recent": recent}, status=status)


# -- Did our change move perception? -------------------------------------------------------


def _impact_survey(request: HttpRequest) -> Survey:
    slug = request.GET.get("survey")
    survey = queries.survey_named(slug) if slug else queries.first_survey()
    if survey is None:
        raise Http404("No survey with that name.")
    return survey


@permission_required(VIEW_RESULTS)
def actions_impact(request: HttpRequest) -> HttpResponse:
    """Each done action with its measured effect on the published figures (reports.impact)."""
    if queries.first_survey() is None:
        return render(request, "reports/dashboard_empty.html")
    survey = _impact_survey(request)
    impacts = impact.action_impacts(survey)
    context = {
        "survey": survey,
        "surveys": queries.surveys(),
        "k": survey.group_threshold(),
        "impacts": impacts,
    }
    return render(request, "reports/actions_impact.html", context)


@permission_required(VIEW_RESULTS)
def action_impact_chart(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _impact_survey(request)
    action = queries.done_action(pk)
    if action is None:
        raise Http404("No done action with that number.")
    found = impact.action_impacts(survey, [action])[0]
    effect = next((e for e in found.effects if e.measure == request.GET.get("measure")), None)
    if effect is None or not effect.waves:
        raise Http404("That action targets no such measure with figures.")
    points = "; ".join(
        f"{w.wave} ({w.phase}): {w.difference:.2f} from {w.targeted_n} people" for w in effect.waves
    )
    svg = charts.impact_svg(
        effect,
        f"{action.title}: {effect.label}",
        f"{impact.effect_in_words(effect)}. Contrast by wave: {points}.",
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response
