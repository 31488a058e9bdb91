"""`manage.py demo`: a deterministic demo organisation whose data carries real signal."""

from datetime import UTC, datetime
from io import StringIO
from statistics import mean

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from perception.models import Department
from surveys import demo
from surveys.models import Answer, Response, Survey, Wave

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def fingerprint() -> list[tuple]:
    return list(
        Answer.objects.order_by(
            "response__wave__opens", "response__submitted", "question__order", "id"
        ).values_list(
            "response__wave__label", "response__department__name", "question__order", "number", "text"
        )
    )


def test_demo_is_deterministic():
    demo.build(NOW)
    first = fingerprint()
    Response.objects.all().delete()
    Wave.objects.all().delete()
    demo.build(NOW)
    assert fingerprint() == first


def test_demo_has_departments_and_four_quarterly_waves_the_last_open():
    demo.build(NOW)
    survey = Survey.objects.get(slug="it-service")
    waves = list(survey.waves.of_users().order_by("opens"))
    assert 6 <= Department.objects.count() <= 8
    assert [w.label for w in waves] == ["2026 Q1", "2026 Q2", "2026 Q3", "2026 Q4"]
    assert all(80 <= w.responses.count() <= 200 for w in waves)
    assert [w.is_open(NOW) for w in waves] == [False, False, False, True]


def test_demo_carries_signal_an_improving_dimension_and_a_declining_department():
    demo.build(NOW)
    waves = list(Survey.objects.get(slug="it-service").waves.of_users().order_by("opens"))

    def wave_mean(wave, **filters):
        return mean(
            Answer.objects.filter(response__wave=wave, number__isnull=False, **filters).values_list(
                "number", flat=True
            )
        )

    communication = [wave_mean(w, question__dimension="Communication and empathy") for w in waves]
    finance = [
        wave_mean(
            w,
            response__department__name="Finance",
            question__kind="rating_5",
            question__reverse_scored=False,
            question__overall_measure=False,
        )
        for w in waves
    ]
    assert communication == sorted(communication)
    assert communication[-1] - communication[0] > 0.5
    assert finance == sorted(finance, reverse=True)
    coded = Answer.objects.filter(themes__isnull=False).distinct().count()
    assert coded > 100


def test_command_loads_once_and_prints_the_demo_password_once():
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "Demo loaded" in out.getvalue()
    assert "password '" in out.getvalue()
    demo_user = get_user_model().objects.get(username="demo")
    assert demo_user.is_superuser
    assert demo_user.groups.filter(name="Administrators").exists()
    count = Response.objects.count()
    again = StringIO()
    call_command("demo", "--if-empty", stdout=again)
    assert "not loaded" in again.getvalue()
    assert "password '" not in again.getvalue()
    assert Response.objects.count() == count
