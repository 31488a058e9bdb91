"""Writes that span several models: notes with new themes, quick capture, the codebook."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from conversations.models import Action, Conversation, Erasure, Note, NoteEvent, Person, ThemeMerge
from perception.csvfiles import CsvProblem, read_rows
from perception.models import Department, Theme
from perception.spreadsheets import neutralise

CODEBOOK_COLUMNS = ["name", "description", "parent"]


class CodebookError(ValueError):
    """A codebook file that cannot be imported; the message names the row and column."""


@transaction.atomic
def note_add(
    *,
    conversation: Conversation,
    text: str,
    person: Person | None = None,
    themes: list[Theme] = (),
    new_theme: str = "",
    sentiment: int = Note.NEUTRAL,
    is_quote: bool = False,
) -> Note:
    note = Note.objects.create(
        conversation=conversation, text=text, person=person, sentiment=sentiment, is_quote=is_quote
    )
    chosen = list(themes)
    if new_theme.strip():
        chosen.append(Theme.objects.named(new_theme))
    note.themes.set(chosen)
    if person is not None:
        conversation.participants.add(person)
    return note


@transaction.atomic
def quick_capture(
    *,
    user,
    department: Department,
    text: str,
    person: Person | None = None,
    themes: list[Theme] = (),
    new_theme: str = "",
    sentiment: int = Note.NEUTRAL,
    on: date | None = None,
) -> Note:
    """A walkabout note: one walkabout conversation per note, so notes from different,
    unnamed people count as different voices."""
    conversation = Conversation.objects.create(
        kind=Conversation.WALKABOUT,
        date=on or timezone.localdate(),
        facilitator=user,
        unnamed_participants=0 if person else 1,
    )
    conversation.departments.add(department)
    return note_add(
        conversation=conversation,
        text=text,
        person=person,
        themes=themes,
        new_theme=new_theme,
        sentiment=sentiment,
    )


@transaction.atomic
def note_edit(
    *,
    note: Note,
    by,
    text: str,
    person: Person | None = None,
    themes: list[Theme] = (),
    new_theme: str = "",
    sentiment: int = Note.NEUTRAL,
    is_quote: bool = False,
) -> Note:
    """Change a note and record who changed it, when, and the words before."""
    NoteEvent.objects.create(
        conversation=note.conversation, note=note, kind=NoteEvent.EDITED, text_before=note.text, by=by
    )
    note.text, note.person, note.sentiment, note.is_quote = text, person, sentiment, is_quote
    note.save(update_fields=["text", "person", "sentiment", "is_quote"])
    chosen = list(themes)
    if new_theme.strip():
        chosen.append(Theme.objects.named(new_theme))
    note.themes.set(chosen)
    if person is not None:
        note.conversation.participants.add(person)
    return note


@transaction.atomic
def note_delete(*, note: Note, by) -> NoteEvent:
    """Delete a note; the conversation's history keeps who deleted it, when, and its words."""
    event = NoteEvent.objects.create(
        conversation=note.conversation, note=note, kind=NoteEvent.DELETED, text_before=note.text, by=by
    )
    note.delete()
    return event


MERGED_KINDS = (
    ("answers", Theme.answers.through, "answer_id"),
    ("notes", Note.themes.through, "note_id"),
    ("actions", Action.themes.through, "action_id"),
)


@dataclass(frozen=True)
class MergeResult:
    answers: int
    notes: int
    actions: int
    children: int = 0


def theme_merge_preview(*, source: Theme, target: Theme) -> MergeResult:
    """What a merge would move: items coded with ``source`` (by kind) and its sub-themes."""
    counts = {name: through.objects.filter(theme=source).count() for name, through, _ in MERGED_KINDS}
    return MergeResult(**counts, children=source.children.exclude(pk=target.pk).count())


@transaction.atomic
def theme_merge(*, source: Theme, target: Theme, by=None) -> MergeResult:
    """Fold ``source`` into ``target``: every coding moves, nothing is lost, then ``source``
    is deleted. Items coded with both keep one coding. What moved is recorded (ThemeMerge)
    so the merge can be undone."""
    if source.pk == target.pk:
        raise ValueError("A theme cannot be merged into itself.")
    record = ThemeMerge(
        source_name=source.name,
        source_description=source.description,
        source_parent=source.parent,
        target=target,
        target_parent_before=target.parent,
        target_description_before=target.description,
        by=by,
    )
    counts = {}
    for name, through, field in MERGED_KINDS:
        already = set(through.objects.filter(theme=target).values_list(field, flat=True))
        rows = through.objects.filter(theme=source)
        carrying = set(rows.values_list(field, flat=True))
        record.moved[name] = sorted(carrying - already)
        record.shared[name] = sorted(carrying & already)
        counts[name] = len(carrying)
        rows.exclude(**{f"{field}__in": already}).update(theme=target)
        rows.delete()  # what is left was already coded with the target
    children = Theme.objects.filter(parent=source).exclude(pk=target.pk)
    record.children = sorted(children.values_list("pk", flat=True))
    children.update(parent=target)
    if target.parent_id == source.pk:
        target.parent = source.parent
        target.save(update_fields=["parent"])
    if not target.description and source.description:
        target.description = source.description
        target.save(update_fields=["description"])
    source.delete()
    record.save()
    return MergeResult(**counts, children=len(record.children))


