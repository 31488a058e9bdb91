"""The public survey form, built from a survey's questions."""

from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from perception.forms import ThemeChoiceField, clean_new_theme
from perception.lib import hooks
from perception.models import Department
from perception.uploads import UploadProblem, decode
from surveys.models import InvitationMessage, Question
from surveys.recipients import check_addresses, parse_addresses

MAX_TEXT_LENGTH = 5000
# "Other — please say what": a few words, not a comment.
MAX_OTHER_LENGTH = 200


@dataclass
class Option:
    value: str
    text: str
    spoken: str
    input_id: str
    checked: bool
    is_other: bool = False


@dataclass
class OtherBox:
    """The "please say what" box that goes with a choice question's "other" option."""

    name: str
    input_id: str
    value: str
    errors: list[str]
    max_length: int = MAX_OTHER_LENGTH


@dataclass
class RenderedQuestion:
    """Everything the template needs to draw one question accessibly."""

    question: Question
    name: str
    anchor: str
    errors: list[str]
    options: list[Option] = field(default_factory=list)
    value: str = ""
    dont_know: Option | None = None
    other: OtherBox | None = None


def _rating_value(value: str) -> int | str:
    """A scale point as a number; the "don't know" option stays its marker (no number)."""
    return value if value == Question.DONT_KNOW else int(value)


def _field_for(question: Question) -> forms.Field:
    required_message = _("Answer this question, it is required.")
    if question.is_numeric:
        low, high = question.scale
        ends = {"low": low, "high": high, "dont_know": question.dont_know_label}
        choices = [(str(v), str(v)) for v in range(low, high + 1)]
        if question.dont_know_label:
            choices.append((Question.DONT_KNOW, question.dont_know_label))
        return forms.TypedChoiceField(
            choices=choices,
            coerce=_rating_value,
            required=question.required,
            error_messages={
                "required": (
                    _("Choose a number from %(low)s to %(high)s, or “%(dont_know)s”.") % ends
                    if question.dont_know_label
                    else _("Choose a number from %(low)s to %(high)s.") % ends
                ),
                "invalid_choice": _("Choose a whole number from %(low)s to %(high)s.") % ends,
            },
        )
    if question.kind in (Question.SINGLE, Question.MULTIPLE):
        by_id = {str(c.pk): c for c in question.choices.all()}
        options = [(key, choice.label) for key, choice in by_id.items()]
        field_class = (
            forms.TypedChoiceField if question.kind == Question.SINGLE else forms.TypedMultipleChoiceField
        )
        return field_class(
            choices=options,
            coerce=by_id.__getitem__,
            required=question.required,
            error_messages={
                "required": _("Choose an answer, this question is required.")
                if question.kind == Question.SINGLE
                else _("Tick at least one option, this question is required."),
                "invalid_choice": _("That is not one of the options; choose from the list."),
            },
        )
    return forms.CharField(
        required=question.required,
        max_length=MAX_TEXT_LENGTH,
        strip=True,
        error_messages={
            "required": required_message,
            "max_length": _("Keep your answer to %(limit_value)d characters (it has %(show_value)d)."),
        },
    )


def _other_choice(question: Question):
    """The "other" option of a choice question (choices prefetched), if it has one."""
    if question.kind not in (Question.SINGLE, Question.MULTIPLE):
        return None
    return next((c for c in question.choices.all() if c.is_other), None)


