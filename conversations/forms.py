from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from conversations.models import Action, Conversation, Note, Person
from perception.forms import ThemeChoiceField, clean_new_theme
from perception.lib import measure_targets
from perception.models import Department, Theme

UNKNOWN_PERSON = "That person is not in the list; choose someone from the list or leave it empty."


class NoteFields(forms.Form):
    """What every note has, wherever it is written."""

    text = forms.CharField(
        label="What did you hear?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Write what you heard; an empty note cannot be saved."},
    )
    person = forms.ModelChoiceField(
        queryset=Person.objects.all(),
        required=False,
        label="Who said it (optional)",
        empty_label="Not named",
        error_messages={"invalid_choice": UNKNOWN_PERSON},
    )
    themes = ThemeChoiceField(label="Themes")
    new_theme = forms.CharField(label="Or add a new theme", required=False, max_length=120)
    sentiment = forms.TypedChoiceField(
        choices=Note.SENTIMENT_CHOICES,
        coerce=int,
        initial=Note.NEUTRAL,
        widget=forms.RadioSelect,
        label="Sentiment",
    )

    def clean_new_theme(self) -> str:
        return clean_new_theme(self.cleaned_data["new_theme"])


class NoteForm(NoteFields):
    is_quote = forms.BooleanField(label="These are the person's own words", required=False)


class QuickCaptureForm(NoteFields):
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(),
        label="Where are you?",
        empty_label="Choose a department",
        error_messages={
            "required": "Choose the department you are walking around.",
            "invalid_choice": "Choose a department from the list.",
        },
    )
    field_order = ["department", "text", "person", "themes", "new_theme", "sentiment"]


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["name", "email", "department", "role", "influence", "is_influencer"]


def not_in_future(value):
    if value and value > timezone.localdate():
        raise forms.ValidationError("The date cannot be in the future.")
    return value


class ConversationForm(forms.ModelForm):
    class Meta:
        model = Conversation
        fields = [
            "kind",
            "date",
            "facilitator",
            "departments",
            "participants",
            "unnamed_participants",
            "summary",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "departments": forms.CheckboxSelectMultiple,
            "participants": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"participants": "Tick everyone who took part and is named in the log."}
        error_messages = {"participants": {"invalid_choice": UNKNOWN_PERSON}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )

    def clean_date(self):
        return not_in_future(self.cleaned_data["date"])


class ThemeForm(forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["name", "description", "parent"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        clash = Theme.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if clash:
            raise forms.ValidationError(
                f"A theme called “{clash.name}” already exists. Merge them instead of renaming."
            )
        return name

    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        node = parent
        while node is not None and self.instance.pk:
            if node.pk == self.instance.pk:
                raise forms.ValidationError(
                    "A theme cannot sit under itself or under one of its own sub-themes."
                )
            node = node.parent
        return parent


class ThemeMergeForm(forms.Form):
    source = forms.ModelChoiceField(queryset=Theme.objects.all(), label="Merge this theme")
    target = forms.ModelChoiceField(queryset=Theme.objects.all(), label="into this theme")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") and cleaned.get("source") == cleaned.get("target"):
            raise forms.ValidationError("Choose two different themes.")
        return cleaned


class CodebookImportForm(forms.Form):
    file = forms.FileField(label="Codebook CSV (columns: name, description, parent)")


class PeopleImportForm(forms.Form):
    file = forms.FileField(
        label="People CSV (columns: name, email, department, role, influence)",
        error_messages={"required": "Choose a CSV file to import."},
    )


class ActionForm(forms.ModelForm):
    targets = forms.MultipleChoiceField(
        label="Dimensions and questions it should move",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Its effect is measured on these, in the survey waves before and after it was done.",
    )

    class Meta:
        model = Action
        fields = [
            "title",
            "description",
            "themes",
            "owner",
            "due",
            "status",
            "done_on",
            "told_on",
            "targets",
            "departments",
            "lag_waves",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "themes": forms.CheckboxSelectMultiple,
            "departments": forms.CheckboxSelectMultiple,
            "due": forms.DateInput(attrs={"type": "date"}),
            "done_on": forms.DateInput(attrs={"type": "date"}),
            "told_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        choices = [(target.key, target.label) for target in measure_targets.targets()]
        # A target whose question has gone stays choosable, so saving keeps it unless unticked.
        known = {key for key, _ in choices}
        kept = [key for key in (self.instance.targets or []) if key not in known]
        self.fields["targets"].choices = choices + [(key, f"{key} (no longer in any survey)") for key in kept]
        self.fields["lag_waves"].widget.attrs.update(max=4)
        self.fields["lag_waves"].required = False

    def clean_lag_waves(self):
        lag = self.cleaned_data["lag_waves"]
        return Action._meta.get_field("lag_waves").default if lag is None else lag

    def clean_done_on(self):
        return not_in_future(self.cleaned_data["done_on"])

    def clean_told_on(self):
        return not_in_future(self.cleaned_data["told_on"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == Action.DONE and not cleaned.get("done_on"):
            cleaned["done_on"] = timezone.localdate()
        done_on, told_on = cleaned.get("done_on"), cleaned.get("told_on")
        if told_on and done_on and told_on < done_on:
            self.add_error("told_on", "People can only be told after the change was done.")
        return cleaned


class PersonEraseForm(forms.Form):
    """What happens to an erased person's notes: kept without their name, or deleted."""

    KEEP, DELETE = "keep", "delete"
    notes = forms.ChoiceField(
        label="What should happen to the notes of what they said?",
        choices=[
            (KEEP, "Keep the notes without their name (figures and themes stay as they are)"),
            (DELETE, "Delete their notes"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to keep or delete their notes."},
    )

    def keep_notes(self) -> bool:
        return self.cleaned_data["notes"] == self.KEEP
