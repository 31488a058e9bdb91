"""The quantitative voice: instruments, waves, invitations, responses and answers."""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, connections, models, router
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from perception.lib import hooks
from perception.models import MIN_GROUP_SIZE_FLOOR, Department, SiteSettings, Theme
from surveys.bulk import mark_answered

AGREEMENT_LABELS = {
    1: gettext_lazy("Strongly disagree"),
    2: gettext_lazy("Disagree"),
    3: gettext_lazy("Neither agree nor disagree"),
    4: gettext_lazy("Agree"),
    5: gettext_lazy("Strongly agree"),
}


class SurveyQuerySet(models.QuerySet):
    def managed_by(self, user) -> "SurveyQuerySet":
        """The surveys a person may change: those they own or that were shared with them
        (both are owners), all of them for superusers, none without the permission."""
        if not user.has_perm("perception.manage_surveys"):
            return self.none()
        return self if user.is_superuser else self.filter(owners=user)


class Survey(models.Model):
    ANONYMOUS = "anonymous"
    PSEUDONYMOUS = "pseudonymous"
    IDENTIFIED = "identified"
    ANONYMITY_CHOICES = [
        (ANONYMOUS, "Anonymous: nothing links answers to a person"),
        (PSEUDONYMOUS, "Pseudonymous: a coded key groups one person's answers over time"),
        (IDENTIFIED, "Identified: answers through personal links carry the email address"),
    ]

    title = models.CharField(max_length=200)
    slug = models.SlugField(unique=True, help_text="The public address: /s/<slug>/")
    intro = models.TextField(blank=True, help_text="Shown above the questions.")
    anonymity = models.CharField(max_length=20, choices=ANONYMITY_CHOICES, default=ANONYMOUS)
    min_group_size = models.PositiveSmallIntegerField(
        "minimum group size",
        default=5,
        help_text=(
            "No figure or comment is shown for a group smaller than this. "
            "It may be raised above the site minimum (site settings), never lowered below it."
        ),
    )
    ask_department = models.BooleanField(default=True, help_text="Offer an optional department question.")
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=(
            "The language respondents see first; they can switch to another on the page "
            "(the choice stays in the link and is never stored with the answers)."
        ),
    )
    draft = models.BooleanField(
        default=False,
        help_text=(
            "Being built: the open link answers nothing until the survey is published "
            "(the builder checks every question first)."
        ),
    )
    kiosk_mode = models.BooleanField(
        "kiosk mode",
        default=False,
        help_text=(
            "For shared devices (a tablet at the service desk): turns off the check that one "
            "browser answers the open link only once per wave."
        ),
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="owned_surveys",
        help_text="Managers who may change this survey, open its waves and import into it.",
    )

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        site_minimum = max(SiteSettings.load().min_group_size, MIN_GROUP_SIZE_FLOOR)
        if self.min_group_size is not None and self.min_group_size < site_minimum:
            raise ValidationError(
                {
                    "min_group_size": (
                        f"The minimum group size cannot be lower than the site minimum of "
                        f"{site_minimum} (set in site settings); a survey may only raise it."
                    )
                }
            )

    def group_threshold(self, site: SiteSettings | None = None) -> int:
        """The k every output of this survey uses: the larger of the site's and the survey's
        minimum group size, and never below the hard floor, whatever is stored. ``site``:
        the site settings if already read."""
        site = site or SiteSettings.load()
        return max(site.min_group_size, self.min_group_size, MIN_GROUP_SIZE_FLOOR)

    def self_reported_threshold(self) -> int:
        """The k for cells of departments picked on an open link, where anyone can claim
        any department: twice the group threshold, so a few fake answers cannot unlock one."""
        return 2 * self.group_threshold()

    def submission_time(self, moment: datetime) -> datetime:
        """What is stored as a response's submission time.

        Anonymous surveys keep only the local date (midnight), so a response cannot be
        matched by its time to a link being used, a server log or a person seen answering.
        """
        if self.anonymity != self.ANONYMOUS:
            return moment
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)

    def submission_times(self, moments: list[datetime]) -> list[datetime]:
        """``submission_time`` of each moment, the same values, with the moments in the
        current zone, naive or aware (an import's), converted once per day: local time in
        the zone a moment is already in is the moment itself (Python converts nothing
        between a zone and itself), so its midnight is its own day's."""
        if self.anonymity != self.ANONYMOUS:
            return list(moments)
        zone = timezone.get_current_timezone()
        days: dict = {}
        result = []
        for moment in moments:
            # (A file's times have fold 0: the first of an hour that happens twice.)
            if moment.fold or (moment.tzinfo is not None and moment.tzinfo is not zone):
                result.append(self.submission_time(moment))
                continue
            day = moment.date()
            midnight = days.get(day)
            if midnight is None:
                midnight = days[day] = self.submission_time(datetime.combine(day, datetime.min.time()))
            result.append(midnight)
        return result

    def scoring_digest(self) -> str:
        """A short hash of what respondent scores depend on besides the answers
        (``scoring_digest``): kept scores computed under other rules are out of date."""
        return scoring_digest(list(self.questions.prefetch_related("choices")))

    def public_wave(self, now: datetime, waves: list["Wave"] | None = None) -> tuple["Wave | None", str]:
        """The wave the open link leads to, and its status: open, upcoming, closed or none.

        An open wave wins; otherwise the next one to open; otherwise the last one closed.
        ``waves``: this survey's users' waves (``Wave.objects.of_users()``), if already read.
        """
        # The open link never leads to an IT self-view wave: only personal links do.
        waves = list(self.waves.of_users()) if waves is None else waves
        open_waves = [w for w in waves if w.status(now) == Wave.OPEN]
        if open_waves:
            return max(open_waves, key=lambda w: w.opens), Wave.OPEN
        upcoming = [w for w in waves if w.status(now) == Wave.UPCOMING]
        if upcoming:
            return min(upcoming, key=lambda w: w.opens), Wave.UPCOMING
        if waves:
            return max(waves, key=lambda w: w.closes), Wave.CLOSED
        return None, "none"


