"""Reports' own records: the monthly report, its settings, and help-desk service metrics."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from perception.models import SingleRow


class ReportSettings(SingleRow):
    """The single row of monthly-report settings, edited by managers."""

    survey = models.ForeignKey(
        "surveys.Survey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="The survey the figures come from.",
    )
    metrics = models.JSONField(default=list, help_text="Two or three metric keys, the first is the headline.")
    recipients = models.TextField(blank=True, help_text="One address per line, e.g. an all-staff list.")
    sender = models.EmailField(blank=True, help_text="From address; the site default when empty.")
    contact_name = models.CharField(max_length=120, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    send_day = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="Day of the month on or after which last month's report goes out (1–28).",
    )
    include_chart = models.BooleanField(default=True, help_text="Add one small chart of the headline metric.")

    class Meta:
        verbose_name = verbose_name_plural = "monthly report settings"

    def __str__(self) -> str:
        return "Monthly report settings"

    def recipient_list(self) -> list[str]:
        return [line.strip() for line in self.recipients.replace(",", "\n").splitlines() if line.strip()]

    def contact_line(self) -> str:
        return " · ".join(
            part for part in (self.contact_name, self.contact_email, self.contact_phone) if part
        )


class ServiceMetric(models.Model):
    """One month's figure from the help desk, e.g. first-contact resolution 71 %."""

    month = models.DateField(help_text="The first day of the month the figure is for.")
    name = models.CharField(max_length=120)
    value = models.FloatField()
    unit = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-month", "name"]
        constraints = [models.UniqueConstraint(fields=["month", "name"], name="service_metric_once_a_month")]

    def __str__(self) -> str:
        return f"{self.name} {self.month:%Y-%m}: {self.value:g}{self.unit}"


class MonthlyReport(models.Model):
    """One month's report. One row per month: the unique period is what makes sending
    exactly-once safe when cron runs the command daily, or twice at the same time."""

    SENDING, SENT, FAILED = "sending", "sent", "failed"
    STATUS_CHOICES = [(SENDING, "Sending"), (SENT, "Sent"), (FAILED, "Failed")]

    period = models.DateField(unique=True, help_text="The first day of the month reported on.")
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField()
    metrics = models.JSONField(default=list)
    recipients = models.TextField()
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default=SENDING)
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    chart_png = models.BinaryField(
        null=True, blank=True, help_text="The inline chart as sent, so the history shows the exact email."
    )

    class Meta:
        ordering = ["-period"]

    def __str__(self) -> str:
        return f"Report for {self.period:%B %Y}"


# -- Published snapshots (DESIGN rule 3; reports.disclosure) -----------------------------
#
# Pages, exports, counts and emails read these rows, never live responses. Responses and
# departments are plain integers, not foreign keys: deleting a response or a department
# must not quietly change a published figure; the next publication batches it instead.


class Publication(models.Model):
    """One published state of one wave's figures. ``final`` once the wave has closed:
    nothing changes it after that, and ``left_out`` says how many respondents it leaves
    out for good (a remainder too small to publish without isolating someone)."""

    wave = models.ForeignKey("surveys.Wave", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(help_text="1 for the wave's first publication, then 2, 3 …")
    published_on = models.DateField()
    final = models.BooleanField(default=False)
    left_out = models.PositiveIntegerField(default=0, help_text="Respondents not (yet) published.")
    fingerprint = models.CharField(max_length=64, blank=True, help_text="The live data it was built from.")

    class Meta:
        ordering = ["wave", "number"]
        constraints = [models.UniqueConstraint(fields=["wave", "number"], name="publication_number_unique")]

    def __str__(self) -> str:
        return f"Publication {self.number} of wave {self.wave_id}"


class PublishedScore(models.Model):
    """One respondent's score on one measure, as currently published for their wave.

    The measure ``respondents`` (score 0) holds who is counted at all."""

    wave = models.ForeignKey("surveys.Wave", on_delete=models.CASCADE, related_name="+")
    response_id = models.PositiveBigIntegerField()
    department_id = models.PositiveIntegerField(null=True, blank=True)
    self_reported = models.BooleanField(default=False)
    personal_link = models.BooleanField(default=False)
    measure = models.CharField(max_length=200)
    score = models.FloatField()
    published_on = models.DateField()

    class Meta:
        ordering = ["wave", "measure", "response_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "measure", "response_id"], name="published_score_once_per_measure"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} of response {self.response_id}"


class PublishedCell(models.Model):
    """How many respondents one cell (a department, or no department when
    ``department_id`` is empty) held on one measure in one publication, and whether it
    was shown. Kept for every publication: a cell once shown stays shown, and a hidden
    cell may be shown later only if what stays hidden in every earlier state still holds
    at least k people."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="cells")
    measure = models.CharField(max_length=200)
    department_id = models.PositiveIntegerField(null=True, blank=True)
    n = models.PositiveIntegerField()
    shown = models.BooleanField()
    self_reported = models.BooleanField(default=False)

    class Meta:
        ordering = ["publication", "measure", "department_id"]

    def __str__(self) -> str:
        return f"{self.measure} / {self.department_id}: {self.n}"


class PublishedTotal(models.Model):
    """Whether the whole wave's figure on one measure was shown in one publication."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="totals")
    measure = models.CharField(max_length=200)
    n = models.PositiveIntegerField()
    shown = models.BooleanField()

    class Meta:
        ordering = ["publication", "measure"]

    def __str__(self) -> str:
        return f"{self.measure}: {self.n}"


class PublishedCount(models.Model):
    """How many published respondents of one wave had one score on one measure in one
    department cell (empty: no department): the published scores counted, rewritten with
    every publication of the wave.

    It holds nothing ``PublishedScore`` does not (the same rows, counted), and is what
    the trend document reads: a few thousand rows instead of one per respondent and
    measure. The respondent ``RESPONDENTS`` measure (score 0) counts who is counted."""

    wave = models.ForeignKey("surveys.Wave", on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(max_length=200)
    department_id = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField()
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["wave", "measure", "department_id", "score"]
        indexes = [models.Index(fields=["wave", "measure"], name="published_count_wave_measure")]

    def __str__(self) -> str:
        return f"{self.measure} / {self.department_id}: {self.score:g} × {self.count}"


class StoredDocument(models.Model):
    """A survey's organisation-wide trends document (no filters) as compact JSON, kept
    with the fingerprint of everything it was built from (``reports.cache``).

    It holds nothing a page does not show: the document is built from published figures
    only. Built when figures are published, it is what a page or the ``trends`` command
    reads while the fingerprint still matches, in any process and after a restart; any
    change to what the document depends on (a publication, a coding, a label, the code)
    changes the fingerprint, and the next reader builds it afresh; when only its themes'
    inputs changed (a coding, a note), only its themes are built again. One row per
    survey."""

    survey = models.OneToOneField("surveys.Survey", on_delete=models.CASCADE, related_name="+")
    # Its first half names what the figures (all but the themes) were built from
    # (``reports.cache.fingerprints``).
    fingerprint = models.CharField(max_length=64)
    text = models.TextField()
    # When its figures were built (a themes-only rebuild leaves it): the age limit counts
    # from then.
    built = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"trends document of survey {self.survey_id} ({self.fingerprint[:8]})"
