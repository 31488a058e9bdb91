"""The listening log: people, conversations, notes, quick capture, the codebook and
follow-up actions. Views fetch, validate a form, call a service, redirect."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from conversations import services
from conversations.forms import (
    ActionForm,
    CodebookImportForm,
    ConversationForm,
    NoteForm,
    PeopleImportForm,
    PersonEraseForm,
    PersonForm,
    QuickCaptureForm,
    ThemeForm,
    ThemeMergeForm,
)
from conversations.models import Action, Conversation, Note, Person, ThemeMerge
from perception.models import Department, Theme
from perception.roles import LOG_CONVERSATIONS, VIEW_RESULTS, permission_required

PAGE_SIZE = 25


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _edit(request, form_class, instance, template: str, success: str, context: dict | None = None):
    """Create or edit one object with a ModelForm; a bad form comes back with a 400."""
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST":
        if form.is_valid():
            saved = form.save()
            messages.success(request, f"Saved “{saved}”.")
            return redirect(success)
        return render(request, template, {"form": form, "object": instance, **(context or {})}, status=400)
    return render(request, template, {"form": form, "object": instance, **(context or {})})


def _department_id(request: HttpRequest) -> int | None:
    """The department filter's id; anything that is not a number filters nothing."""
    value = request.GET.get("department", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


# -- People ---------------------------------------------------------------------------


@permission_required(VIEW_RESULTS)
def people(request: HttpRequest) -> HttpResponse:
    found = (
        Person.objects.select_related("department")
        .annotate(conversation_count=Count("conversations"))
        .order_by("name", "id")
    )
    query = request.GET.get("q", "").strip()
    if query:
        found = found.filter(Q(name__icontains=query) | Q(email__icontains=query) | Q(role__icontains=query))
    department = _department_id(request)
    if department is not None:
        found = found.filter(department_id=department)
    if request.GET.get("influence") in {choice for choice, _ in Person.INFLUENCE_CHOICES}:
        found = found.filter(influence=request.GET["influence"])
    if request.GET.get("influencers"):
        found = found.filter(is_influencer=True)
    return render(
        request,
        "conversations/people.html",
        {
            "page": _page(request, found),
            "departments": Department.objects.all(),
            "influences": Person.INFLUENCE_CHOICES,
            "filters": request.GET,
        },
    )


@permission_required(LOG_CONVERSATIONS)
def person_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk) if pk else None
    return _edit(request, PersonForm, person, "conversations/person_form.html", "conversations:people")


@permission_required(LOG_CONVERSATIONS)
def people_import(request: HttpRequest) -> HttpResponse:
    """Stakeholders from a CSV, all rows or none; the same people again are updated."""
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.people_import(form.cleaned_data["file"].read())
        except services.PeopleImportError as error:
            form.add_error("file", str(error))
        else:
            messages.success(request, f"People imported: {result.created} added, {result.updated} updated.")
            return redirect("conversations:people")
    status = 400 if request.method == "POST" else 200
    return render(request, "conversations/people_import.html", {"form": form}, status=status)


# -- Conversations and notes ------------------------------------------------------------


@permission_required(VIEW_RESULTS)
def conversations(request: HttpRequest) -> HttpResponse:
    found = (
        Conversation.objects.prefetch_related("departments")
        .annotate(note_count=Count("notes", distinct=True), named=Count("participants", distinct=True))
        .order_by("-date", "-id")
    )
    if request.GET.get("kind") in dict(Conversation.KIND_CHOICES):
        found = found.filter(kind=request.GET["kind"])
    department = _department_id(request)
    if department is not None:
        found = found.filter(departments=department)
    return render(
        request,
        "conversations/conversations.html",
        {
            "page": _page(request, found),
            "kinds": Conversation.KIND_CHOICES,
            "departments": Department.objects.all(),
            "filters": request.GET,
        },
    )


@permission_required(LOG_CONVERSATIONS)
def conversation_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    conversation = get_object_or_404(Conversation, pk=pk) if pk else Conversation(facilitator=request.user)
    form = ConversationForm(request.POST or None, instance=conversation)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, "Conversation saved. Add what you heard below.")
        return redirect("conversations:conversation", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "conversations/conversation_form.html", {"form": form, "object": conversation}, status=status
    )


