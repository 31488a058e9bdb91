"""The qualitative voice: people, conversations, notes and follow-up actions."""

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from perception.models import Department, Theme


class Person(models.Model):
    """Someone IT listens to: a key stakeholder, an influencer, anyone met on a walkabout."""

    HIGH, MEDIUM, LOW = "high", "medium", "low"
    INFLUENCE_CHOICES = [(HIGH, "High"), (MEDIUM, "Medium"), (LOW, "Low")]

    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)
    role = models.CharField("role or title", max_length=120, blank=True)
    influence = models.CharField(max_length=6, choices=INFLUENCE_CHOICES, default=MEDIUM)
    is_influencer = models.BooleanField(
        "influencer", default=False, help_text="Others listen to this person; keep in touch regularly."
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    FOCUS_GROUP, ONE_ON_ONE, WALKABOUT = "focus_group", "one_on_one", "walkabout"
    KIND_CHOICES = [(FOCUS_GROUP, "Focus group"), (ONE_ON_ONE, "One-on-one"), (WALKABOUT, "Walkabout")]

    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    date = models.DateField(default=date.today)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    departments = models.ManyToManyField(Department, blank=True, related_name="conversations")
    participants = models.ManyToManyField(Person, blank=True, related_name="conversations")
    unnamed_participants = models.PositiveSmallIntegerField(
        default=0, help_text="People who took part but are not named."
    )
    summary = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date:%d %b %Y}"


class Note(models.Model):
    NEGATIVE, NEUTRAL, POSITIVE = -1, 0, 1
    SENTIMENT_CHOICES = [(NEGATIVE, "Negative"), (NEUTRAL, "Neutral"), (POSITIVE, "Positive")]

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notes",
        help_text="Who said it, if known.",
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="notes")
    sentiment = models.SmallIntegerField(choices=SENTIMENT_CHOICES, default=NEUTRAL)
    is_quote = models.BooleanField("quote", default=False, help_text="The person's own words.")
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["conversation", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Action(models.Model):
    """What IT will change because of what it heard, and whether the people were told."""

    PLANNED, IN_PROGRESS, DONE, DROPPED = "planned", "in_progress", "done", "dropped"
    STATUS_CHOICES = [
        (PLANNED, "Planned"),
        (IN_PROGRESS, "In progress"),
        (DONE, "Done"),
        (DROPPED, "Dropped"),
    ]

    title = models.CharField("what IT will change", max_length=200)
    description = models.TextField(blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="actions")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=STATUS_CHOICES, default=PLANNED)
    done_on = models.DateField("done on", null=True, blank=True)
    told_on = models.DateField(
        "people told on",
        null=True,
        blank=True,
        help_text="When the people who raised it were told what changed.",
    )
    # What the action should move, for its measured effect (reports/impact.py): measure
    # keys (perception.lib.measure_targets; surveys supplies the choices) and departments.
    targets = models.JSONField(
        "dimensions and questions it should move",
        default=list,
        blank=True,
        help_text="Its effect is measured on these, in the survey waves before and after it was done.",
    )
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="actions",
        help_text="Leave empty when it concerns everyone; the other departments are then not a comparison.",
    )
    lag_waves = models.PositiveSmallIntegerField(
        "waves to wait",
        default=1,
        validators=[MaxValueValidator(4)],
        help_text="1: the first wave opening after it was done can show it; 2 skips that one, "
        "0 also counts a wave open when it was done.",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["status", "due", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (self.PLANNED, self.IN_PROGRESS)


class Erasure(models.Model):
    """A person erased from the listening log, recorded without who they were: only the
    day, what happened to their notes, and who erased them."""

    erased_on = models.DateField(default=date.today)
    notes_kept = models.PositiveIntegerField(default=0, help_text="Notes kept without a name.")
    notes_deleted = models.PositiveIntegerField(default=0)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-erased_on", "-id"]

    def __str__(self) -> str:
        return f"Erasure on {self.erased_on:%d %b %Y}"


class NoteEvent(models.Model):
    """A note edited or deleted: who, when and the words before, kept in the
    conversation's history so a changed record can always be explained."""

    EDITED, DELETED = "edited", "deleted"
    KIND_CHOICES = [(EDITED, "Edited"), (DELETED, "Deleted")]

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="note_events")
    note = models.ForeignKey(Note, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    text_before = models.TextField(help_text="The note's words before the change.")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Note {self.kind} on {self.at:%d %b %Y}"


class ThemeMerge(models.Model):
    """One merge of two themes, with everything it moved, so the last one can be undone."""

    source_name = models.CharField(max_length=120)
    source_description = models.TextField(blank=True)
    source_parent = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.ForeignKey(Theme, null=True, on_delete=models.SET_NULL, related_name="+")
    # What carried the source: moved (now carries the target only because of the merge)
    # or shared (carried both already). Lists of ids by kind: answers, notes, actions.
    moved = models.JSONField(default=dict)
    shared = models.JSONField(default=dict)
    children = models.JSONField(default=list, help_text="Sub-themes that moved under the target.")
    target_parent_before = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_description_before = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Merge of “{self.source_name}”"
