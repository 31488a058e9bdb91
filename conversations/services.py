"""Writes that span several models: notes with new themes, quick capture, the codebook."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from conversations.models import Action, Conversation, Erasure, Note, Person
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


@dataclass(frozen=True)
class MergeResult:
    answers: int
    notes: int
    actions: int


@transaction.atomic
def theme_merge(*, source: Theme, target: Theme) -> MergeResult:
    """Fold ``source`` into ``target``: every coding moves, nothing is lost, then ``source``
    is deleted. Items coded with both keep one coding."""
    if source.pk == target.pk:
        raise ValueError("A theme cannot be merged into itself.")
    moved = {}
    for name, through, field in (
        ("answers", Theme.answers.through, "answer_id"),
        ("notes", Note.themes.through, "note_id"),
        ("actions", Action.themes.through, "action_id"),
    ):
        already = set(through.objects.filter(theme=target).values_list(field, flat=True))
        rows = through.objects.filter(theme=source)
        moved[name] = rows.count()
        rows.exclude(**{f"{field}__in": already}).update(theme=target)
        rows.delete()  # what is left was already coded with the target
    Theme.objects.filter(parent=source).exclude(pk=target.pk).update(parent=target)
    if target.parent_id == source.pk:
        target.parent = source.parent
        target.save(update_fields=["parent"])
    if not target.description and source.description:
        target.description = source.description
        target.save(update_fields=["description"])
    source.delete()
    return MergeResult(**moved)


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
