"""The vocabulary every app shares: departments, the theme codebook, site settings."""

from django.core.validators import MinValueValidator
from django.db import models
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

    @classmethod
    def load(cls):
        return cls.objects.filter(pk=1).first() or cls(pk=1)


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
        ]

    def __str__(self) -> str:
        return "Access"