class UndoError(ValueError):
    """The merge cannot be undone; the message says why."""


@transaction.atomic
def theme_merge_undo(*, merge: ThemeMerge) -> Theme:
    """Put a merge back: the source theme again, its codings and sub-themes, the target
    as it was. Only the latest merge not yet undone, and only while its target exists."""
    latest = ThemeMerge.objects.filter(undone_at__isnull=True).first()
    if latest is None or latest.pk != merge.pk:
        raise UndoError("Only the latest merge can be undone.")
    if merge.target is None:
        raise UndoError("The theme it was merged into has since been deleted.")
    if Theme.objects.filter(name__iexact=merge.source_name).exists():
        raise UndoError(f"A theme called “{merge.source_name}” exists again; rename it first.")
    target = merge.target
    source = Theme.objects.create(
        name=merge.source_name, description=merge.source_description, parent=merge.source_parent
    )
    for name, through, field in MERGED_KINDS:
        moved, shared = merge.moved.get(name, []), merge.shared.get(name, [])
        through.objects.filter(theme=target, **{f"{field}__in": moved}).update(theme=source)
        through.objects.bulk_create(
            [through(theme=source, **{field: item}) for item in shared], ignore_conflicts=True
        )
    Theme.objects.filter(pk__in=merge.children).update(parent=source)
    target.parent = merge.target_parent_before
    target.description = merge.target_description_before
    target.save(update_fields=["parent", "description"])
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    return source