class SurveyForm(forms.Form):
    """One field per question (named ``q<id>``) plus an optional department; a choice
    question with an "other" option also has its "please say what" box (``q<id>_other``)."""

    def __init__(self, *args, questions: list[Question], departments: list[Department] | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.other_choices = {}
        # Ratings that ask the same thing (kind, scale, "don't know", required) share one
        # field: it only checks and converts the value sent, and building a field is most
        # of the cost of building this form for a survey of 25 such statements.
        numeric: dict[tuple, forms.Field] = {}
        for question in questions:
            if question.is_numeric:
                alike = (question.scale, question.dont_know_label, question.required)
                if alike not in numeric:
                    numeric[alike] = _field_for(question)
                self.fields[f"q{question.pk}"] = numeric[alike]
            else:
                self.fields[f"q{question.pk}"] = _field_for(question)
            other = _other_choice(question)
            if other is not None:
                self.other_choices[question] = other
                self.fields[f"q{question.pk}_other"] = forms.CharField(
                    required=False,
                    max_length=MAX_OTHER_LENGTH,
                    strip=True,
                    error_messages={
                        "max_length": _(
                            "Keep your answer to %(limit_value)d characters (it has %(show_value)d)."
                        )
                    },
                )
        self.departments = departments
        if departments is not None:
            by_id = {str(d.pk): d for d in departments}
            self.fields["department"] = forms.TypedChoiceField(
                choices=[("", _("Prefer not to say"))] + [(k, d.name) for k, d in by_id.items()],
                coerce=by_id.__getitem__,
                required=False,
                empty_value=None,
                error_messages={"invalid_choice": _("Choose a department from the list.")},
            )

    def clean(self):
        cleaned = super().clean()
        for question, other in self.other_choices.items():
            name = f"q{question.pk}"
            if cleaned.get(f"{name}_other") and name in cleaned and not self._chose(question, other):
                # Typed words are never dropped unseen: the box shows without JavaScript.
                self.add_error(
                    f"{name}_other",
                    _("You wrote what “%(other)s” is: also choose “%(other)s”, or empty the box.")
                    % {"other": other.label},
                )
        if not self.errors and not any(v not in (None, "", []) for v in self.answers().values()):
            raise forms.ValidationError(_("Answer at least one question before sending."), code="empty")
        return cleaned

    def _chose(self, question: Question, choice) -> bool:
        value = self.cleaned_data.get(f"q{question.pk}")
        return choice in value if isinstance(value, list) else value == choice

    def answers(self) -> dict[Question, object]:
        """Each question's cleaned value; a rating's "don't know" is ``Question.DONT_KNOW``."""
        return {q: self.cleaned_data.get(f"q{q.pk}") for q in self.questions}

    def other_texts(self) -> dict[Question, str]:
        """The words given for "other", for the questions where "other" was chosen."""
        return {
            question: self.cleaned_data[f"q{question.pk}_other"]
            for question, other in self.other_choices.items()
            if self.cleaned_data.get(f"q{question.pk}_other") and self._chose(question, other)
        }

    def department(self) -> Department | None:
        return self.cleaned_data.get("department")

    def rendered_questions(self) -> list[RenderedQuestion]:
        if getattr(self, "_rendered", None) is not None:
            return self._rendered
        rendered = []
        for question in self.questions:
            name = f"q{question.pk}"
            bound = self[name]
            errors = list(bound.errors)
            if question.is_numeric:
                chosen = str(bound.value() or "")
                labels = question.point_labels()
                options = [
                    Option(
                        value=str(v),
                        text=str(v),
                        spoken=labels.get(v, ""),
                        input_id=f"id_{name}_{i}",
                        checked=str(v) == chosen,
                    )
                    for i, v in enumerate(labels)
                ]
                dont_know = (
                    Option(
                        Question.DONT_KNOW,
                        question.dont_know_label,
                        "",
                        f"id_{name}_dont_know",
                        chosen == Question.DONT_KNOW,
                    )
                    if question.dont_know_label
                    else None
                )
                rendered.append(
                    RenderedQuestion(question, name, f"id_{name}_0", errors, options, dont_know=dont_know)
                )
            elif question.kind in (Question.SINGLE, Question.MULTIPLE):
                value = bound.value()
                chosen = {str(v) for v in (value if isinstance(value, list) else [value]) if v}
                other = self.other_choices.get(question)
                options = [
                    Option(
                        str(key),
                        label,
                        "",
                        f"id_{name}_{i}",
                        str(key) in chosen,
                        is_other=other is not None and str(key) == str(other.pk),
                    )
                    for i, (key, label) in enumerate(self.fields[name].choices)
                ]
                box = None
                if other is not None:
                    other_bound = self[f"{name}_other"]
                    box = OtherBox(
                        f"{name}_other",
                        f"id_{name}_other",
                        other_bound.value() or "",
                        list(other_bound.errors),
                    )
                rendered.append(RenderedQuestion(question, name, f"id_{name}_0", errors, options, other=box))
            else:
                rendered.append(
                    RenderedQuestion(question, name, f"id_{name}", errors, value=bound.value() or "")
                )
        self._rendered = rendered
        return rendered

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs, in page order, for the summary at the top of the form."""
        if not self.is_bound:
            return []
        rendered = self.rendered_questions()
        summary = []
        for rq in rendered:
            summary += [(rq.anchor, f"{rq.question.text} — {error}") for error in rq.errors]
            if rq.other is not None:
                summary += [(rq.other.input_id, f"{rq.question.text} — {error}") for error in rq.other.errors]
        summary += [(rendered[0].anchor if rendered else "main", e) for e in self.non_field_errors()]
        if "department" in self.fields:
            summary += [
                ("id_department", _("Department — %(error)s") % {"error": e})
                for e in self["department"].errors
            ]
        return summary


class CodingForm(forms.Form):
    themes = ThemeChoiceField(label="Themes in this comment")
    new_theme = forms.CharField(label="Or add a new theme", required=False, max_length=120)

    def clean_new_theme(self) -> str:
        return clean_new_theme(self.cleaned_data["new_theme"])


# -- Invitations (staff: managers) ---------------------------------------------------------

MAX_LIST_ADDRESSES = 20000


class InviteForm(forms.Form):
    """Who to invite (from People by department and influence, and/or a list of
    addresses), what the email says, and when it goes."""

    NOW, LATER = "now", "later"

    departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="People in these departments",
        help_text="Everyone in People with an email address in any ticked department.",
    )
    influence = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="People of this influence",
        help_text="With departments ticked too: only people in those departments of this influence.",
    )
    addresses = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="And these addresses",
        help_text=(
            "One per line (or separated by commas), or CSV with an “email” column and optionally a "
            "“department” column: the response then gets that department."
        ),
    )
    upload = forms.FileField(
        required=False,
        label="Or upload such a list",
        help_text="A CSV or text file, as above.",
    )
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 9}),
        label="Message",
        help_text=(
            "Plain text. Put {link} where each person's own link goes (on a line of its own it "
            "becomes a button). The privacy promise, closing date and opt-out link are added below it."
        ),
    )
    when = forms.ChoiceField(
        choices=[(NOW, "Send now"), (LATER, "Send at a date and time")],
        initial=NOW,
        widget=forms.RadioSelect,
        label="Send",
    )
    send_at = forms.DateTimeField(
        required=False,
        label="Date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="Local time; the invitations go within a few minutes of it.",
    )

    def __init__(self, *args, wave, influence_choices: list[tuple[str, str]] | None, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.wave, self.now = wave, now
        self.people = influence_choices is not None
        if self.people:
            self.fields["influence"].choices = influence_choices
        else:  # no People directory installed: only lists of addresses
            del self.fields["departments"], self.fields["influence"]
        for name, form_field in self.fields.items():
            choices = isinstance(form_field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect)
            form_field.widget.attrs["class"] = "form-check-input" if choices else "form-control"
            if not choices:
                form_field.widget.attrs["aria-describedby"] = f"id_{name}-help id_{name}-error"
        self.checked = None

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if InvitationMessage.LINK_PLACEHOLDER not in body:
            raise forms.ValidationError("Put {link} in the message, where each person's own link goes.")
        return body

    def clean_upload(self) -> str:
        upload = self.cleaned_data.get("upload")
        if not upload:
            return ""
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError("The file is larger than the upload limit; split it.")
        try:
            return decode(upload.read()).text
        except UploadProblem as problem:
            raise forms.ValidationError(str(problem)) from None

    def clean_send_at(self):
        send_at = self.cleaned_data.get("send_at")
        if self.data.get("when") == self.LATER:
            if send_at is None:
                raise forms.ValidationError("Give the date and time to send at.")
            if send_at >= self.wave.closes:
                raise forms.ValidationError("That is after the wave closes; choose an earlier time.")
        return send_at

    def clean(self):
        cleaned = super().clean()
        pairs = parse_addresses(cleaned.get("addresses", "")) + parse_addresses(cleaned.get("upload") or "")
        if len(pairs) > MAX_LIST_ADDRESSES:
            raise forms.ValidationError(f"At most {MAX_LIST_ADDRESSES} addresses at once; split the list.")
        checked = check_addresses(pairs)
        if checked.bad:
            shown = ", ".join(checked.bad[:5]) + (" …" if len(checked.bad) > 5 else "")
            self.add_error("addresses", f"Not email addresses: {shown}. Fix or remove them.")
        if checked.unknown_departments:
            self.add_error(
                "addresses",
                f"Unknown departments: {', '.join(checked.unknown_departments)}. Fix the names.",
            )
        departments = list(cleaned.get("departments") or [])
        influences = list(cleaned.get("influence") or [])
        if self.people and (departments or influences):
            by_id = {d.pk: d for d in Department.objects.all()}
            seen = {address.lower() for address, _ in checked.recipients}
            for person in hooks.people().find([d.pk for d in departments], influences):
                if person.email.lower() not in seen:
                    seen.add(person.email.lower())
                    checked.recipients.append((person.email, by_id.get(person.department_id)))
        if not self.errors and not checked.recipients:
            raise forms.ValidationError(
                "Nobody to invite: tick a department or influence with people who have an email "
                "address, or add addresses."
            )
        self.checked = checked
        return cleaned

    def recipients(self) -> list[tuple[str, Department | None]]:
        return self.checked.recipients if self.checked else []

    def send_after(self):
        return self.cleaned_data["send_at"] if self.cleaned_data["when"] == self.LATER else self.now


class ReminderForm(forms.Form):
    reminders = forms.TypedChoiceField(
        choices=[(0, "No reminders"), (1, "One reminder"), (2, "Two reminders")],
        coerce=int,
        label="Reminders",
        help_text="Only to people who have not answered nor opted out, and only while the wave is open.",
    )
    reminder_days = forms.IntegerField(
        min_value=1,
        max_value=60,
        label="Days apart",
        help_text="From the invitation to the first reminder, and between the two.",
    )
