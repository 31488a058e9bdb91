"""Forms of the staff import page: upload, then a kind for every column."""

from django import forms
from django.conf import settings
from django.utils.text import slugify

from surveys import imports


class UploadForm(forms.Form):
    file = forms.FileField(label="Export file (CSV, TSV or Excel)")
    title = forms.CharField(
        label="Survey title",
        max_length=200,
        help_text="A new survey gets this title; the title of one of your surveys imports into it.",
    )
    wave = forms.CharField(
        label="Wave label (optional)",
        max_length=60,
        required=False,
        help_text="Default: the file's date range.",
    )
    # Under "Advanced": most people never need to see an address or a format.
    slug = forms.CharField(
        label="Web address of the survey",
        max_length=50,
        required=False,
        help_text="Made from the title (it-service-2024); change it to import into a survey by its address.",
    )
    format = forms.ChoiceField(
        label="File format",
        choices=[("auto", "Detect")] + [(f, f) for f in imports.FORMATS],
        initial="auto",
    )
    advanced = ("slug", "format")

    def clean(self):
        cleaned = super().clean()
        if "title" in cleaned:
            slug = slugify(cleaned.get("slug") or cleaned["title"])[:50].strip("-")
            if not slug:
                self.add_error(
                    "slug" if cleaned.get("slug") else "title",
                    "Use some letters or digits, e.g. IT service 2024.",
                )
            cleaned["slug"] = slug
        return cleaned

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"The file is larger than {limit} MB.")
        return upload


def column_groups(headers: list[str], proposed: dict[str, str]) -> dict[str, list[tuple[int, str]]]:
    """(index, header) of the columns proposed as each kind, the kinds in their usual order."""
    groups: dict[str, list[tuple[int, str]]] = {kind: [] for kind in imports.KINDS}
    for index, header in enumerate(headers):
        groups.setdefault(proposed.get(header, "ignore"), []).append((index, header))
    return {kind: members for kind, members in groups.items() if members}


def with_group_choices(data, headers: list[str], proposed: dict[str, str]):
    """The posted mapping with each group's decision copied to its columns, and the
    group's choice cleared, so the page shows every column as it will be imported."""
    if not data or not any(key.startswith("group_") and value for key, value in data.items()):
        return data
    data = data.copy()
    for kind, members in column_groups(headers, proposed).items():
        decision = data.get(f"group_{kind}", "")
        if decision in imports.KINDS:
            for index, _ in members:
                data[f"column_{index}"] = decision
        data[f"group_{kind}"] = ""
    return data


class MappingForm(forms.Form):
    """One choice per column, a confirmed scale per block of rating columns that share
    one, an explicit choice to keep any personal-data column, and a number for every
    scale label the reader did not know."""

    def __init__(
        self,
        *args,
        headers: list[str],
        proposed: dict[str, str],
        unknown: dict[str, set[str]],
        scales: dict | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.headers = headers
        scales = scales or {}
        self.blocks = [b for b in imports.blocks(headers, proposed, scales) if b.kind == "rating"]
        for number, block in enumerate(self.blocks):
            scale = block.scale
            self.fields[f"scale_{number}_low"] = forms.IntegerField(
                label="Lowest point",
                initial=scale.low if scale else 1,
                min_value=-10,
                max_value=100,
                required=False,
            )
            self.fields[f"scale_{number}_high"] = forms.IntegerField(
                label="Highest point",
                initial=scale.high if scale else 5,
                min_value=-10,
                max_value=100,
                required=False,
            )
            self.fields[f"scale_{number}_confirm"] = forms.BooleanField(
                label="Use this scale for these columns", required=False
            )
        self.personal = [(i, h) for i, h in enumerate(headers) if imports.is_personal(h)]
        for index, header in self.personal:
            self.fields[f"keep_{index}"] = forms.BooleanField(
                label=f"Keep “{header}” (personal data; the import record remembers this choice)",
                required=False,
            )
        choices = [(kind, imports.KIND_WORDS.get(kind, kind)) for kind in imports.KINDS]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, initial=proposed.get(header, "ignore")
            )
        # Columns grouped by the kind proposed for them: one decision for the whole group,
        # while each column stays changeable on its own.
        self.groups = column_groups(headers, proposed)
        for kind, members in self.groups.items():
            self.fields[f"group_{kind}"] = forms.ChoiceField(
                label=f"All {len(members)} columns of this group hold",
                choices=[("", "Each column as chosen below"), *choices],
                required=False,
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

    def scales(self) -> dict[str, imports.Scale]:
        """The confirmed scale of each rating column: one decision per block, the
        proposal's labels kept when its ends are kept."""
        confirmed = {}
        for number, block in enumerate(self.blocks):
            if not self.cleaned_data.get(f"scale_{number}_confirm"):
                continue
            low, high = self.cleaned_data[f"scale_{number}_low"], self.cleaned_data[f"scale_{number}_high"]
            if low is None or high is None or high <= low:
                continue
            proposal = block.scale
            same = proposal is not None and (proposal.low, proposal.high) == (low, high)
            scale = imports.Scale(
                low,
                high,
                proposal.labels if same else (),
                proposal.name if same else "",
                proposal.dont_know if proposal else "",
            )
            confirmed.update({header: scale for header in block.headers})
        return confirmed

    def keep_personal(self) -> list[str]:
        return [header for index, header in self.personal if self.cleaned_data.get(f"keep_{index}")]

    def labels(self) -> dict[str, dict[str, int]]:
        labels: dict[str, dict[str, int]] = {}
        for name, header, label in self.label_fields:
            if self.cleaned_data.get(name) is not None:
                labels.setdefault(header, {})[label] = self.cleaned_data[name]
        return labels
