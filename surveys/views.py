"""Survey pages: the public ones (open link, personal link, thank-you page), which need
no account and reveal nothing about other responses; and the staff ones (importing
another tool's export, coding survey comments)."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property, wraps
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache as shared_cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from perception.lib import hooks
from perception.models import Department, SiteSettings
from perception.roles import CODE_COMMENTS, MANAGE_SURVEYS, permission_required
from surveys import imports, invitation_email, services, tasks, throttle
from surveys.forms import (
    MAX_TEXT_LENGTH,
    CodingForm,
    InviteForm,
    ReminderForm,
    SurveyForm,
)
from surveys.import_forms import MappingForm, UploadForm, with_group_choices
from surveys.models import (
    CHOICE_FIELDS,
    QUESTION_FIELDS,
    Answer,
    AnswerQuerySet,
    Choice,
    ImportUpload,
    Invitation,
    InvitationMessage,
    Question,
    Survey,
    Wave,
    form_question_rows,
    hash_token,
    survey_with_user_waves,
)

# A wave that is not open is a page, not a form, with a status that says why.
STATUS_CODES = {Wave.UPCOMING: 403, Wave.CLOSED: 410, "none": 404}

# After answering an open link a browser carries a signed cookie naming the wave (nothing
# else), so the same browser is not counted twice; kiosk mode turns it off.
ANSWERED_COOKIE = "answered"
ANSWERED_SALT = "surveys.open-link-answered"


def survey_language(request: HttpRequest, survey: Survey) -> str:
    """The language a respondent reads the survey in: the one they chose with the
    switcher (``?lang=``, kept only in the link, never stored), else the survey's own."""
    chosen = request.GET.get("lang", "")
    return chosen if chosen in dict(settings.LANGUAGES) else survey.language


def in_language(render_page):
    """Render a public page in the respondent's language; the view passes the survey."""

    @wraps(render_page)
    def wrapper(request: HttpRequest, survey: Survey, *args, **kwargs) -> HttpResponse:
        language = survey_language(request, survey)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = render_page(request, survey, *args, **kwargs)
        response.headers.setdefault("Content-Language", language)
        return response

    return wrapper


def _switcher(request: HttpRequest, survey: Survey) -> list[dict]:
    """Links to the same page in every language, for the respondent's switcher."""
    current = survey_language(request, survey)
    return [
        {"code": code, "name": name, "current": code == current, "query": f"?lang={code}"}
        for code, name in settings.LANGUAGES
    ]


def _departments_for(wave: Wave) -> list[Department] | None:
    return wave.offered_departments() if wave.survey.ask_department else None


@in_language
def _unavailable(request: HttpRequest, survey: Survey, wave: Wave | None, status: str) -> HttpResponse:
    return render(
        request,
        "surveys/unavailable.html",
        {"survey": survey, "wave": wave, "status": status},
        status=STATUS_CODES[status],
    )


@in_language
def _already_answered(request: HttpRequest, survey: Survey, open_link: bool) -> HttpResponse:
    """Nothing more is saved: a page for a visit, a 409 for a submission."""
    return render(
        request,
        "surveys/already_answered.html",
        {"survey": survey, "open_link": open_link},
        status=409 if request.method == "POST" else 200,
    )


def _answered_in_this_browser(request: HttpRequest, survey: Survey, wave: Wave) -> bool:
    if survey.kiosk_mode:
        return False
    answered = request.get_signed_cookie(ANSWERED_COOKIE, default=None, salt=ANSWERED_SALT)
    return answered == str(wave.pk)


