"""The survey builder: managers create surveys, their questions and waves, without the
admin. A manager sees and changes only the surveys they own or that were shared with
them; any other survey is a 404, so its address reveals nothing."""

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from perception.models import Department
from perception.roles import MANAGE_SURVEYS, permission_required
from surveys import services
from surveys.builder_forms import ANONYMITY_PROMISES, QuestionForm, ShareForm, SurveySettingsForm, WaveForm
from surveys.forms import SurveyForm
from surveys.models import Question, Survey, Wave
from surveys.views import _switcher, in_language


def _survey(request: HttpRequest, slug: str) -> Survey:
    return get_object_or_404(Survey.objects.managed_by(request.user), slug=slug)


def _question(survey: Survey, pk: int) -> Question:
    return get_object_or_404(Question, pk=pk, survey=survey, retired=False)


def _wave(survey: Survey, wave_id: int) -> Wave:
    return get_object_or_404(Wave, pk=wave_id, survey=survey)


def open_link_url(survey: Survey) -> str:
    return settings.SITE_URL + reverse("surveys:open_link", args=[survey.slug])


def qr_svg(url: str) -> bytes:
    """The QR code of a link as an SVG document, sized for posters and slides (it scales
    without blurring)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, title=f"QR code for {url}")
    return out.getvalue()


SURVEYS_PER_PAGE = 25


@permission_required(MANAGE_SURVEYS)
def builder_list(request: HttpRequest) -> HttpResponse:
    surveys = Survey.objects.managed_by(request.user).prefetch_related("waves").order_by("title", "pk")
    # get_page turns a missing, foreign or out-of-range page number into the nearest page.
    page = Paginator(surveys, SURVEYS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"survey": s, "waves": [(w, w.status(now)) for w in s.waves.all()]} for s in page]
    return render(request, "surveys/builder/list.html", {"rows": rows, "page": page, "filters": {}})


@permission_required(MANAGE_SURVEYS)
@require_http_methods(["GET", "POST"])
def survey_new(request: HttpRequest) -> HttpResponse:
    form = SurveySettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        survey = services.survey_create(
            title=data["title"],
            intro=data["intro"],
            anonymity=data["anonymity"],
            min_group_size=data["min_group_size"],
            ask_department=data["ask_department"],
            owner=request.user,
        )
        messages.success(request, "Survey created as a draft. Add its questions, then publish it.")
        return redirect("surveys:builder", survey.slug)
    return render(
        request, "surveys/builder/settings.html", {"form": form}, status=400 if form.errors else 200
    )


def _builder_page(request: HttpRequest, survey: Survey, problems=None, status: int = 200) -> HttpResponse:
    questions = list(survey.questions.filter(retired=False).prefetch_related("choices"))
    if problems is None and not survey.draft:
        # A published form is live: anything missing from it is shown at once.
        problems = services.survey_problems(survey)
    now = timezone.now()
    context = {
        "survey": survey,
        "questions": [(q, q.answered) for q in questions],
        "problems": problems,
        "waves": [(w, w.status(now)) for w in survey.waves.all()],
        "mode": survey.get_anonymity_display().split(":")[0],
        "promise": ANONYMITY_PROMISES[survey.anonymity],
        "share_form": ShareForm(survey=survey),
        "owners": list(survey.owners.order_by("username")),
        "kinds": Question.KIND_CHOICES,
    }
    return render(request, "surveys/builder/survey.html", context, status=status)


@permission_required(MANAGE_SURVEYS)
def survey_builder(request: HttpRequest, slug: str) -> HttpResponse:
    return _builder_page(request, _survey(request, slug))


@permission_required(MANAGE_SURVEYS)
@require_http_methods(["GET", "POST"])
def survey_settings(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug)
    form = SurveySettingsForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("surveys:builder", survey.slug)
    return render(
        request,
        "surveys/builder/settings.html",
        {"form": form, "survey": survey},
        status=400 if form.errors else 200,
    )


@permission_required(MANAGE_SURVEYS)
@require_http_methods(["GET", "POST"])
def question_new(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug)
    kind = request.GET.get("kind", "")
    initial = {"kind": kind if kind in dict(Question.KIND_CHOICES) else Question.RATING_5}
    form = QuestionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = services.question_save(survey=survey, spec=form.spec())
        messages.success(request, f"Question added: “{saved.question.text}”.")
        return redirect(reverse("surveys:builder", args=[survey.slug]) + f"#question-{saved.question.pk}")
    return render(
        request,
        "surveys/builder/question.html",
        {"form": form, "survey": survey},
        status=400 if form.errors else 200,
    )


@permission_required(MANAGE_SURVEYS)
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey(request, slug)
    question = _question(survey, pk)
    form = QuestionForm(request.POST or None, user=request.user, question=question)
    answered = question.answered
    context = {"form": form, "survey": survey, "question": question, "answered": answered}
    if request.method == "POST" and form.is_valid():
        spec = form.spec()
        change = services.question_change(question=question, spec=spec)
        if answered and change != services.NO_CHANGE and request.POST.get("confirm") != change:
            # Say what saving will do before doing it; the form keeps what was typed.
            return render(request, "surveys/builder/question.html", context | {"change": change}, status=409)
        saved = services.question_save(survey=survey, spec=spec, question=question)
        if saved.new_measure:
            messages.warning(
                request,
                "Saved as a new version that starts a new measure; earlier answers stay under the old one.",
            )
        elif saved.versioned:
            messages.success(request, "Saved as a new version; the analysis keeps it in the same series.")
        else:
            messages.success(request, "Question saved.")
        return redirect(reverse("surveys:builder", args=[survey.slug]) + f"#question-{saved.question.pk}")
    return render(request, "surveys/builder/question.html", context, status=400 if form.errors else 200)


@permission_required(MANAGE_SURVEYS)
@require_POST
def question_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey(request, slug)
    question = _question(survey, pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return render(
            request,
            "surveys/builder/problem.html",
            {"survey": survey, "problem": "Say up or down."},
            status=400,
        )
    services.question_move(question=question, up=direction == "up")
    return redirect(reverse("surveys:builder", args=[survey.slug]) + f"#question-{question.pk}")


@permission_required(MANAGE_SURVEYS)
@require_http_methods(["GET", "POST"])
def question_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey(request, slug)
    question = _question(survey, pk)
    answered = question.answered
    if request.method == "POST":
        retired = services.question_retire(question=question)
        messages.success(
            request,
            "Question taken off the form; its answers stay in the analysis."
            if retired
            else "Question removed.",
        )
        return redirect("surveys:builder", survey.slug)
    return render(
        request, "surveys/builder/remove.html", {"survey": survey, "question": question, "answered": answered}
    )


@permission_required(MANAGE_SURVEYS)
@require_POST
def survey_publish(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug)
    problems = services.survey_publish(survey=survey)
    if problems:
        return _builder_page(request, survey, problems=problems, status=400)
    messages.success(request, "Published. Create a wave to open the survey to respondents.")
    return redirect("surveys:builder", survey.slug)


@permission_required(MANAGE_SURVEYS)
@require_POST
def survey_share(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug)
    form = ShareForm(request.POST, survey=survey)
    if not form.is_valid():
        problem = " ".join(form.errors["user"])
        return render(
            request, "surveys/builder/problem.html", {"survey": survey, "problem": problem}, status=400
        )
    services.survey_share(survey=survey, user=form.cleaned_data["user"])
    messages.success(request, f"Shared with {form.cleaned_data['user'].username}.")
    return redirect("surveys:builder", survey.slug)


@permission_required(MANAGE_SURVEYS)
@require_http_methods(["GET", "POST"])
def survey_preview(request: HttpRequest, slug: str) -> HttpResponse:
    return _preview(request, _survey(request, slug))


@in_language
def _preview(request: HttpRequest, survey: Survey) -> HttpResponse:
    """The real respondent page, marked as a preview; a sent form is checked, never stored."""
    questions = list(survey.questions.filter(retired=False).prefetch_related("choices"))
    wave = Wave(survey=survey, label="Preview", opens=timezone.now(), closes=timezone.now())
    form = SurveyForm(
        request.POST if request.method == "POST" else None,
        questions=questions,
        departments=list(Department.objects.all()) if survey.ask_department else None,
    )
    checked = request.method == "POST" and form.is_valid()
    context = {
        "survey": survey,
        "wave": wave,
        "form": form,
        "personal": False,
        "languages": _switcher(request, survey),
        "preview": True,
        "preview_checked": checked,
        "group_threshold": survey.group_threshold(),
    }
    status = 400 if request.method == "POST" and not checked else 200
    return render(request, "surveys/answer.html", context, status=status)


@permission_required(MANAGE_SURVEYS)
@require_http_methods(["GET", "POST"])
def wave_new(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug)
    form = WaveForm(request.POST or None, survey=survey)
    if survey.draft:
        return render(
            request,
            "surveys/builder/problem.html",
            {"survey": survey, "problem": "Publish the survey first: a draft has no waves."},
            status=409,
        )
    if request.method == "POST" and form.is_valid():
        wave = services.wave_create(survey=survey, **form.cleaned_data)
        messages.success(request, f"Wave “{wave.label}” created.")
        return redirect("surveys:wave", survey.slug, wave.pk)
    return render(
        request,
        "surveys/builder/wave_new.html",
        {"form": form, "survey": survey, "time_zone": settings.TIME_ZONE},
        status=400 if form.errors else 200,
    )


def _users_wave(survey: Survey, wave_id: int) -> Wave:
    """A users' wave: the open link, its QR code and flyer lead only there, never to an IT
    self-view wave (reached by personal links alone), so those pages 404 for one."""
    return get_object_or_404(Wave.objects.of_users(), pk=wave_id, survey=survey)


def _wave_context(request: HttpRequest, slug: str, wave_id: int) -> dict:
    survey = _survey(request, slug)
    wave = _wave(survey, wave_id)
    return {
        "survey": survey,
        "wave": wave,
        "status": wave.status(timezone.now()),
        "link": None if wave.is_self_view else open_link_url(survey),
        "self_view": None if wave.is_self_view else wave.self_views.first(),
        "group_threshold": survey.group_threshold(),
    }


@permission_required(MANAGE_SURVEYS)
def wave_detail(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    return render(request, "surveys/builder/wave.html", _wave_context(request, slug, wave_id))


@permission_required(MANAGE_SURVEYS)
@require_POST
def wave_self_view(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    """Pair a users' wave with its IT self-view wave (once) and go to the self-view's page."""
    survey = _survey(request, slug)
    wave = _wave(survey, wave_id)
    problem = None
    if wave.is_self_view:
        problem = "This is already IT's self-view wave; ask IT staff from its users' wave."
    elif wave.status(timezone.now()) == Wave.CLOSED and not wave.self_views.exists():
        problem = "This wave has closed: a self-view wave would share its dates, so nobody could answer it."
    if problem:
        return render(
            request, "surveys/builder/problem.html", {"survey": survey, "problem": problem}, status=409
        )
    existed = wave.self_views.exists()
    self_view = services.self_view_wave_create(wave=wave)
    if existed:
        messages.info(request, "This wave already has its IT self-view wave.")
    else:
        messages.success(
            request,
            f"Self-view wave “{self_view.label}” created. Invite IT staff from here; "
            "their answers are kept apart from users' answers.",
        )
    return redirect("surveys:wave", survey.slug, self_view.pk)


@permission_required(MANAGE_SURVEYS)
def wave_flyer(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    survey = _survey(request, slug)
    _users_wave(survey, wave_id)
    return render(request, "surveys/builder/flyer.html", _wave_context(request, slug, wave_id))


@permission_required(MANAGE_SURVEYS)
def wave_qr(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    survey = _survey(request, slug)
    _users_wave(survey, wave_id)
    response = HttpResponse(qr_svg(open_link_url(survey)), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{survey.slug}-qr.svg"'
    return response
