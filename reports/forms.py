from django import forms

from reports import queries
from reports.models import ReportSettings
from reports.monthly import MAX_METRICS, MIN_METRICS, metric_choices


class ReportSettingsForm(forms.ModelForm):
    metrics = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label="Key metrics (two or three; the first ticked is the headline in the subject line)",
        error_messages={"invalid_choice": "Choose metrics from the list."},
    )

    class Meta:
        model = ReportSettings
        fields = [
            "survey",
            "metrics",
            "recipients",
            "sender",
            "contact_name",
            "contact_email",
            "contact_phone",
            "send_day",
            "include_chart",
        ]
        widgets = {"recipients": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        survey = self.instance.survey or queries.survey_named("it-service")
        self.fields["metrics"].choices = metric_choices(survey)
        self.fields["survey"].required = False

    def clean_metrics(self) -> list[str]:
        metrics = self.cleaned_data["metrics"]
        if not MIN_METRICS <= len(metrics) <= MAX_METRICS:
            raise forms.ValidationError(f"Choose two or three metrics; you chose {len(metrics)}.")
        return metrics

    def clean_recipients(self) -> str:
        from django.core.validators import validate_email

        lines = [line.strip() for line in self.cleaned_data["recipients"].replace(",", "\n").splitlines()]
        bad = []
        for line in filter(None, lines):
            try:
                validate_email(line)
            except forms.ValidationError:
                bad.append(line)
        if bad:
            raise forms.ValidationError(f"Not an email address: {', '.join(bad)}")
        return "\n".join(filter(None, lines))


class ServiceMetricsUploadForm(forms.Form):
    file = forms.FileField(label="Service metrics CSV (columns: month as YYYY-MM, metric, value, unit)")
