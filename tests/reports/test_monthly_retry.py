"""A month stuck in "sending" (a run that crashed or hung) is sent by a later run, once;
SMTP cannot block for ever."""

from datetime import date

import pytest
from django.conf import settings
from django.core import mail

from reports.models import MonthlyReport
from tests.reports.test_monthly_report import at, org, run  # noqa: F401  (org is a fixture)

pytestmark = pytest.mark.django_db


def stuck_at(year, month, day, hour) -> None:
    with at(year, month, day, hour):
        MonthlyReport.objects.create(
            period=date(2026, 10, 1), subject="-", body_text="-", body_html="-", recipients="-"
        )


def test_a_month_stuck_in_sending_is_reclaimed_after_the_timeout_and_sent_once(org):  # noqa: F811
    stuck_at(2026, 11, 3, hour=7)
    with at(2026, 11, 3, hour=8):
        assert "Sent the report for October 2026" in run()
        assert "already been sent" in run()
    assert len(mail.outbox) == 1
    assert MonthlyReport.objects.get().status == MonthlyReport.SENT


def test_a_month_claimed_moments_ago_is_left_to_the_run_sending_it(org):  # noqa: F811
    """Another run may still be sending: no second email before the reclaim age."""
    with at(2026, 11, 3, hour=8):
        MonthlyReport.objects.create(
            period=date(2026, 10, 1), subject="-", body_text="-", body_html="-", recipients="-"
        )
        assert "already been sent" in run()
    assert mail.outbox == []
    assert MonthlyReport.objects.get().status == MonthlyReport.SENDING


def test_smtp_has_a_timeout():
    assert settings.EMAIL_TIMEOUT == 10
    from django.core.mail.backends.smtp import EmailBackend

    assert EmailBackend().timeout == 10
