"""Forms of the staff import page: upload, then a kind for every column."""

from django import forms
from django.conf import settings
from django.utils.text import slugify

from surveys import imports


class UploadForm(forms.Form):
    file = forms.FileField(label="Export file (CSV, TSV or Excel)")
    survey = forms.CharField(
        label="Survey slug",
        max_length=50,
        help_text="An existing survey, or a new one created from the file.",
    )
    wave = forms.CharField(
        label="Wave label (optional)",
        max_length=60,
        required=False,
        help_text="Default: the file's date range.",
    )
    format = forms.ChoiceField(
        choices=[("auto", "Detect")] + [(f, f) for f in imports.FORMATS], initial="auto"
    )

    def clean_survey(self) -> str:
        slug = slugify(self.cleaned_data["survey"])
        if not slug:
            raise forms.ValidationError("Use letters, digits and hyphens, e.g. it-service-2024.")
        return slug

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"The file is larger than {limit} MB.")
        return upload


class MappingForm(forms.Form):
    """One choice per column, and a number for every scale label the reader did not know."""

    def __init__(
        self, *args, headers: list[str], proposed: dict[str, str], unknown: dict[str, set[str]], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [(kind, kind.replace("_", " ")) for kind in imports.KINDS]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, initial=proposed.get(header, "ignore")
            )
        self.label_fields = []
        for index, header in enumerate(headers):
            for position, label in enumerate(sorted(unknown.get(header, ()))):
                name = f"label_{index}_{position}"
                self.fields[name] = forms.IntegerField(
                    label=f"“{label}” in {header} means", min_value=0, max_value=10, required=False
                )
                self.label_fields.append((name, header, label))

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data[f"column_{i}"] for i, header in enumerate(self.headers)}

    def labels(self) -> dict[str, dict[str, int]]:
        labels: dict[str, dict[str, int]] = {}
        for name, header, label in self.label_fields:
            if self.cleaned_data.get(name) is not None:
                labels.setdefault(header, {})[label] = self.cleaned_data[name]
        return labels
