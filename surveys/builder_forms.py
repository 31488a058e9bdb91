"""Forms of the survey builder: a survey's settings, one question, a wave, sharing."""

from dataclasses import dataclass

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q

from perception.models import MIN_GROUP_SIZE_FLOOR, SiteSettings
from surveys.models import Invitation, Question, Response, Survey, Wave
from surveys.services import QuestionSpec

# What each anonymity mode promises respondents, in plain words (the builder shows it
# beside each choice; the public page and the flyer carry the same promise).
ANONYMITY_PROMISES = {
    Survey.ANONYMOUS: (
        "Nothing links an answer to a person: no name, email address, IP address or device, "
        "and only the day an answer arrived. You cannot follow the same person from wave to wave."
    ),
    Survey.PSEUDONYMOUS: (
        "Answers through personal links carry a coded key, so one person's answers can be "
        "followed across waves without anyone seeing who they are."
    ),
    Survey.IDENTIFIED: (
        "Answers through personal links carry the person's email address, so IT can follow up "
        "with them. Open-link answers stay anonymous. Say so clearly in the invitation."
    ),
}


@dataclass(frozen=True)
class ScalePreset:
    label: str
    low: int
    high: int
    points: tuple[str, ...]


SCALE_PRESETS = {
    "agree5": ScalePreset(
        "Agreement 1–5 (Strongly disagree … Strongly agree)",
        1,
        5,
        ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
    ),
    "satisfied5": ScalePreset(
        "Satisfaction 1–5 (Very dissatisfied … Very satisfied)",
        1,
        5,
        (
            "Very dissatisfied",
            "Dissatisfied",
            "Neither satisfied nor dissatisfied",
            "Satisfied",
            "Very satisfied",
        ),
    ),
    "agree7": ScalePreset(
        "Agreement 1–7 (Strongly disagree … Strongly agree)",
        1,
        7,
        (
            "Strongly disagree",
            "Disagree",
            "Somewhat disagree",
            "Neither agree nor disagree",
            "Somewhat agree",
            "Agree",
            "Strongly agree",
        ),
    ),
    "likely10": ScalePreset(
        "Likelihood 0–10 (Not at all likely … Extremely likely)",
        0,
        10,
        ("Not at all likely", "", "", "", "", "", "", "", "", "", "Extremely likely"),
    ),
}
NEW_DIMENSION = "__new__"
MAX_OPTIONS = 30


def site_minimum() -> int:
    return max(SiteSettings.load().min_group_size, MIN_GROUP_SIZE_FLOOR)


def promise_errors(survey: Survey, anonymity: str | None, size: int | None) -> dict[str, str]:
    """What may not change in a survey's promise, by field: once people answered, or were
    invited by an email that states it, neither the anonymity mode nor the minimum group
    size may get weaker (the builder and the admin site both hold to it)."""
    errors: dict[str, str] = {}  # (the site's minimum is the model's own rule)
    if not survey.pk:
        return errors
    answered = Response.objects.filter(wave__survey=survey).exists()
    invited = Invitation.objects.filter(wave__survey=survey, sent_at__isnull=False).exists()
    if not (answered or invited):
        return errors
    # People answered, or were invited by an email that states the promise, under this
    # mode and threshold: neither may get weaker.
    who = "People have already answered" if answered else "Invitations have already gone out"
    before = Survey.objects.get(pk=survey.pk)
    if anonymity not in (None, before.anonymity):
        errors["anonymity"] = (
            f"{who} under the promise of this mode, so it cannot change. "
            "Start a new survey for a different promise."
        )
    if size is not None and size < before.min_group_size:
        errors["min_group_size"] = (
            f"{who} under this minimum group size, so it can only be raised (it is {before.min_group_size})."
        )
    return errors


class PromiseHeld(forms.ModelForm):
    """A survey's form that refuses to weaken a promise people answered under
    (``promise_errors``): the builder's and the admin site's."""

    def clean(self):
        cleaned = super().clean()
        for field, message in promise_errors(
            self.instance, cleaned.get("anonymity"), cleaned.get("min_group_size")
        ).items():
            self.add_error(field, message)
        return cleaned


