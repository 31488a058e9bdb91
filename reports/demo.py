"""The demo organisation's monthly report settings, so the preview works on first run."""

from reports.models import ReportSettings
from surveys.models import Survey


def build() -> None:
    settings = ReportSettings.load()
    settings.survey = Survey.objects.filter(slug="it-service").first()
    settings.metrics = ["overall", "net_score", "people_heard"]
    settings.recipients = "all-staff@northwind.example"
    settings.contact_name = "IT Service Desk"
    settings.contact_email = "servicedesk@northwind.example"
    settings.contact_phone = "+44 20 7946 0000"
    settings.save()
