"""The vocabulary every app shares: departments, the theme codebook, site settings."""

import time

from django.core.validators import MinValueValidator
from django.db import connection, models
from django.db.models.functions import Lower

# No group smaller than this is ever shown, whatever the settings say.
MIN_GROUP_SIZE_FLOOR = 3


class Department(models.Model):
    name = models.CharField(max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="Optional: the larger unit this department belongs to.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def tree(cls) -> list[tuple["Department", int]]:
        """Every department with its depth, each followed by its sub-departments, by name."""
        children: dict[int | None, list[Department]] = {}
        for department in cls.objects.order_by("name"):
            children.setdefault(department.parent_id, []).append(department)
        ordered: list[tuple[Department, int]] = []
        seen: set[int] = set()

        def visit(parent_id: int | None, depth: int) -> None:
            for department in children.get(parent_id, []):
                if department.pk not in seen:  # a cycle written behind the forms' back
                    seen.add(department.pk)
                    ordered.append((department, depth))
                    visit(department.pk, depth + 1)

        visit(None, 0)
        # Departments only reachable through a cycle still appear, at the top level.
        for department in cls.objects.order_by("name").exclude(pk__in=seen):
            ordered.append((department, 0))
        return ordered

    def ancestors(self) -> list["Department"]:
        """Its parent, the parent's parent, …; stops at a cycle rather than looping."""
        found, node = [], self.parent
        while node is not None and node not in found and node != self:
            found.append(node)
            node = node.parent
        return found

    def references(self) -> list[tuple[str, int]]:
        """What refers to this department (sub-departments, people, conversations, waves,
        responses …) as (name, count) pairs, read from the relations Django knows, so
        this package needs no app imported."""
        found = []
        for relation in self._meta.get_fields(include_hidden=True):
            if relation.concrete or not relation.auto_created:
                continue
            model = relation.related_model
            if model._meta.auto_created:  # a many-to-many table, counted by its model
                continue
            count = model._base_manager.filter(**{relation.field.name: self}).count()
            if count:
                if model is Department:
                    name = "sub-department" if count == 1 else "sub-departments"
                else:
                    name = str(model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural)
                found.append((name, count))
        return sorted(found)


class ThemeManager(models.Manager):
    def named(self, name: str) -> "Theme":
        """The theme with this name, ignoring case and surrounding spaces, created if new."""
        name = " ".join(name.split())
        return self.filter(name__iexact=name).first() or self.create(name=name)


class Theme(models.Model):
    """One code in the shared codebook, used by survey comments and conversation notes."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )

    objects = ThemeManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="theme_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class SingleRow(models.Model):
    """A table of exactly one row (settings): saving always writes row 1, and reading
    never writes: until someone saves, the defaults apply."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)
        forget_recent_rows()

    @classmethod
    def load(cls):
        # A plain query: every page reads the site settings, and building the ORM's query
        # for one row by its key cost more than reading it.
        table = connection.ops.quote_name(cls._meta.db_table)
        rows = cls.objects.raw(f"SELECT * FROM {table} WHERE id = %s", [1])  # noqa: S608 -- the model's table
        return next(iter(rows), None) or cls(pk=1)

    @classmethod
    def for_request(cls, request):
        """The row for showing on a page, read once per request however many parts of the
        page need it, and by a process at most every ``RECENT_ROW_SECONDS``: every page
        shows the site settings (one query of the few a survey page makes). Another
        process's change shows within those seconds; this process's at once. Whatever
        decides (a threshold kept, a form's check) reads ``load()``."""
        cache_name = f"_{cls.__name__.lower()}_row"
        if not hasattr(request, cache_name):
            setattr(request, cache_name, cls._recent())
        return getattr(request, cache_name)

    @classmethod
    def _recent(cls):
        now = time.monotonic()
        held = _recent_rows.get(cls)
        if held is not None and now - held[0] < RECENT_ROW_SECONDS:
            return held[1]
        row = cls.load()
        _recent_rows[cls] = (now, row)
        return row


# Each single-row table's row as this process last read it for a page, and when.
_recent_rows: dict[type, tuple[float, SingleRow]] = {}
RECENT_ROW_SECONDS = 5


def forget_recent_rows() -> None:
    """Read the single rows afresh on the next page (after a change; between tests)."""
    _recent_rows.clear()


class SiteSettings(SingleRow):
    """The single row of settings an administrator edits in the admin."""

    organisation_name = models.CharField(max_length=120, default="Our organisation")
    it_team_name = models.CharField(
        max_length=120,
        default="IT",
        help_text="How the IT department is called in surveys and reports.",
    )
    contact_line = models.CharField(
        max_length=250,
        blank=True,
        help_text="Name, email and phone people can contact about IT, shown on surveys.",
    )
    min_group_size = models.PositiveSmallIntegerField(
        "minimum group size",
        default=5,
        validators=[MinValueValidator(MIN_GROUP_SIZE_FLOOR)],
        help_text=(
            "The organisation's minimum number of respondents before any figure or comment of a "
            f"group is shown (at least {MIN_GROUP_SIZE_FLOOR}). A survey may raise it, never lower it."
        ),
    )
    free_text_retention_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=(
            "Blank the text of free-text answers this many months after their wave closed "
            "(coded themes and figures stay). Empty: keep them."
        ),
    )

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_group_size__gte=MIN_GROUP_SIZE_FLOOR), name="site_min_group_size_floor"
            ),
        ]

    def __str__(self) -> str:
        return "Site settings"


class Access(models.Model):
    """Holds the permissions roles are made of (see perception/roles.py); no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_results", "See results: dashboard, themes, coverage and the listening log"),
            ("log_conversations", "Log conversations, people, notes and actions; edit the codebook"),
            ("code_comments", "Code survey comments with themes"),
            ("manage_surveys", "Build surveys, open waves and import responses"),
            ("send_monthly_report", "Set up and send the monthly report"),
            ("export_raw_responses", "Download raw responses"),
            ("administer_site", "Invite staff and give roles; edit departments and site settings"),
        ]

    def __str__(self) -> str:
        return "Access"