def _remember_answered(request: HttpRequest, response: HttpResponse, survey: Survey, wave: Wave) -> None:
    if survey.kiosk_mode:
        return
    response.set_signed_cookie(
        ANSWERED_COOKIE,
        str(wave.pk),
        salt=ANSWERED_SALT,
        expires=wave.closes,
        path=reverse("surveys:open_link", args=[survey.slug]),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


@in_language
def _answer(
    request: HttpRequest, survey: Survey, wave: Wave, invitation: Invitation | None = None
) -> HttpResponse:
    """Show the form, or validate and store the answers; shared by both kinds of link."""
    open_link = invitation is None
    # Pseudonymous and identified personal links keep a draft on the server; anonymous
    # ones only in the browser (static/js/survey.js), so nothing is kept about them here.
    server_draft = not open_link and survey.anonymity != Survey.ANONYMOUS
    # The questions are read in one query of plain values. A fresh form's questions are the
    # same for everyone: drawn once and kept in the cache under a key naming everything
    # drawn; then neither the questions nor the form's question fields are needed.
    fresh = request.method == "GET" and not (server_draft and invitation.draft)
    drawn = _drawn_questions(survey, request.LANGUAGE_CODE)
    questions_html = shared_cache.get(drawn.key) if fresh else None
    questions = [] if questions_html is not None else drawn.questions()
    question_count = drawn.count
    # A personal link that names a department gives it; nobody is asked for it. IT staff
    # answering a self-view wave answer for users in general: no department to give.
    asks_department = (open_link or invitation.department_id is None) and not wave.is_self_view
    departments = _departments_for(wave) if asks_department else None
    saving = request.method == "POST" and request.POST.get("action") == "save" and server_draft
    if saving:
        draft = _draft_of(request.POST, questions, departments is not None)
        services.invitation_draft_save(invitation=invitation, draft=draft)
    form = SurveyForm(
        request.POST if request.method == "POST" and not saving else None,
        questions=questions,
        departments=departments,
        initial=_initial_from(draft if saving else invitation.draft if server_draft else {}, questions),
    )
    context = {
        "survey": survey,
        "wave": wave,
        "form": form,
        "personal": not open_link,
        "languages": _switcher(request, survey),
        "server_draft": server_draft,
        "browser_draft": not open_link and not server_draft,
        "saved": saving,
        "question_count": question_count,
        "show_progress": question_count >= PROGRESS_FROM_QUESTIONS,
    }
    if saving:
        return _draft_saved(request, context, survey)

    def page(status: int, **extra) -> HttpResponse:
        # Read here, only for a page that is drawn (not a redirect): the page names it twice.
        # The site settings are read once for this and the page layout.
        extra["group_threshold"] = survey.group_threshold(SiteSettings.for_request(request))
        if fresh:
            extra["questions_html"] = (
                mark_safe(questions_html)  # noqa: S308 -- kept by _keep_questions
                if questions_html is not None
                else _keep_questions(drawn.key, form)
            )
        return render(request, "surveys/answer.html", context | extra, status=status)

    if request.method == "POST":
        if form.is_valid():
            if open_link and not throttle.open_link_submission_allowed(request):
                # The form comes back as it was sent, so nothing typed is lost.
                window = settings.OPEN_LINK_BURST_WINDOW_SECONDS
                later = page(429, try_later=True, retry_minutes=max(1, -(-window // 60)))
                later["Retry-After"] = str(window)
                return later
            try:
                services.response_submit(
                    wave=wave,
                    answers=form.answers(),
                    department=form.department(),
                    invitation=invitation,
                    other_texts=form.other_texts(),
                )
            except services.InvitationAlreadyUsed:
                return _already_answered(request, survey, open_link=False)
            thanks = redirect(reverse("surveys:thanks", args=[survey.slug]) + _chosen_language(request))
            if open_link:
                _remember_answered(request, thanks, survey, wave)
            return thanks
        return page(400)
    return page(200)


# How long a fresh form's rendered questions are kept. The key names everything drawn,
# so an edit is never served stale; the limit only bounds a deploy's changed translations.
QUESTIONS_HTML_SECONDS = 60 * 60


@cache
def _questions_template_digest() -> str:
    """Changes with the questions template, so a deploy that changes it draws afresh."""
    return hashlib.sha256(get_template("surveys/_questions.html").template.source.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class DrawnQuestions:
    rows: list[tuple]  # one per (question, option), in form order
    language: str
    database: str  # where they were read

    @cached_property
    def key(self) -> str:
        """The cache key of their drawing in this language, by the same template."""
        digest = hashlib.sha256(json.dumps(self.rows, default=str).encode()).hexdigest()[:24]
        return f"survey-questions:{_questions_template_digest()}:{self.language}:{digest}"

    @property
    def count(self) -> int:
        return len({row[0] for row in self.rows})

    def questions(self) -> list[Question]:
        """The questions, their options prefetched, built from the rows (no query)."""
        questions: dict[int, Question] = {}
        options: dict[int, list[Choice]] = {}
        width = len(QUESTION_FIELDS)
        for row in self.rows:
            pk = row[0]
            if pk not in questions:
                questions[pk] = Question.from_db(self.database, QUESTION_FIELDS, row[:width])
                options[pk] = []
            if row[width] is not None:
                choice = Choice.from_db(self.database, CHOICE_FIELDS, row[width:])
                choice.question = questions[pk]
                options[pk].append(choice)
        # As prefetch_related leaves them: question.choices.all() reads this list, and
        # anything chained on it (a filter) still queries the right options. A question
        # without options (most) shares one empty set, which stays empty when chained.
        none = Choice.objects.none()
        none._result_cache, none._prefetch_done = [], True
        for pk, question in questions.items():
            chosen = question.choices.get_queryset() if options[pk] else none
            if options[pk]:
                chosen._result_cache, chosen._prefetch_done = options[pk], True
            question._prefetched_objects_cache = {"choices": chosen}
        return list(questions.values())


def _drawn_questions(survey: Survey, language: str) -> DrawnQuestions:
    """The survey's questions on the form and their options, every stored field, in one
    query of plain values (``form_question_rows``): enough to build the form and score an
    answer, and hashed into the cache key of their drawing, so an edited question, option,
    order, language or template is never served from an older drawing."""
    rows, database = form_question_rows(survey)
    return DrawnQuestions(rows, language, database)


def _keep_questions(key: str, form: SurveyForm) -> SafeString:
    """Draw the questions of an unbound, empty form and keep them for the next visitors."""
    html = render_to_string("surveys/_questions.html", {"form": form})
    shared_cache.set(key, html, QUESTIONS_HTML_SECONDS)
    return mark_safe(html)  # noqa: S308 -- drawn by our own template, which escapes


# From this many questions a survey is longer than one screen and says where one is.
PROGRESS_FROM_QUESTIONS = 5
MAX_DRAFT_VALUES = 50


def _draft_of(data, questions, with_department: bool) -> dict[str, list[str]]:
    """The answers typed so far, as sent (unchecked: they are checked on submission),
    only for this survey's fields and within the length a text answer may have."""
    names = [f"q{question.pk}" for question in questions] + (["department"] if with_department else [])
    names += [f"q{q.pk}_other" for q in questions if any(c.is_other for c in q.choices.all())]
    return {
        name: [value[:MAX_TEXT_LENGTH] for value in data.getlist(name)[:MAX_DRAFT_VALUES]]
        for name in names
        if any(data.getlist(name))
    }


def _initial_from(draft: dict, questions) -> dict:
    """A saved draft as the form's initial values (lists only for multiple choice)."""
    multiple = {f"q{q.pk}" for q in questions if q.kind == Question.MULTIPLE}
    initial = {}
    for name, values in (draft or {}).items():
        if isinstance(values, list) and values:
            initial[name] = values if name in multiple else values[0]
    return initial


def _draft_saved(request: HttpRequest, context: dict, survey: Survey) -> HttpResponse:
    context["group_threshold"] = survey.group_threshold()
    return render(request, "surveys/answer.html", context)


def _survey_and_waves(slug: str) -> tuple[Survey, list[Wave]]:
    """An open link's survey and its users' waves, read together; 404 for an unknown slug."""
    survey, waves = survey_with_user_waves(slug)
    if survey is None:
        raise Http404("No survey here.")
    return survey, waves


@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, slug: str) -> HttpResponse:
    survey, waves = _survey_and_waves(slug)
    wave, status = (None, "none") if survey.draft else survey.public_wave(timezone.now(), waves)
    if status != Wave.OPEN:
        return _unavailable(request, survey, wave, status)
    if _answered_in_this_browser(request, survey, wave):
        return _already_answered(request, survey, open_link=True)
    return _answer(request, survey, wave)


@require_http_methods(["GET", "POST"])
def personal_link(request: HttpRequest, token: str) -> HttpResponse:
    invitation = (
        Invitation.objects.select_related("wave__survey", "department")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        return render(request, "surveys/unknown_link.html", status=404)
    wave, survey = invitation.wave, invitation.wave.survey
    status = wave.status(timezone.now())
    if status != Wave.OPEN:
        return _unavailable(request, survey, wave, status)
    if invitation.answered:
        return _already_answered(request, survey, open_link=False)
    return _answer(request, survey, wave, invitation)


def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    return _thanks(request, get_object_or_404(Survey, slug=slug))


@in_language
def _thanks(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "surveys/thanks.html", {"survey": survey})


def _chosen_language(request: HttpRequest) -> str:
    """The switcher's choice, carried to the next page in the link (never stored)."""
    chosen = request.GET.get("lang", "")
    return f"?lang={chosen}" if chosen in dict(settings.LANGUAGES) else ""


# -- Importing responses (staff: managers) --------------------------------------------------

NOT_YOURS = (
    "The survey “{slug}” belongs to other managers: ask one of them to share it with you, "
    "or choose another name to create a new survey."
)


def _may_import_into(user, slug: str) -> bool:
    """A new slug creates a survey; an existing one must be a survey this person manages."""
    existing = Survey.objects.filter(slug=slug)
    return not existing.exists() or existing.managed_by(user).exists()


@permission_required(MANAGE_SURVEYS)
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: upload an export; it is read at once so a bad file is refused here."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and not _may_import_into(request.user, form.cleaned_data["slug"])
    ):
        form.add_error("slug", NOT_YOURS.format(slug=form.cleaned_data["slug"]))
    if request.method == "POST" and form.is_valid():
        services.uploads_prune()  # opportunistically; cron runs `prune_uploads` too
        data = form.cleaned_data["file"].read()
        try:
            imports.read_export(data, form.cleaned_data["format"])
        except imports.ImportProblem as error:
            form.add_error("file", f"{error} Nothing was imported.")
        else:
            upload = ImportUpload.objects.create(
                data=data,
                filename=form.cleaned_data["file"].name[:255],
                slug=form.cleaned_data["slug"],
                title=form.cleaned_data["title"],
                wave_label=form.cleaned_data["wave"],
                format=form.cleaned_data["format"],
                created_by=request.user,
            )
            return redirect("surveys:import_mapping", pk=upload.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/import_upload.html", {"form": form}, status=status)


@permission_required(MANAGE_SURVEYS)
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Steps 2 and 3: a kind for every column, every problem found, a preview; then import."""
    upload = get_object_or_404(ImportUpload, pk=pk, created_by=request.user)
    if not _may_import_into(request.user, upload.slug):
        raise PermissionDenied(NOT_YOURS.format(slug=upload.slug))
    if upload.status not in (ImportUpload.UPLOADED, ImportUpload.FAILED):
        return redirect("surveys:import_status", pk=upload.pk)
    try:
        table = imports.read_export(bytes(upload.data), upload.format)
    except imports.ImportProblem as error:  # e.g. the limits were lowered since it was uploaded
        upload.delete()
        messages.error(request, f"{error} Nothing was imported; upload the file again.")
        return render(request, "surveys/import_upload.html", {"form": UploadForm()}, status=400)
    proposed = imports.propose_mapping(table)
    proposed_scales = imports.propose_scales(table, proposed)
    data = with_group_choices(request.POST, table.headers, proposed)
    chosen = {h: data.get(f"column_{i}", proposed[h]) for i, h in enumerate(table.headers)}
    converted = imports.convert(table, chosen, scales=proposed_scales)
    form = MappingForm(
        data or None,
        headers=table.headers,
        proposed=proposed,
        unknown=converted.unknown_labels,
        scales=proposed_scales,
    )
    if request.method == "POST" and form.is_valid():
        converted = imports.convert(table, form.mapping(), form.labels(), form.scales(), form.keep_personal())
        if request.POST.get("action") == "import" and not converted.problems:
            upload.columns, upload.labels = form.mapping(), form.labels()
            upload.scales = {h: scale.as_json() for h, scale in form.scales().items()}
            upload.keep_personal = form.keep_personal()
            if len(upload.data) > settings.IMPORT_BACKGROUND_BYTES:
                return _import_in_background(upload)
            upload.status = ImportUpload.RUNNING
            upload.save(update_fields=["columns", "labels", "scales", "keep_personal", "status"])
            try:
                result = services.upload_import(upload=upload)
            except imports.ImportProblem as error:
                upload.status = ImportUpload.FAILED
                upload.save(update_fields=["status"])
                converted.problems.append(str(error))
            else:
                upload.delete()
                messages.success(request, upload.message)
                return redirect(reverse("reports:dashboard") + f"?survey={result.survey.slug}")
    samples = {
        header: [row[i] for row in table.rows[:500] if not imports.is_missing(row[i])][:3]
        for i, header in enumerate(table.headers)
    }
    mapping = form.mapping() if form.is_bound and form.is_valid() else chosen
    return render(
        request,
        "surveys/import_mapping.html",
        {
            "upload": upload,
            "table": table,
            "form": form,
            "groups": [
                {
                    "kind": kind,
                    "words": imports.KIND_WORDS.get(kind, kind),
                    "decision": form[f"group_{kind}"],
                    "columns": [(form[f"column_{i}"], samples[header]) for i, header in members],
                }
                for kind, members in form.groups.items()
            ],
            "label_fields": [form[name] for name, _, _ in form.label_fields],
            "scale_blocks": [
                {
                    "block": block,
                    "low": form[f"scale_{n}_low"],
                    "high": form[f"scale_{n}_high"],
                    "confirm": form[f"scale_{n}_confirm"],
                }
                for n, block in enumerate(form.blocks)
            ],
            "personal": [form[f"keep_{i}"] for i, _ in form.personal],
            "problems": converted.problems,
            "preview": _preview(converted, mapping, PREVIEW_ROWS),
        },
        status=400 if request.method == "POST" and converted.problems else 200,
    )


PREVIEW_ROWS = 5
MISSING = "—"


@dataclass(frozen=True)
class PreviewLine:
    """One imported column of the preview: its header and its first values as stored."""

    header: str
    kind: str
    values: list[str]


def _stored(value) -> str:
    """A converted value as it will be stored: a number, the options chosen, a date."""
    if value is None or value == [] or value == "":
        return MISSING
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def _preview(converted: imports.Converted, mapping: dict[str, str], rows: int) -> list[PreviewLine]:
    """The first rows turned on their side: one line per imported column, one cell per
    response, so a wide file reads down the page."""
    first = converted.first_rows(rows)
    lines = [
        PreviewLine("When it was answered", "timestamp", [_stored(r["timestamp"]) for r in first]),
        PreviewLine("Department", "department", [_stored(r["department"]) for r in first]),
    ]
    for header, kind in mapping.items():
        dropped = imports.is_personal(header) and header not in converted.kept_personal
        if kind in imports.QUESTION_KINDS and not dropped:
            lines.append(PreviewLine(header, kind, [_stored(r["answers"].get(header)) for r in first]))
    return lines


def _import_in_background(upload: ImportUpload) -> HttpResponse:
    """A large file would outlast the request: a task imports it; its page shows how it goes."""
    upload.status, upload.message, upload.rows_checked = ImportUpload.QUEUED, "", 0
    upload.save(
        update_fields=["columns", "labels", "scales", "keep_personal", "status", "message", "rows_checked"]
    )
    tasks.import_upload.enqueue(upload.pk)
    return redirect("surveys:import_status", pk=upload.pk)


@permission_required(MANAGE_SURVEYS)
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a background import stands; reloads itself until it is done (no JavaScript)."""
    upload = get_object_or_404(ImportUpload, pk=pk, created_by=request.user)
    return render(request, "surveys/import_status.html", {"upload": upload})


# -- Coding survey comments (staff: listeners) -----------------------------------------------


class NotInQueue(Exception):
    """A survey, wave or comment named in a request that is not among those offered."""


BULK_PAGE_SIZE = 25
RECENTLY_SKIPPED = 5


def _id(value: str) -> int:
    """A database id from a request, or NotInQueue: digits only, of a sane length."""
    if not value.isdigit() or len(value) > 18:
        raise NotInQueue("That is not a comment, wave or survey in the queue; reload the page.")
    return int(value)


@dataclass(frozen=True)
class CodingFilter:
    """The survey (and optionally the wave) whose comments a listener is coding, and the
    waiting counts shown beside them. Imported comments wait under their own survey, so
    the live survey's queue is never buried under an import."""

    survey: Survey | None
    wave: Wave | None
    surveys: list[tuple[Survey, int]]  # every survey with comments waiting, and how many
    waves: list[tuple[Wave, int]]  # the chosen survey's waves with comments waiting

    def link(self, name: str, **extra) -> str:
        """The URL of page ``name`` under this filter, to come back to it after a POST."""
        params = {"survey": self.survey.slug} if self.survey else {}
        params |= {"wave": self.wave.pk} if self.wave else {}
        params |= extra
        return reverse(name) + ("?" + urlencode(params) if params else "")

    @property
    def query(self) -> str:
        """The filter as a query string, for links in the pages."""
        return self.link("surveys:coding").removeprefix(reverse("surveys:coding"))

    def queue(self) -> AnswerQuerySet:
        return (
            Answer.objects.awaiting_coding().in_survey(self.survey, self.wave)
            if self.survey
            else Answer.objects.none()
        )

    def skipped(self) -> AnswerQuerySet:
        return (
            Answer.objects.skipped().in_survey(self.survey, self.wave)
            if self.survey
            else Answer.objects.none()
        )


def _coding_filter(params) -> CodingFilter:
    """The filter named by ``survey`` (a slug) and ``wave`` (an id) in GET or POST data.

    Without a survey: the one whose newest wave with comments waiting opened last, so
    a historical import does not push the live survey's comments aside. A survey or wave
    that is unknown, or a wave of another survey, raises NotInQueue.
    """
    waiting = Answer.objects.awaiting_coding().order_by()
    per_survey = dict(waiting.values_list("response__wave__survey").annotate(n=Count("id", distinct=True)))
    newest = dict(waiting.values_list("response__wave__survey").annotate(opens=Max("response__wave__opens")))
    surveys = sorted(Survey.objects.filter(pk__in=per_survey), key=lambda s: newest[s.pk], reverse=True)
    slug, wave_id = params.get("survey", ""), params.get("wave", "")
    if slug:
        survey = Survey.objects.filter(slug=slug[:50]).first()
        if survey is None:
            raise NotInQueue("There is no survey by that name; choose one from the list.")
    else:
        survey = surveys[0] if surveys else None
    wave = None
    if wave_id:
        wave = Wave.objects.filter(pk=_id(wave_id), survey=survey).first() if survey else None
        if wave is None:
            raise NotInQueue("That wave is not one of this survey's; choose one from the list.")
    waves: list[tuple[Wave, int]] = []
    if survey is not None:
        per_wave = dict(
            waiting.filter(response__wave__survey=survey)
            .values_list("response__wave")
            .annotate(n=Count("id", distinct=True))
        )
        waves = [(w, per_wave[w.pk]) for w in survey.waves.filter(pk__in=per_wave)]
    return CodingFilter(survey, wave, [(s, per_survey[s.pk]) for s in surveys], waves)


def _not_in_queue(error: NotInQueue) -> HttpResponse:
    return HttpResponseBadRequest(str(error))


def _chosen(queryset: AnswerQuerySet, value: str) -> Answer:
    """The comment ``value`` names, if it is in ``queryset``; else NotInQueue."""
    answer = queryset.filter(pk=_id(value)).first()
    if answer is None:
        raise NotInQueue(
            "That comment is not in this queue any more (coded by someone else?); reload the page."
        )
    return answer


@permission_required(CODE_COMMENTS)
def coding(request: HttpRequest) -> HttpResponse:
    """One comment at a time, with only its wave: tick its themes, or skip it. Filtered
    by survey and wave; a skip can be undone."""
    params = request.POST if request.method == "POST" else request.GET
    try:
        chosen = _coding_filter(params)
        queue = chosen.queue()
        if request.method == "POST":
            answer = _chosen(queue, request.POST.get("answer", ""))
        elif request.GET.get("answer"):
            answer = _chosen(queue, request.GET["answer"])
        else:
            answer = queue.first()
        skipped_now = (
            chosen.skipped().filter(pk=_id(request.GET["skipped"])).first()
            if request.GET.get("skipped")
            else None
        )
    except NotInQueue as error:
        return _not_in_queue(error)
    if request.method == "POST":
        if request.POST.get("action") == "skip":
            services.answer_code(answer=answer, themes=[])
            return redirect(chosen.link("surveys:coding", skipped=answer.pk))
        form = CodingForm(request.POST)
        if form.is_valid():
            services.answer_code(answer=answer, **form.cleaned_data)
            messages.success(request, "Coded.")
            return redirect(chosen.link("surveys:coding"))
        status = 400
    else:
        form, status = CodingForm(), 200
    return render(
        request,
        "surveys/coding.html",
        {
            "answer": answer,
            "form": form,
            "remaining": queue.count(),
            "filter": chosen,
            "skipped_now": skipped_now,
            "recently_skipped": list(chosen.skipped()[:RECENTLY_SKIPPED]),
        },
        status=status,
    )


@require_POST
@permission_required(CODE_COMMENTS)
def coding_unskip(request: HttpRequest) -> HttpResponse:
    """Bring a skipped comment back to the queue, and show it to code now."""
    try:
        chosen = _coding_filter(request.POST)
        answer = _chosen(chosen.skipped(), request.POST.get("answer", ""))
    except NotInQueue as error:
        return _not_in_queue(error)
    services.answer_unskip(answer=answer)
    messages.info(request, "Brought back: the comment is waiting again.")
    return redirect(chosen.link("surveys:coding", answer=answer.pk))


@permission_required(CODE_COMMENTS)
def coding_bulk(request: HttpRequest) -> HttpResponse:
    """Up to 25 waiting comments of the chosen survey (and wave) at once: tick those that
    share themes, pick the themes once, code them all."""
    params = request.POST if request.method == "POST" else request.GET
    try:
        chosen = _coding_filter(params)
        queue = chosen.queue()
        picked = []
        if request.method == "POST":
            ids = [_id(value) for value in request.POST.getlist("answers")]
            picked = list(queue.filter(pk__in=ids))
            if len(picked) != len(set(ids)):
                raise NotInQueue(
                    "Some of the ticked comments are not waiting in this survey's queue "
                    "(coded by someone else?); reload the page."
                )
    except NotInQueue as error:
        return _not_in_queue(error)
    form = CodingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not picked:
            form.add_error(None, "Tick at least one comment to code.")
        if form.is_valid():
            coded = services.answers_code(answers=picked, **form.cleaned_data)
            messages.success(request, f"Coded {coded} comment{pluralize(coded)}.")
            return redirect(chosen.link("surveys:coding_bulk"))
    paginator = Paginator(queue, BULK_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/coding_bulk.html",
        {
            "page": page,
            "form": form,
            "filter": chosen,
            "ticked": {answer.pk for answer in picked},
            "remaining": paginator.count,
        },
        status=400 if request.method == "POST" else 200,
    )


# -- Invitations and reminders (staff: managers of the survey) ---------------------------------

# The email preview's own HTML carries inline styles (mail programs need them): the page
# that shows it in a sandboxed frame allows inline styles, and still no script at all.
EMAIL_FRAME_CSP = {"style-src": ["'self'", "'unsafe-inline'"]}
# The preview shows a link of the real shape that opens nothing.
EXAMPLE_LINK_TOKEN = "example-personal-link"  # noqa: S105


def _managed_wave(request: HttpRequest, slug: str, wave_id: int) -> Wave:
    """The wave, if its survey is one this person manages (else 404: not theirs to see)."""
    survey = get_object_or_404(Survey.objects.managed_by(request.user), slug=slug)
    return get_object_or_404(Wave.objects.select_related("survey"), pk=wave_id, survey=survey)


def _reminder_form(wave: Wave, data=None) -> ReminderForm:
    message = invitation_email.default_message(wave)
    return ReminderForm(
        data, initial={"reminders": message.reminders, "reminder_days": message.reminder_days}
    )


@permission_required(MANAGE_SURVEYS)
def wave_invitations(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    """How many were invited, sent, bounced, opted out and answered (never who), the
    reminder plan, and the way to invite more people."""
    wave = _managed_wave(request, slug, wave_id)
    return _invitations_page(request, wave, _reminder_form(wave))


def _invitations_page(request: HttpRequest, wave: Wave, reminder_form: ReminderForm, status: int = 200):
    now = timezone.now()
    message = invitation_email.default_message(wave)
    return render(
        request,
        "surveys/invitations.html",
        {
            "survey": wave.survey,
            "wave": wave,
            "status": wave.status(now),
            "counts": services.invitation_counts(wave),
            "message": message,
            "reminder_form": reminder_form,
            "group_threshold": wave.survey.group_threshold(),
        },
        status=status,
    )


@permission_required(MANAGE_SURVEYS)
@csp_replace(EMAIL_FRAME_CSP)
def wave_invitations_new(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    """Choose people, edit the text with a preview of the real email, send now or later."""
    wave = _managed_wave(request, slug, wave_id)
    now = timezone.now()
    directory = hooks.people()
    message = invitation_email.default_message(wave)
    form = InviteForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        wave=wave,
        influence_choices=directory.influence_choices() if directory else None,
        now=now,
        initial={"subject": message.subject, "body": message.body},
    )
    closed = wave.status(now) == Wave.CLOSED
    status = 200
    if request.method == "POST":
        if closed:
            form.add_error(None, "This wave has closed: nobody can answer it any more, so nothing was sent.")
        elif request.POST.get("action") == "send" and form.is_valid():
            services.invitation_message_save(
                wave=wave, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
            )
            recipients, send_after = form.recipients(), form.send_after()
            due = send_after <= now
            when = (
                "They are being sent now."
                if due
                else f"They will be sent on {timezone.localtime(send_after):%d %B %Y at %H:%M}."
            )
            if len(recipients) > settings.INVITATIONS_IN_REQUEST:
                # A long list would outlast the request: a task invites (and sends) it.
                tasks.invite_recipients.enqueue(
                    wave.pk, services.recipients_seal(recipients), send_after.isoformat()
                )
                messages.success(request, f"Inviting {len(recipients)} people in the background. {when}")
            else:
                invited = services.recipients_invite(wave=wave, recipients=recipients, send_after=send_after)
                if due:
                    tasks.send_invitations.enqueue(wave.pk)
                messages.success(
                    request,
                    f"Invited {invited.created} {pluralize(invited.created, 'person,people')}; "
                    f"{invited.already} already invited (not again). {when}",
                )
            return redirect("surveys:wave_invitations", slug=wave.survey.slug, wave_id=wave.pk)
        else:
            form.is_valid()
        status = 400 if form.errors else 200
    # The preview is the real email, rendered as it will go, with an example link.
    preview_message = message
    if form.is_bound and not form.errors.get("subject") and not form.errors.get("body"):
        preview_message = InvitationMessage(
            wave=wave, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
        )
    preview = invitation_email.compose(
        wave=wave, message=preview_message, token=EXAMPLE_LINK_TOKEN, opt_out="example"
    )
    return render(
        request,
        "surveys/invitations_new.html",
        {
            "survey": wave.survey,
            "wave": wave,
            "form": form,
            "closed": closed,
            "preview": preview,
            "people": directory is not None,
        },
        status=status,
    )


@require_POST
@permission_required(MANAGE_SURVEYS)
def wave_reminders(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    """Keep the reminder plan; or send the next reminder now to those it may go to."""
    wave = _managed_wave(request, slug, wave_id)
    if request.POST.get("action") == "send_now":
        if not wave.is_open(timezone.now()):
            messages.error(request, "Reminders go only while the wave is open.")
        elif invitation_email.default_message(wave).reminders == 0:
            messages.error(request, "Choose one or two reminders first.")
        else:
            tasks.send_reminders.enqueue(wave.pk, right_away=True)
            messages.success(
                request,
                "A reminder is being sent to everyone invited who has not answered, opted out or "
                "had every reminder already.",
            )
        return redirect("surveys:wave_invitations", slug=wave.survey.slug, wave_id=wave.pk)
    form = _reminder_form(wave, request.POST)
    if not form.is_valid():
        return _invitations_page(request, wave, form, status=400)
    message = invitation_email.default_message(wave)
    services.invitation_message_save(
        wave=wave, subject=message.subject, body=message.body, **form.cleaned_data
    )
    messages.success(request, "Reminder plan saved.")
    return redirect("surveys:wave_invitations", slug=wave.survey.slug, wave_id=wave.pk)


# -- Opting out of reminders (public) ------------------------------------------------------


@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link in every invitation and reminder: no account needed. A visit asks
    (mail scanners open links); the button opts out."""
    invitation = invitation_email.invitation_from_opt_out(token)
    if invitation is None:
        return render(request, "surveys/unknown_link.html", status=404)
    wave = invitation.wave
    if wave.status(timezone.now()) == Wave.CLOSED:
        # Nothing more will be sent, and a forwarded email should not keep a handle on
        # the invitation (whether it opted out) after its address was erased.
        return _unavailable(request, wave.survey, wave, Wave.CLOSED)
    return _opt_out(request, wave.survey, invitation)


@in_language
def _opt_out(request: HttpRequest, survey: Survey, invitation: Invitation) -> HttpResponse:
    done = invitation.opted_out
    if request.method == "POST":
        services.invitation_opt_out(invitation=invitation)
        done = True
    return render(request, "surveys/opt_out.html", {"survey": survey, "done": done})