class Question(models.Model):
    RATING = "rating"
    RATING_5 = "rating_5"
    RATING_7 = "rating_7"
    SCALE_10 = "scale_10"
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"
    KIND_CHOICES = [
        (RATING, "Rating on a declared scale"),
        (RATING_5, "Rating 1–5"),
        (RATING_7, "Rating 1–7"),
        (SCALE_10, "Scale 0–10"),
        (SINGLE, "Single choice"),
        (MULTIPLE, "Multiple choice"),
        (TEXT, "Free text"),
    ]
    SCALES = {RATING_5: (1, 5), RATING_7: (1, 7), SCALE_10: (0, 10)}
    # The value a respondent sends for a rating's "don't know" option (``dont_know_label``):
    # never a number; stored as no answer (DESIGN rule 9), like an import's "don't know".
    DONT_KNOW = "dont-know"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES, default=RATING_5)
    dimension = models.CharField(
        max_length=60,
        blank=True,
        help_text="Rating items with the same dimension are averaged into one score.",
    )
    required = models.BooleanField(default=False)
    reverse_scored = models.BooleanField(
        default=False, help_text="Agreement means a worse experience; flipped before scoring."
    )
    favourable_from = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=(
            "The lowest favourable point, after reverse-scoring (e.g. 4 for 4–5 of 1–5). "
            "Empty: the top two points of the scale."
        ),
    )
    likelihood_to_recommend = models.BooleanField(
        default=False,
        help_text=(
            "A 0–10 'how likely are you to recommend' question: it gets a net score "
            "(% 9–10 minus % 0–6). Leave off for any other 0–10 question."
        ),
    )
    low_label = models.CharField(
        max_length=60, blank=True, help_text="Label of the lowest point, e.g. 'Not at all likely'."
    )
    high_label = models.CharField(
        max_length=60, blank=True, help_text="Label of the highest point, e.g. 'Extremely likely'."
    )
    # The declared scale (DESIGN rule 9): every rating question stores it; the kinds
    # rating_5, rating_7 and scale_10 fill it from their ends when saved.
    scale_low = models.SmallIntegerField("lowest point", null=True, blank=True)
    scale_high = models.SmallIntegerField("highest point", null=True, blank=True)
    scale_labels = models.JSONField(
        "labels of the points",
        default=list,
        blank=True,
        help_text="One label per point from the lowest to the highest; empty text where a point has none.",
    )
    overall_measure = models.BooleanField(
        "overall question",
        default=False,
        help_text=(
            "A separate overall question (e.g. “Overall, how satisfied are you with IT?”), kept "
            "outside every dimension: the drivers page explains it by the dimensions."
        ),
    )
    dont_know_label = models.CharField(
        "“don't know” answer",
        max_length=100,
        blank=True,
        help_text="Such as “Don't know” or “Not applicable”: stored as no answer, never as a point.",
    )
    # Versions: a question that has answers is never changed in place. A new version
    # replaces it on the form and the old one is retired (kept for its answers). A
    # version whose scoring is unchanged (only its wording) names the first version of
    # its series as its lineage, so the analysis keeps one measure across waves.
    lineage = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="later_versions",
        help_text="The first version of this question's series; empty for a first version.",
    )
    retired = models.BooleanField(
        default=False, help_text="Replaced or removed: kept for its answers, left off the form."
    )
    # Set by whatever stores its first answer (``surveys.bulk``, ``Answer.save``) and never
    # unset, even were every answer deleted: a question with answers changes only by a new
    # version. Kept here because the answers have no index by question for numbers (each
    # index costs every import), so asking the answers whether any exists meant reading
    # millions of them.
    answered = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        ordering = ["survey", "order", "id"]

    def __str__(self) -> str:
        return self.text

    def save(self, *args, **kwargs):
        if self.kind in self.SCALES and self.scale_low is None:
            self.scale_low, self.scale_high = self.SCALES[self.kind]
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            # Never write ``answered`` back as it was read: a first answer stored since
            # would be forgotten (only its writers set it).
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "answered"
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.kind == self.RATING and (
            self.scale_low is None or self.scale_high is None or self.scale_high <= self.scale_low
        ):
            raise ValidationError(
                {"scale_high": "A rating needs its lowest and highest point, highest above lowest."}
            )
        if self.kind in self.SCALES and self.scale_low is not None:
            if (self.scale_low, self.scale_high) != self.SCALES[self.kind]:
                raise ValidationError(
                    {"scale_high": "These ends differ from the kind; choose “Rating on a declared scale”."}
                )

    @property
    def series(self) -> int:
        """The id that names this question's measure across its wording versions."""
        return self.lineage_id or self.pk

    @property
    def is_numeric(self) -> bool:
        return self.kind in self.SCALES or (self.kind == self.RATING and self.scale_low is not None)

    @property
    def scale(self) -> tuple[int, int] | None:
        if self.kind == self.RATING or (self.kind in self.SCALES and self.scale_low is not None):
            if self.scale_low is not None and self.scale_high is not None:
                return (self.scale_low, self.scale_high)
        return self.SCALES.get(self.kind)

    def point_labels(self) -> dict[int, str]:
        """Spoken labels for each point of a numeric scale (empty for other kinds)."""
        if not self.is_numeric:
            return {}
        low, high = self.scale
        if self.scale_labels and len(self.scale_labels) == high - low + 1:
            return dict(zip(range(low, high + 1), self.scale_labels, strict=True))
        if self.kind == self.RATING_5 and not (self.low_label or self.high_label):
            return dict(AGREEMENT_LABELS)
        labels = {value: "" for value in range(low, high + 1)}
        labels[low] = self.low_label
        labels[high] = self.high_label
        return labels

    def scale_words(self) -> str:
        """ "1–5: Strongly disagree … Strongly agree", for pages that describe the question."""
        if not self.is_numeric:
            return ""
        low, high = self.scale
        labels = self.point_labels()
        ends = (
            f": {labels.get(low) or low} … {labels.get(high) or high}"
            if labels.get(low) or labels.get(high)
            else ""
        )
        return f"{low}–{high}{ends}"


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=200)
    is_other = models.BooleanField(
        "“other” option", default=False, help_text="The catch-all option, such as “Other”, listed last."
    )
    lineage = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="later_versions",
        help_text="The same option in the first version of a reworded question.",
    )

    class Meta:
        ordering = ["question", "order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def series(self) -> int:
        return self.lineage_id or self.pk


# Plain SQL for the public page's reads. Each is one query every page and submission
# runs, and building the ORM's query cost several times running it. The statements are
# written once per database from the models' own tables and columns, and the values pass
# through the ORM's own converters (JSON decoded; booleans and dates on SQLite), so what
# comes back is what the ORM would give.
_plain_statements: dict[tuple[str, str], tuple[str, list]] = {}


def _plain_select(
    name: str,
    routed: type[models.Model],
    fields: list[tuple[str, models.Field]],
    tail: Callable[[Callable[[str], str]], str],
    params: list,
) -> tuple[list[tuple], str]:
    """Run ``SELECT <each field's column> <tail(quote)>`` (the rest of the statement,
    naming the tables by the aliases in ``fields``) on the database ``routed`` is read
    from; the rows, their values converted, and that database."""
    alias = router.db_for_read(routed)
    database = connections[alias]
    if (alias, name) not in _plain_statements:
        quote = database.ops.quote_name
        columns = ", ".join(f"{table}.{quote(field.column)}" for table, field in fields)
        converters = []
        for index, (table, field) in enumerate(fields):
            column = field.get_col(table)
            functions = database.ops.get_db_converters(column) + field.get_db_converters(database)
            if functions:
                converters.append((index, functions, column))
        sql = f"SELECT {columns} {tail(quote)}"
        _plain_statements[alias, name] = (sql, converters)
    sql, converters = _plain_statements[alias, name]
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        converted = []
        for row in rows:
            row = list(row)
            for index, functions, column in converters:
                for function in functions:
                    row[index] = function(row[index], column, database)
            converted.append(tuple(row))
        rows = converted
    return rows, alias


# Every stored field of a question and of its options, in this order in
# ``form_question_rows``: what the public page draws, what its form checks and what
# scoring uses.
QUESTION_FIELDS = [field.attname for field in Question._meta.concrete_fields]
CHOICE_FIELDS = [field.attname for field in Choice._meta.concrete_fields]


def form_question_rows(survey: Survey) -> tuple[list[tuple], str]:
    """The survey's questions on the form (not retired) with their options: one row per
    (question, option), a question without options once with the option's fields None;
    in form order; the values of ``QUESTION_FIELDS`` then ``CHOICE_FIELDS``, as the ORM
    would give them. Returns the rows and the database they were read from."""
    fields = [("q", f) for f in Question._meta.concrete_fields]
    fields += [("c", f) for f in Choice._meta.concrete_fields]

    def tail(quote) -> str:
        return (
            f"FROM {quote(Question._meta.db_table)} q "
            f"LEFT OUTER JOIN {quote(Choice._meta.db_table)} c ON c.question_id = q.id "
            "WHERE q.survey_id = %s AND q.retired = %s "
            f"ORDER BY q.{quote('order')}, q.id, c.{quote('order')}, c.id"
        )

    return _plain_select("form questions", Question, fields, tail, [survey.pk, False])


class WaveQuerySet(models.QuerySet):
    def of_users(self) -> "WaveQuerySet":
        """The waves the people IT serves answer; every user figure reads only these."""
        return self.filter(self_view_of__isnull=True)

    def self_views(self) -> "WaveQuerySet":
        return self.filter(self_view_of__isnull=False)


class Wave(models.Model):
    """One round of a survey, open between two moments.

    A *self-view* wave pairs with a users' wave: IT staff, invited on their own list,
    answer the same questions as they think the people they serve would. Its answers are
    published like any wave's but never mix into user figures (``Wave.objects.of_users``)."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="waves")
    label = models.CharField(max_length=60, help_text="e.g. '2026 Q4'")
    opens = models.DateTimeField()
    closes = models.DateTimeField()
    audience = models.ManyToManyField(
        Department,
        blank=True,
        help_text="Leave empty for everyone; otherwise only these departments are offered.",
    )
    self_view_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="self_views",
        help_text=(
            "Set for an IT self-view wave: the users' wave whose questions IT staff answer "
            "“as you think the people you serve would answer”. Only personal links lead here."
        ),
    )

    objects = WaveQuerySet.as_manager()

    class Meta:
        ordering = ["survey", "opens"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "label"], name="wave_label_unique"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="wave_closes_after_opens"),
        ]

    def __str__(self) -> str:
        return f"{self.survey.title} — {self.label}"

    def status(self, now: datetime) -> str:
        if now < self.opens:
            return self.UPCOMING
        if now >= self.closes:
            return self.CLOSED
        return self.OPEN

    def is_open(self, now: datetime) -> bool:
        return self.status(now) == self.OPEN

    @property
    def is_self_view(self) -> bool:
        return self.self_view_of_id is not None

    def offered_departments(self) -> list[Department]:
        """The departments a respondent may pick: the wave's audience, or every department
        when it names none; by name.

        One plain query: every public page and submission asking the department reads it,
        and the two ORM queries it replaces cost the page more CPU than drawing its form."""
        quote = connection.ops.quote_name
        audience = quote(Wave.audience.through._meta.db_table)
        departments = quote(Department._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, name, parent_id FROM {departments} WHERE id IN (SELECT department_id "  # noqa: S608 -- table names from the models
                f"FROM {audience} WHERE wave_id = %s) OR NOT EXISTS (SELECT 1 FROM {audience} "
                "WHERE wave_id = %s) ORDER BY name",
                [self.pk, self.pk],
            )
            rows = cursor.fetchall()
        # As the ORM makes them from rows (``raw()`` did the same, at more cost per row).
        return [Department.from_db(connection.alias, ["id", "name", "parent_id"], row) for row in rows]


def survey_with_user_waves(slug: str) -> tuple[Survey | None, list[Wave]]:
    """The survey of an open link and its users' waves (not IT self-views) by opening,
    read together in one plain query (see ``_plain_select``); None and no waves when no
    survey has this slug."""
    survey_fields = Survey._meta.concrete_fields
    fields = [("s", f) for f in survey_fields] + [("w", f) for f in Wave._meta.concrete_fields]

    def tail(quote) -> str:
        wave = Wave._meta
        return (
            f"FROM {quote(Survey._meta.db_table)} s LEFT OUTER JOIN {quote(wave.db_table)} w "
            f"ON w.{quote(wave.get_field('survey').column)} = s.id "
            f"AND w.{quote(wave.get_field('self_view_of').column)} IS NULL "
            f"WHERE s.{quote(Survey._meta.get_field('slug').column)} = %s "
            f"ORDER BY w.{quote(wave.get_field('opens').column)}, w.id"
        )

    rows, database = _plain_select("survey with user waves", Survey, fields, tail, [slug])
    if not rows:
        return None, []
    width = len(survey_fields)
    survey = Survey.from_db(database, [f.attname for f in survey_fields], rows[0][:width])
    waves = []
    for row in rows:
        if row[width] is not None:
            wave = Wave.from_db(database, [f.attname for f in Wave._meta.concrete_fields], row[width:])
            wave.survey = survey
            waves.append(wave)
    return survey, waves


def hash_token(token: str) -> str:
    """Invitation tokens are stored only as this hash; the link itself is never kept."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def due(self, now: datetime) -> "InvitationQuerySet":
        """Scheduled invitations whose time has come and that have not gone yet."""
        return self.filter(sent_at__isnull=True, send_after__lte=now, opted_out=False, answered=False)

    def to_remind(self, *, now: datetime, reminders: int, days: int) -> "InvitationQuerySet":
        """Invitations a reminder may go to now: sent, delivered, neither answered nor
        opted out, fewer than ``reminders`` reminders so far, the last contact (the
        invitation or the last reminder) at least ``days`` days ago."""
        since = now - timedelta(days=days)
        return (
            self.filter(
                sent_at__isnull=False,
                bounced=False,
                answered=False,
                opted_out=False,
                reminders_sent__lt=reminders,
            )
            .exclude(link_sealed="")
            .exclude(address_sealed="")
            .filter(Q(last_reminded_at__isnull=True, sent_at__lte=since) | Q(last_reminded_at__lte=since))
        )


class Invitation(models.Model):
    """A single-use personal link to one wave.

    The email address itself is kept in the clear only for identified surveys; otherwise
    just a keyed hash, enough to avoid inviting the same person twice, plus the address
    and link encrypted (``address_sealed``, ``link_sealed``) until the wave closes, so
    that scheduled invitations and reminders can be sent; then both are erased.
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    email_hash = models.CharField(max_length=64)
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The invitee's department, from the invitation list; their response gets it.",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    answered = models.BooleanField(default=False, help_text="The link has been used to answer.")
    department_verified = models.BooleanField(
        default=False,
        help_text=(
            "The department matches the person's department in People, kept by others than "
            "the manager inviting. A department typed into an invitation list counts as "
            "self-reported: its cells need twice the minimum group size, since whoever types "
            "it could pad a department with addresses of their own."
        ),
    )
    used_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the link was used; never kept for anonymous surveys (only “answered”).",
    )
    # Kept encrypted (perception.lib.sealed) only while the wave is open, so that a
    # scheduled invitation and its reminders can be sent; erased when the wave closes.
    address_sealed = models.TextField(blank=True)
    link_sealed = models.TextField(blank=True)
    send_after = models.DateTimeField(
        null=True, blank=True, help_text="When the invitation is due to go; empty: not to be sent."
    )
    bounced = models.BooleanField(default=False, help_text="The mail server refused the address.")
    opted_out = models.BooleanField(default=False, help_text="Asked for no reminders.")
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    draft = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "Answers saved to finish later (pseudonymous and identified surveys only); "
            "deleted on submission and never analysed."
        ),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["wave", "id"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "email_hash"], name="invitation_once_per_wave"),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} to {self.wave}"


class InvitationMessage(models.Model):
    """What a wave's invitations say, and its reminders: how many and how far apart."""

    LINK_PLACEHOLDER = "{link}"

    wave = models.OneToOneField(Wave, on_delete=models.CASCADE, related_name="invitation_message")
    subject = models.CharField(max_length=200)
    body = models.TextField(
        help_text="Plain text. {link} is replaced by each person's own link; paragraphs are kept."
    )
    reminders = models.PositiveSmallIntegerField(
        default=0,
        choices=[(0, "No reminders"), (1, "One reminder"), (2, "Two reminders")],
        help_text="Sent only to people who have not answered nor opted out, while the wave is open.",
    )
    reminder_days = models.PositiveSmallIntegerField(
        "days between reminders",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days from the invitation to the first reminder, and between reminders.",
    )

    def __str__(self) -> str:
        return f"Invitation text of {self.wave}"


class Response(models.Model):
    WEB = "web"
    LINK = "link"
    IMPORT = "import"
    DEMO = "demo"
    SOURCE_CHOICES = [
        (WEB, "Open link"),
        (LINK, "Personal link"),
        (IMPORT, "Imported"),
        (DEMO, "Demo data"),
    ]

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    respondent_key = models.CharField(
        max_length=64,
        help_text="Random for anonymous answers; a keyed hash for pseudonymous ones.",
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted = models.DateTimeField(
        default=timezone.now, help_text="For anonymous surveys only the date: local midnight."
    )
    source = models.CharField(max_length=10, choices=SOURCE_CHOICES, default=WEB)
    department_self_reported = models.BooleanField(
        default=False,
        help_text=(
            "The department was picked on the open link, where anyone can claim any department; "
            "its cells need a higher threshold. Personal links take it from the invitation."
        ),
    )
    invitation = models.ForeignKey(
        Invitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Set only for identified surveys.",
    )

    class Meta:
        ordering = ["wave", "submitted", "id"]
        indexes = [models.Index(fields=["wave", "respondent_key"])]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.wave}"


def scoring_digest(questions: list["Question"]) -> str:
    """A short hash of a survey's scoring rules, given all its questions (choices
    prefetched): each question's kind and scoring fields, and the options of choice
    questions (each option is a measure). ``RespondentScore.rules`` holds the digest its
    scores were computed under."""
    rules = [
        [
            q.pk,
            q.kind,
            q.dimension,
            q.reverse_scored,
            q.favourable_from,
            q.likelihood_to_recommend,
            q.scale_low,
            q.scale_high,
            sorted(c.pk for c in q.choices.all()),
        ]
        for q in sorted(questions, key=lambda q: q.pk)
    ]
    return hashlib.sha256(json.dumps(rules, default=str).encode()).hexdigest()[:24]


class RespondentScore(models.Model):
    """One response's scores, kept as responses arrive (DESIGN "Runtime and scale").

    One row per response, holding every measure the response has a score in (each
    numeric question after reverse-scoring, each dimension, the overall score, and 0/1
    for each option of a choice question it answered), so analysis reads one row per
    person instead of every answer: about 120,000 rows rather than 3 million answers at
    20,000 people × 6 waves × 25 questions. A long row per measure would be 30 times as
    many rows, as many as the answers it replaces. Keyed by the response, so who counts
    (latest response, department, filters) is still decided by joining to responses.

    The scoring itself (reverse-scoring, "don't know" as missing, dimension and overall
    means) is reports' (``perception.lib.respondent_scoring``); ``rules`` says under which
    scoring rules (``Survey.scoring_digest``) a row was computed, so rows written under
    older rules are recomputed before they are read."""

    response = models.OneToOneField(
        "Response", on_delete=models.CASCADE, primary_key=True, related_name="scores"
    )
    rules = models.CharField(max_length=24, help_text="Survey.scoring_digest() when computed.")
    scores = models.JSONField(default=dict, help_text="Measure key -> score.")

    class Meta:
        ordering = ["response"]

    def __str__(self) -> str:
        return f"Scores of response {self.response_id}"


class AnswerQuerySet(models.QuerySet):
    def _comments_of_shown_waves(self) -> "AnswerQuerySet":
        """Non-empty comments by people the published figures count, of waves whose
        figures show how many answered (``hooks.published_responses``: at least k people);
        none at all when nothing publishes them (no reports app)."""
        # IT's self-view answers are not users' comments: they never enter the queue.
        waves = list(Wave.objects.of_users().values_list("pk", flat=True))
        published = hooks.published_responses(waves)
        if published is None:
            return self.none()
        # The free-text questions by id, and ``number__isnull`` (comments have none): so the
        # database reads the comments by question (``answer_unscored_by_question``) rather
        # than every answer of every wave (3 s, against 0.03 s, at 9 million answers).
        comments = list(Question.objects.filter(kind=Question.TEXT).values_list("pk", flat=True))
        return (
            self.filter(question__in=comments, number__isnull=True, response__in=published)
            .exclude(text="")
            .select_related("question", "response__wave__survey")
        )

    def awaiting_coding(self) -> "AnswerQuerySet":
        """Comments waiting to be coded (never reviewed, no theme yet), oldest first, only
        by people the published figures count."""
        return (
            self._comments_of_shown_waves()
            .filter(reviewed_at__isnull=True, themes__isnull=True)
            .order_by("response__submitted", "id")
        )

    def skipped(self) -> "AnswerQuerySet":
        """Comments a listener skipped ("nothing to code": reviewed, no theme), the most
        recently skipped first; they can be brought back to the queue."""
        return (
            self._comments_of_shown_waves()
            .filter(reviewed_at__isnull=False, themes__isnull=True)
            .order_by("-reviewed_at", "-id")
        )

    def in_survey(self, survey: "Survey", wave: "Wave | None" = None) -> "AnswerQuerySet":
        """Only the answers of one survey, and of one of its waves if given."""
        answers = self.filter(response__wave__survey=survey)
        return answers.filter(response__wave=wave) if wave is not None else answers


class Answer(models.Model):
    """One answer: a number for scales, a choice (one row per ticked option) or text."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    # No index by question for numbers, the millions of rows an import writes (an index
    # on them took a fifth of a 100,000-row import): the partial index below serves the
    # comments and ticked options read by question, and ``Question.answered`` says whether
    # a question has answers at all. Nothing cascades from a question: one with answers is
    # never deleted (it is retired), and a survey's answers go with its responses, so
    # deleting a question need not look for answers through an index it does not have.
    question = models.ForeignKey(
        Question, on_delete=models.DO_NOTHING, related_name="answers", db_index=False
    )
    number = models.FloatField(null=True, blank=True)
    # Most answers are numbers or text: index only the rows that name a choice.
    choice = models.ForeignKey(Choice, null=True, blank=True, on_delete=models.CASCADE, db_index=False)
    text = models.TextField(blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="answers")
    reviewed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a listener coded this comment or skipped it; empty while queued.",
    )

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["response", "question", "id"]
        indexes = [
            # Comments and ticked options (stored with no number): a query by question
            # must say ``number__isnull=True`` for a database to use it.
            models.Index(
                fields=["question", "response"],
                condition=models.Q(number__isnull=True),
                name="answer_unscored_by_question",
            ),
            models.Index(
                fields=["choice"], condition=models.Q(choice__isnull=False), name="answer_choice_set"
            ),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question_id}"

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            mark_answered([self.question_id])


class ImportRecord(models.Model):
    """One imported file: which wave it became, and its content hash, so the same file is
    not imported twice by accident."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="imports")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="imports")
    content_hash = models.CharField(max_length=64, db_index=True)
    filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=20)
    responses = models.PositiveIntegerField(default=0)
    skipped_incomplete = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    kept_personal = models.JSONField(
        default=list,
        blank=True,
        help_text="Columns of personal data a manager chose to keep (dropped by default).",
    )
    kept_personal_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.filename or 'Import'} into {self.wave}"


