"""Retention: free-text answers are blanked N months after their wave closed; themes stay."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.utils import timezone

from perception.models import SiteSettings, Theme
from surveys.models import Answer, Question
from tests.factories import add_question, add_response, make_survey, make_wave

pytestmark = pytest.mark.django_db


def retention(*args) -> str:
    out = StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def comments():
    """One old comment (wave closed 13 months ago, coded), one recent, and an old number."""
    survey = make_survey()
    text = add_question(survey, Question.TEXT)
    rating = add_question(survey, Question.RATING_5)
    old, recent = make_wave(survey, "closed", label="old"), make_wave(survey, "closed", label="recent")
    back = timedelta(days=400)
    old.opens, old.closes = old.opens - back, old.closes - back
    old.save()
    wifi = Theme.objects.create(name="Wi-Fi")
    add_response(old, {text: "Wi-Fi in building B is awful", rating: 2})
    Answer.objects.get(text__startswith="Wi-Fi").themes.add(wifi)
    add_response(recent, {text: "Printers are fine now"})
    return wifi


def test_old_free_text_is_blanked_and_its_theme_coding_stays(comments):
    SiteSettings(free_text_retention_months=12).save()
    output = retention()
    assert "Blanked 1 free-text answers older than 12 months." in output
    assert not Answer.objects.filter(text="Wi-Fi in building B is awful").exists()
    assert comments.answers.count() == 1  # the coded answer is still there, still coded
    assert Answer.objects.filter(text="Printers are fine now").exists()
    assert Answer.objects.filter(number=2).exists()


def test_running_it_again_blanks_nothing_more(comments):
    SiteSettings(free_text_retention_months=12).save()
    retention()
    assert "Blanked 0 free-text answers" in retention()


def test_dry_run_counts_and_changes_nothing(comments):
    SiteSettings(free_text_retention_months=12).save()
    assert "Would blank 1 free-text answers" in retention("--dry-run")
    assert Answer.objects.filter(text="Wi-Fi in building B is awful").exists()


def test_without_a_retention_period_nothing_is_blanked(comments):
    assert "No retention period is set" in retention()
    assert Answer.objects.exclude(text="").count() == 2


def test_a_longer_period_keeps_the_old_text(comments):
    SiteSettings(free_text_retention_months=24).save()
    assert "Blanked 0" in retention()


def test_a_database_error_is_one_readable_line_and_a_non_zero_exit(comments):
    SiteSettings(free_text_retention_months=12).save()
    with (
        mock.patch(
            "surveys.services.free_text_apply_retention", side_effect=DatabaseError("database is locked")
        ),
        pytest.raises(CommandError, match="Retention not applied, nothing changed: database is locked"),
    ):
        retention()


def test_months_before_clamps_to_the_end_of_a_shorter_month():
    from perception.lib.dates import months_before

    moment = timezone.now().replace(year=2026, month=3, day=31)
    assert months_before(moment, 1).date().isoformat() == "2026-02-28"
    assert months_before(moment, 15).date().isoformat() == "2024-12-31"