def codebook_export() -> str:
    """The codebook as CSV text: name, description, parent (empty for top-level themes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CODEBOOK_COLUMNS)
    for theme in Theme.objects.select_related("parent").order_by("name"):
        writer.writerow(
            [
                neutralise(theme.name),
                neutralise(theme.description),
                neutralise(theme.parent.name if theme.parent else ""),
            ]
        )
    return buffer.getvalue()


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _refuse_parent_cycles(rows: list[tuple[int, str, str, str]], existing: dict[str, Theme]) -> None:
    """A parent chain that comes back to where it started (A under B, B under A), counting
    the parents the file gives and those of codebook themes the file does not mention."""
    parents = {name: (t.parent.name.lower() if t.parent else "") for name, t in existing.items()}
    parents |= {name.lower(): parent.lower() for _, name, _, parent in rows}
    for number, name, _, _ in rows:
        chain, current = [name.lower()], parents.get(name.lower(), "")
        while current:
            if current in chain:
                path = " → ".join([*chain[chain.index(current) :], current])
                raise CodebookError(f"Row {number}, column parent: the parents form a cycle ({path}).")
            chain.append(current)
            current = parents.get(current, "")


@transaction.atomic
def codebook_import(data: bytes) -> ImportResult:
    """Import a codebook CSV (name, description, parent) whole or not at all.

    Existing themes (same name, any case) get the file's description and parent; new
    names are created. A parent must be a theme in the file or already in the codebook.
    """
    try:
        parsed = read_rows(data, CODEBOOK_COLUMNS)
    except CsvProblem as problem:
        raise CodebookError(str(problem)) from None
    rows = []
    seen: dict[str, int] = {}
    for number, row in parsed:
        name = " ".join(row["name"].split())
        if not name:
            raise CodebookError(f"Row {number}, column name: a theme needs a name.")
        if len(name) > 120:
            raise CodebookError(f"Row {number}, column name: at most 120 characters.")
        if name.lower() in seen:
            raise CodebookError(
                f"Row {number}, column name: '{name}' is already on row {seen[name.lower()]}."
            )
        seen[name.lower()] = number
        rows.append((number, name, row["description"], " ".join(row["parent"].split())))
    existing = {t.name.lower(): t for t in Theme.objects.select_related("parent")}
    for number, name, _, parent in rows:
        if parent and parent.lower() not in seen and parent.lower() not in existing:
            raise CodebookError(f"Row {number}, column parent: no theme called '{parent}'.")
        if parent.lower() == name.lower():
            raise CodebookError(f"Row {number}, column parent: a theme cannot be its own parent.")
    _refuse_parent_cycles(rows, existing)
    created = updated = 0
    themes = {}
    for _, name, description, _ in rows:
        theme = existing.get(name.lower())
        if theme is None:
            theme = Theme.objects.create(name=name, description=description)
            created += 1
        else:
            theme.description = description
            theme.save(update_fields=["description"])
            updated += 1
        themes[name.lower()] = theme
    for _, name, _, parent in rows:
        theme = themes[name.lower()]
        theme.parent = (themes.get(parent.lower()) or existing.get(parent.lower())) if parent else None
        theme.save(update_fields=["parent"])
    return ImportResult(created, updated)


@transaction.atomic
def person_erase(*, person: Person, keep_notes: bool, by=None) -> Erasure:
    """Erase a person from the listening log; the record kept does not name them.

    With ``keep_notes`` their notes stay, unattributed, and each conversation they took
    part in counts them as an unnamed participant, so counts of voices do not change;
    otherwise their notes are deleted. The person's row goes, and with it the admin
    history lines that carry their name.
    """
    notes = Note.objects.filter(person=person)
    count = notes.count()
    if keep_notes:
        notes.update(person=None)
        Conversation.objects.filter(participants=person).update(
            unnamed_participants=F("unnamed_participants") + 1
        )
    else:
        notes.delete()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_id=str(person.pk)
    ).delete()
    person.delete()
    return Erasure.objects.create(
        notes_kept=count if keep_notes else 0, notes_deleted=0 if keep_notes else count, erased_by=by
    )


PEOPLE_COLUMNS = ["name", "email", "department", "role", "influence"]


class PeopleImportError(ValueError):
    """A people file that cannot be imported; the message names the row and column."""


@dataclass(frozen=True)
class PeopleImportResult:
    created: int
    updated: int


def _person_key(name: str, email: str) -> str:
    return f"email:{email.lower()}" if email else f"name:{name.lower()}"


@transaction.atomic
def people_import(data: bytes) -> PeopleImportResult:
    """Import stakeholders from CSV (name, email, department, role or title, influence),
    whole or not at all; only ``name`` is required as a column, the others may be left out.

    A row whose email matches a person already in the log (any case) updates that person;
    a row without email updates the person of the same name who has no email, else adds
    one. Departments must already exist (add them on the Departments page): a misspelt
    one would otherwise become a new department nobody meant. Cells that look like
    spreadsheet formulas are stored as plain text; exports neutralise them.
    """
    try:
        parsed = read_rows(data, ["name"])
    except CsvProblem as problem:
        raise PeopleImportError(str(problem)) from None
    departments = {d.name.lower(): d for d in Department.objects.all()}
    influences = {value: value for value, _ in Person.INFLUENCE_CHOICES} | {
        label.lower(): value for value, label in Person.INFLUENCE_CHOICES
    }
    rows = []
    seen: dict[str, int] = {}
    for number, row in parsed:
        name = " ".join(row["name"].split())
        email = row.get("email", "").strip()
        department_name = " ".join(row.get("department", "").split())
        role = " ".join(row.get("role", row.get("title", "")).split())
        influence = row.get("influence", "").strip().lower()
        if not name:
            raise PeopleImportError(f"Row {number}, column name: a person needs a name.")
        if len(name) > 120:
            raise PeopleImportError(f"Row {number}, column name: at most 120 characters.")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise PeopleImportError(
                    f"Row {number}, column email: “{email[:80]}” is not an email address."
                ) from None
        if department_name and department_name.lower() not in departments:
            raise PeopleImportError(
                f"Row {number}, column department: no department called “{department_name[:80]}”; "
                "add it on the Departments page first, or correct the spelling."
            )
        if len(role) > 120:
            raise PeopleImportError(f"Row {number}, column role: at most 120 characters.")
        if influence and influence not in influences:
            raise PeopleImportError(
                f"Row {number}, column influence: “{influence[:40]}” is not one of high, medium or low."
            )
        key = _person_key(name, email)
        if key in seen:
            raise PeopleImportError(
                f"Row {number}, column {'email' if email else 'name'}: "
                f"the same person is already on row {seen[key]}."
            )
        seen[key] = number
        rows.append(
            (name, email, departments.get(department_name.lower()), role, influences.get(influence), row)
        )
    created = updated = 0
    for name, email, department, role, influence, row in rows:
        if email:
            person = Person.objects.filter(email__iexact=email).order_by("pk").first()
        else:
            person = Person.objects.filter(email="", name__iexact=name).order_by("pk").first()
        if person is None:
            person = Person(name=name, email=email, influence=influence or Person.MEDIUM)
            created += 1
        else:
            person.name = name
            updated += 1
        # A column the file leaves out keeps what the log already holds.
        if "department" in row:
            person.department = department
        if "role" in row or "title" in row:
            person.role = role
        if influence:
            person.influence = influence
        person.save()
    return PeopleImportResult(created, updated)