def _conversation_page(
    request, conversation: Conversation, note_form: NoteForm, status: int = 200
) -> HttpResponse:
    notes = conversation.notes.select_related("person").prefetch_related("themes")
    return render(
        request,
        "conversations/conversation.html",
        {
            "conversation": conversation,
            "notes": notes,
            "participants": conversation.participants.all(),
            "note_form": note_form,
            "history": conversation.note_events.select_related("by"),
        },
        status=status,
    )


@permission_required(VIEW_RESULTS)
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Conversation.objects.select_related("facilitator"), pk=pk)
    return _conversation_page(request, found, NoteForm())


@permission_required(LOG_CONVERSATIONS)
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Conversation, pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _conversation_page(request, found, form, status=400)
    services.note_add(conversation=found, **form.cleaned_data)
    messages.success(request, "Note added.")
    return redirect("conversations:conversation", pk=pk)


def _note_of(conversation_pk: int, pk: int) -> Note:
    return get_object_or_404(
        Note.objects.select_related("conversation"), pk=pk, conversation_id=conversation_pk
    )


@permission_required(LOG_CONVERSATIONS)
def note_edit(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    """Change a note; the conversation's history records who, when and the words before."""
    note = _note_of(pk, note_pk)
    initial = {
        "text": note.text,
        "person": note.person,
        "themes": list(note.themes.all()),
        "sentiment": note.sentiment,
        "is_quote": note.is_quote,
    }
    form = NoteForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            services.note_edit(note=note, by=request.user, **form.cleaned_data)
            messages.success(request, "Note changed; the conversation's history keeps the words before.")
            return redirect("conversations:conversation", pk=pk)
        status = 400
    else:
        status = 200
    return render(request, "conversations/note_form.html", {"form": form, "note": note}, status=status)


@permission_required(LOG_CONVERSATIONS)
def note_delete(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    """Confirm, then delete a note; its words stay in the conversation's history."""
    note = _note_of(pk, note_pk)
    if request.method == "POST":
        services.note_delete(note=note, by=request.user)
        messages.success(request, "Note deleted; the conversation's history keeps who deleted it and when.")
        return redirect("conversations:conversation", pk=pk)
    return render(request, "conversations/note_delete.html", {"note": note})


@permission_required(LOG_CONVERSATIONS)
def quick_capture(request: HttpRequest) -> HttpResponse:
    """A walkabout note in one tap; the department is remembered for the next one."""
    initial = {"department": request.session.get("capture_department")}
    form = QuickCaptureForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            services.quick_capture(user=request.user, **form.cleaned_data)
            request.session["capture_department"] = form.cleaned_data["department"].pk
            messages.success(request, "Note saved. Ready for the next one.")
            return redirect("conversations:capture")
        return render(request, "conversations/capture.html", {"form": form}, status=400)
    return render(request, "conversations/capture.html", {"form": form})


# -- Codebook ---------------------------------------------------------------------------


@permission_required(VIEW_RESULTS)
def themes(request: HttpRequest) -> HttpResponse:
    codebook = (
        Theme.objects.select_related("parent")
        .annotate(
            note_count=Count("notes", distinct=True),
            answer_count=Count("answers", distinct=True),
            action_count=Count("actions", distinct=True),
        )
        .order_by("name")
    )
    return render(
        request,
        "conversations/themes.html",
        {
            "themes": codebook,
            "merge_form": ThemeMergeForm(),
            "last_merge": ThemeMerge.objects.filter(undone_at__isnull=True).select_related("target").first(),
        },
    )


@permission_required(VIEW_RESULTS)
def theme(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Theme, pk=pk)
    notes = (
        Note.objects.filter(themes=found)
        .select_related("person", "conversation")
        .order_by("-conversation__date", "-id")
    )
    raised_by = (
        Person.objects.filter(notes__themes=found).annotate(times=Count("notes")).order_by("-times", "name")
    )
    return render(
        request,
        "conversations/theme.html",
        {
            "theme": found,
            "notes": _page(request, notes),
            "raised_by": raised_by,
            "actions": found.actions.all(),
            "children": found.children.all(),
        },
    )


@permission_required(LOG_CONVERSATIONS)
def theme_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    found = get_object_or_404(Theme, pk=pk) if pk else None
    return _edit(request, ThemeForm, found, "conversations/theme_form.html", "conversations:themes")


@permission_required(LOG_CONVERSATIONS)
def theme_merge(request: HttpRequest) -> HttpResponse:
    """GET shows what the merge will move and asks to confirm; POST with ``confirm`` merges."""
    form = ThemeMergeForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect("conversations:themes")
    source, target = form.cleaned_data["source"], form.cleaned_data["target"]
    if request.method != "POST" or not request.POST.get("confirm"):
        preview = services.theme_merge_preview(source=source, target=target)
        return render(
            request,
            "conversations/theme_merge.html",
            {"source": source, "target": target, "preview": preview},
        )
    name = source.name
    result = services.theme_merge(source=source, target=target, by=request.user)
    messages.success(
        request,
        f"Merged “{name}” into “{target.name}”: {result.notes} note{'s' if result.notes != 1 else ''}, "
        f"{result.answers} comment{'s' if result.answers != 1 else ''} and {result.actions} "
        f"action{'s' if result.actions != 1 else ''} now carry “{target.name}”. "
        "You can undo this from the codebook page.",
    )
    return redirect("conversations:theme", pk=target.pk)


@permission_required(LOG_CONVERSATIONS)
@require_POST
def theme_merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_object_or_404(ThemeMerge, pk=pk)
    try:
        source = services.theme_merge_undo(merge=merge)
    except services.UndoError as error:
        messages.error(request, str(error))
        return redirect("conversations:themes")
    messages.success(request, f"Merge undone: “{source.name}” is back with its notes, comments and actions.")
    return redirect("conversations:theme", pk=source.pk)


@permission_required(VIEW_RESULTS)
def codebook_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(services.codebook_export(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="codebook.csv"'
    return response


@permission_required(LOG_CONVERSATIONS)
def codebook_import(request: HttpRequest) -> HttpResponse:
    form = CodebookImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.codebook_import(form.cleaned_data["file"].read())
        except services.CodebookError as error:
            form.add_error("file", str(error))
        else:
            messages.success(
                request, f"Codebook imported: {result.created} new themes, {result.updated} updated."
            )
            return redirect("conversations:themes")
    status = 400 if request.method == "POST" else 200
    return render(request, "conversations/codebook_import.html", {"form": form}, status=status)


# -- Actions ---------------------------------------------------------------


@permission_required(VIEW_RESULTS)
def actions(request: HttpRequest) -> HttpResponse:
    found = Action.objects.select_related("owner").prefetch_related("themes")
    status = request.GET.get("status", "open")
    if status == "open":
        found = found.filter(status__in=[Action.PLANNED, Action.IN_PROGRESS])
    elif status in dict(Action.STATUS_CHOICES):
        found = found.filter(status=status)
    return render(
        request,
        "conversations/actions.html",
        {"page": _page(request, found), "statuses": Action.STATUS_CHOICES, "status": status},
    )


@permission_required(LOG_CONVERSATIONS)
def action_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    found = get_object_or_404(Action, pk=pk) if pk else None
    return _edit(request, ActionForm, found, "conversations/action_form.html", "conversations:actions")


# -- Erasing a person -------------------------------------------------------------------


@permission_required(LOG_CONVERSATIONS)
def person_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then erase a person: nothing changes until the form is posted."""
    person = get_object_or_404(Person, pk=pk)
    form = PersonEraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        erasure = services.person_erase(person=person, keep_notes=form.keep_notes(), by=request.user)
        if erasure.notes_kept:
            done = f"{erasure.notes_kept} note{'s' if erasure.notes_kept != 1 else ''} kept without a name"
        else:
            done = f"{erasure.notes_deleted} note{'s' if erasure.notes_deleted != 1 else ''} deleted"
        messages.success(request, f"The person was erased; {done}.")
        return redirect("conversations:people")
    return render(
        request,
        "conversations/person_erase.html",
        {"form": form, "object": person, "note_count": person.notes.count()},
        status=400 if request.method == "POST" else 200,
    )