class SurveySettingsForm(PromiseHeld):
    class Meta:
        model = Survey
        fields = ["title", "intro", "anonymity", "min_group_size", "ask_department"]
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 3}),
            "anonymity": forms.RadioSelect,
        }
        labels = {
            "anonymity": "Anonymity",
            "ask_department": "Ask for the department (optional for respondents)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        minimum = site_minimum()
        self.fields["min_group_size"].min_value = minimum
        self.fields["min_group_size"].widget.attrs["min"] = minimum
        self.fields["min_group_size"].help_text = (
            f"No figure or comment is shown for a group smaller than this. The site minimum is "
            f"{minimum}; you may raise it for this survey, never lower it."
        )
        if not self.instance.pk:
            self.initial.setdefault("min_group_size", minimum)

    def anonymity_options(self) -> list[tuple[str, str, str, bool]]:
        """(value, label, promise, chosen) for each mode, drawn with its promise beside it."""
        chosen = str(self["anonymity"].value() or "")
        return [
            (value, label.split(":")[0], ANONYMITY_PROMISES[value], value == chosen)
            for value, label in Survey.ANONYMITY_CHOICES
        ]


def _manager_dimensions(user) -> list[str]:
    names = (
        Question.objects.filter(survey__in=Survey.objects.managed_by(user))
        .exclude(dimension="")
        .values_list("dimension", flat=True)
        .distinct()
    )
    return sorted(set(names), key=str.lower)


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="Question",
        max_length=300,
        error_messages={"required": "Write the question people will answer."},
    )
    help_text = forms.CharField(label="Help text (optional)", max_length=300, required=False)
    kind = forms.ChoiceField(label="Kind of question", choices=Question.KIND_CHOICES)
    required = forms.BooleanField(label="Required: respondents must answer it", required=False)
    dimension = forms.ChoiceField(
        label="Dimension",
        required=False,
        help_text="Rating questions in one dimension are averaged into one score.",
    )
    new_dimension = forms.CharField(label="Name of the new dimension", max_length=60, required=False)
    # The declared scale, for rating questions.
    scale_preset = forms.ChoiceField(
        label="Scale",
        required=False,
        choices=[("", "My own ends and labels (below)")] + [(k, p.label) for k, p in SCALE_PRESETS.items()],
        help_text="A preset fills the ends and the label of every point.",
    )
    scale_low = forms.IntegerField(label="Lowest point", required=False, min_value=0, max_value=10)
    scale_high = forms.IntegerField(label="Highest point", required=False, min_value=1, max_value=11)
    low_label = forms.CharField(label="Label of the lowest point", max_length=60, required=False)
    high_label = forms.CharField(label="Label of the highest point", max_length=60, required=False)
    favourable_from = forms.IntegerField(
        label="Favourable from (optional)",
        required=False,
        help_text="The lowest point counted as favourable, after reverse-scoring. Empty: the top two points.",
    )
    reverse_scored = forms.BooleanField(
        label="Reverse-scored: agreeing means a worse experience", required=False
    )
    dont_know_label = forms.CharField(
        label="“Don't know” answer (optional)",
        max_length=100,
        required=False,
        help_text="Such as “Not applicable”; stored as no answer, never as a point.",
    )
    likelihood_to_recommend = forms.BooleanField(
        label="Likelihood to recommend (gives a net score)",
        help_text="Tick only for “How likely are you to recommend IT…?”.",
        required=False,
    )
    # Options, for choice questions.
    choices = forms.CharField(
        label="Options, one per line",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    other_label = forms.CharField(
        label="“Other” option (optional)",
        max_length=200,
        required=False,
        help_text="Such as “Other”: listed last. Leave empty for none.",
    )

    def __init__(self, *args, user, question: Question | None = None, **kwargs):
        if question is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(question)
        super().__init__(*args, **kwargs)
        known = _manager_dimensions(user)
        current = kwargs.get("initial", {}).get("dimension", "")
        if current and current not in known:
            known.append(current)
        self.fields["dimension"].choices = (
            [("", "No dimension")] + [(name, name) for name in known] + [(NEW_DIMENSION, "New dimension…")]
        )

    @staticmethod
    def initial_for(question: Question) -> dict:
        options = list(question.choices.all())
        labels = question.point_labels() if question.is_numeric else {}
        low, high = question.scale or (None, None)
        preset = next(
            (
                key
                for key, p in SCALE_PRESETS.items()
                if (p.low, p.high) == (low, high)
                and tuple(labels.get(v, "") for v in range(low, high + 1)) == p.points
            ),
            "",
        )
        return {
            "text": question.text,
            "help_text": question.help_text,
            "kind": question.kind,
            "required": question.required,
            "dimension": question.dimension,
            "scale_preset": preset,
            "scale_low": question.scale_low,
            "scale_high": question.scale_high,
            "low_label": labels.get(low, "") if labels else question.low_label,
            "high_label": labels.get(high, "") if labels else question.high_label,
            "favourable_from": question.favourable_from,
            "reverse_scored": question.reverse_scored,
            "dont_know_label": question.dont_know_label,
            "likelihood_to_recommend": question.likelihood_to_recommend,
            "choices": "\n".join(c.label for c in options if not c.is_other),
            "other_label": next((c.label for c in options if c.is_other), ""),
        }

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if cleaned.get("dimension") == NEW_DIMENSION:
            if not cleaned.get("new_dimension", "").strip():
                self.add_error("new_dimension", "Name the new dimension, or choose one from the list.")
            cleaned["dimension"] = cleaned.get("new_dimension", "").strip()
        preset = SCALE_PRESETS.get(cleaned.get("scale_preset") or "")
        if kind in (Question.RATING, *Question.SCALES):
            if preset is not None:
                cleaned["scale_low"], cleaned["scale_high"] = preset.low, preset.high
            fixed = Question.SCALES.get(kind)
            if fixed and preset is not None and (preset.low, preset.high) != fixed:
                self.add_error(
                    "scale_preset",
                    f"This scale runs {preset.low}–{preset.high}, but the kind is {fixed[0]}–{fixed[1]}: "
                    "choose “Rating on a declared scale” or a matching scale.",
                )
            if fixed:
                # The kind names its ends; typed ends are for declared scales only.
                cleaned["scale_low"], cleaned["scale_high"] = fixed
            low, high = cleaned.get("scale_low"), cleaned.get("scale_high")
            if low is not None and high is not None and high <= low:
                self.add_error("scale_high", "The highest point must be above the lowest.")
            elif low is not None and high is not None and high - low > 10:
                self.add_error("scale_high", "A scale has at most 11 points.")
            start, end = fixed or (low, high)
            cut = cleaned.get("favourable_from")
            if cut is not None and start is not None and end is not None and not start < cut <= end:
                self.add_error("favourable_from", f"Choose a point above {start} and at most {end}.")
        if kind in (Question.SINGLE, Question.MULTIPLE):
            lines = [line.strip() for line in cleaned.get("choices", "").splitlines() if line.strip()]
            if len(lines) != len({line.lower() for line in lines}):
                self.add_error("choices", "Each option must differ from the others.")
            elif len(lines) > MAX_OPTIONS:
                self.add_error("choices", f"Offer at most {MAX_OPTIONS} options.")
            elif any(len(line) > 200 for line in lines):
                self.add_error("choices", "Keep each option to 200 characters.")
            cleaned["option_lines"] = tuple(lines)
        return cleaned

    def spec(self) -> QuestionSpec:
        data = self.cleaned_data
        kind = data["kind"]
        preset = SCALE_PRESETS.get(data.get("scale_preset") or "")
        low_label, high_label = data["low_label"].strip(), data["high_label"].strip()
        points: tuple[str, ...] = ()
        if preset is not None:
            points, low_label, high_label = preset.points, preset.points[0], preset.points[-1]
        elif kind == Question.RATING_5 and not (low_label or high_label):
            points = SCALE_PRESETS["agree5"].points
        return QuestionSpec(
            kind=kind,
            text=data["text"].strip(),
            help_text=data["help_text"].strip(),
            dimension=data["dimension"],
            required=data["required"],
            scale_low=data.get("scale_low"),
            scale_high=data.get("scale_high"),
            scale_labels=points,
            low_label=low_label,
            high_label=high_label,
            favourable_from=data.get("favourable_from"),
            reverse_scored=data["reverse_scored"],
            likelihood_to_recommend=data["likelihood_to_recommend"],
            dont_know_label=data["dont_know_label"].strip(),
            choices=data.get("option_lines", ()),
            other_label=data["other_label"].strip(),
        )


class WaveForm(forms.Form):
    label = forms.CharField(label="Label", max_length=60, help_text="Such as “2026 Q4” or “Spring”.")
    opens = forms.DateField(
        label="Opens on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="From the start of this day.",
    )
    closes = forms.DateField(
        label="Closes on", widget=forms.DateInput(attrs={"type": "date"}), help_text="At the end of this day."
    )

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        if Wave.objects.filter(survey=self.survey, label=label).exists():
            raise forms.ValidationError("This survey already has a wave with this label; choose another.")
        return label

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        if opens and closes and closes < opens:
            self.add_error("closes", "The closing day cannot be before the opening day.")
        return cleaned


def managers_besides(survey: Survey):
    """People who may manage surveys and do not own this one yet."""
    may = Q(groups__permissions__codename="manage_surveys") | Q(user_permissions__codename="manage_surveys")
    return (
        User.objects.filter(may, is_active=True)
        .exclude(pk__in=survey.owners.values("pk"))
        .distinct()
        .order_by("username")
    )


class ShareForm(forms.Form):
    user = forms.ModelChoiceField(
        label="Share with",
        queryset=User.objects.none(),
        empty_label="Choose a manager",
        error_messages={
            "required": "Choose the manager to share with.",
            "invalid_choice": "Choose a manager from the list.",
        },
    )

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = managers_besides(survey)
        self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.username
