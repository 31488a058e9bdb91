"""Public survey pages: the open link, the personal link and the thank-you page.

They need no account and reveal nothing about other responses.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from perception.models import Department
from surveys import services
from surveys.forms import SurveyForm
from surveys.models import Invitation, Survey, Wave, hash_token

# A wave that is not open is a page, not a form, with a status that says why.
STATUS_CODES = {Wave.UPCOMING: 403, Wave.CLOSED: 410, "none": 404}


def _departments_for(wave: Wave) -> list[Department] | None:
    if not wave.survey.ask_department:
        return None
    audience = list(wave.audience.all())
    return audience or list(Department.objects.all())


def _unavailable(request: HttpRequest, survey: Survey, wave: Wave | None, status: str) -> HttpResponse:
    return render(
        request,
        "surveys/unavailable.html",
        {"survey": survey, "wave": wave, "status": status},
        status=STATUS_CODES[status],
    )


def _answer(
    request: HttpRequest, survey: Survey, wave: Wave, invitation: Invitation | None = None
) -> HttpResponse:
    """Show the form, or validate and store the answers; shared by both kinds of link."""
    questions = list(survey.questions.prefetch_related("choices"))
    form = SurveyForm(
        request.POST if request.method == "POST" else None,
        questions=questions,
        departments=_departments_for(wave),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.response_submit(
                    wave=wave,
                    answers=form.answers(),
                    department=form.department(),
                    invitation=invitation,
                )
            except services.InvitationAlreadyUsed:
                return render(request, "surveys/already_answered.html", {"survey": survey}, status=409)
            return redirect("surveys:thanks", slug=survey.slug)
        status = 400
    else:
        status = 200
    return render(
        request,
        "surveys/answer.html",
        {"survey": survey, "wave": wave, "form": form, "personal": invitation is not None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    wave, status = survey.public_wave(timezone.now())
    if status != Wave.OPEN:
        return _unavailable(request, survey, wave, status)
    return _answer(request, survey, wave)


@require_http_methods(["GET", "POST"])
def personal_link(request: HttpRequest, token: str) -> HttpResponse:
    invitation = (
        Invitation.objects.select_related("wave__survey").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        return render(request, "surveys/unknown_link.html", status=404)
    wave, survey = invitation.wave, invitation.wave.survey
    status = wave.status(timezone.now())
    if status != Wave.OPEN:
        return _unavailable(request, survey, wave, status)
    if invitation.used_at is not None:
        code = 409 if request.method == "POST" else 200
        return render(request, "surveys/already_answered.html", {"survey": survey}, status=code)
    return _answer(request, survey, wave, invitation)


def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    return render(request, "surveys/thanks.html", {"survey": survey})