class ImportUploadQuerySet(models.QuerySet):
    def abandoned(self, now: datetime, age: timedelta = timedelta(days=1)) -> "ImportUploadQuerySet":
        """Uploads older than ``age``, except those queued or importing; those too after a
        week (a worker that died mid-import leaves its upload "importing" for good)."""
        busy = [ImportUpload.QUEUED, ImportUpload.RUNNING]
        return self.filter(created__lt=now - age).exclude(
            status__in=busy, created__gte=now - timedelta(days=7)
        )


class ImportUpload(models.Model):
    """A file uploaded on the import page, kept between its steps (mapping, preview,
    import). A large one is imported by a background task, whose progress and outcome
    the status page reads from here; its bytes go once imported, and the row a day later."""

    UPLOADED, QUEUED, RUNNING, DONE, FAILED = "uploaded", "queued", "running", "done", "failed"
    STATUSES = [
        (UPLOADED, "Uploaded"),
        (QUEUED, "Waiting for a worker"),
        (RUNNING, "Importing"),
        (DONE, "Imported"),
        (FAILED, "Not imported"),
    ]

    data = models.BinaryField()
    filename = models.CharField(max_length=255)
    slug = models.SlugField()
    wave_label = models.CharField(max_length=60, blank=True)
    format = models.CharField(max_length=20, default="auto")
    created_by = models.ForeignKey("auth.User", null=True, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=STATUSES, default=UPLOADED)
    columns = models.JSONField(default=dict, blank=True, help_text="The confirmed kind of every column.")
    labels = models.JSONField(default=dict, blank=True, help_text="Numbers given to unknown scale labels.")
    title = models.CharField(
        max_length=200, blank=True, help_text="The title of a survey created by the import."
    )
    scales = models.JSONField(
        default=dict, blank=True, help_text="The confirmed scale of every rating column."
    )
    keep_personal = models.JSONField(
        default=list, blank=True, help_text="Personal-data columns the manager chose to keep."
    )
    rows_checked = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="The outcome, or what stopped the import.")

    objects = ImportUploadQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.filename

    @property
    def finished(self) -> bool:
        return self.status in (self.DONE, self.FAILED)
