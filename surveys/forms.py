"""The public survey form, built from a survey's questions."""

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext as _

from perception.forms import ThemeChoiceField, clean_new_theme
from perception.models import Department
from surveys.models import Question

MAX_TEXT_LENGTH = 5000


@dataclass
class Option:
    value: str
    text: str
    spoken: str
    input_id: str
    checked: bool


@dataclass
class RenderedQuestion:
    """Everything the template needs to draw one question accessibly."""

    question: Question
    name: str
    anchor: str
    errors: list[str]
    options: list[Option] = field(default_factory=list)
    value: str = ""


def _field_for(question: Question) -> forms.Field:
    required_message = _("Answer this question, it is required.")
    if question.is_numeric:
        low, high = question.scale
        return forms.TypedChoiceField(
            choices=[(str(v), str(v)) for v in range(low, high + 1)],
            coerce=int,
            required=question.required,
            error_messages={
                "required": _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high},
                "invalid_choice": _("Choose a whole number from %(low)s to %(high)s.")
                % {"low": low, "high": high},
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


class SurveyForm(forms.Form):
    """One field per question (named ``q<id>``) plus an optional department."""

    def __init__(self, *args, questions: list[Question], departments: list[Department] | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q{question.pk}"] = _field_for(question)
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
        if not self.errors and not any(v not in (None, "", []) for v in self.answers().values()):
            raise forms.ValidationError(_("Answer at least one question before sending."), code="empty")
        return cleaned

    def answers(self) -> dict[Question, object]:
        return {q: self.cleaned_data.get(f"q{q.pk}") for q in self.questions}

    def department(self) -> Department | None:
        return self.cleaned_data.get("department")

    def rendered_questions(self) -> list[RenderedQuestion]:
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
                rendered.append(RenderedQuestion(question, name, f"id_{name}_0", errors, options))
            elif question.kind in (Question.SINGLE, Question.MULTIPLE):
                value = bound.value()
                chosen = {str(v) for v in (value if isinstance(value, list) else [value]) if v}
                options = [
                    Option(str(key), label, "", f"id_{name}_{i}", str(key) in chosen)
                    for i, (key, label) in enumerate(self.fields[name].choices)
                ]
                rendered.append(RenderedQuestion(question, name, f"id_{name}_0", errors, options))
            else:
                rendered.append(
                    RenderedQuestion(question, name, f"id_{name}", errors, value=bound.value() or "")
                )
        return rendered

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs, in page order, for the summary at the top of the form."""
        rendered = self.rendered_questions()
        summary = [(rq.anchor, f"{rq.question.text} — {error}") for rq in rendered for error in rq.errors]
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
