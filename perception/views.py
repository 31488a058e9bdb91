from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from perception.roles import viewer_required
from reports import monthly
from surveys.models import Survey


@viewer_required
def home(request: HttpRequest) -> HttpResponse:
    """The staff starting point: each survey with its current wave and how many answered."""
    now = timezone.now()
    # list() runs the queries here, not while the template renders.
    surveys = list(Survey.objects.prefetch_related("waves"))
    rows = []
    for survey in surveys:
        wave, status = survey.public_wave(now)
        rows.append(
            {
                "survey": survey,
                "wave": wave,
                "status": status,
                "responses": wave.responses.count() if wave else 0,
            }
        )
    context = {
        "rows": rows,
        "any_wave": any(row["wave"] for row in rows),
        "report_overdue": monthly.overdue(timezone.localdate()),
    }
    return render(request, "home.html", context)
