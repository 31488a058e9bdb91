"""An action names the dimensions, questions and departments it should move; the choices
come from the surveys through perception.lib.measure_targets (conversations never
imports surveys)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Action
from perception.lib import measure_targets
from tests.factories import make_departments, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(client):
    client.force_login(make_user("listener", "Listeners"))


def test_the_registry_offers_every_dimension_and_rated_question_of_the_surveys():
    """The built-in it-service survey (installed by a migration) supplies its dimensions."""
    keys = {target.key for target in measure_targets.targets()}
    assert {"dimension:Responsiveness", "dimension:Reliability"} <= keys
    assert any(key.startswith("question:") for key in keys)


def test_an_action_saves_its_targets_departments_and_lag(client, listener):
    hr, _ = make_departments("Human Resources", "Sales")
    page = client.post(
        reverse("conversations:action_new"),
        {
            "title": "New access points",
            "status": "done",
            "done_on": timezone.localdate().isoformat(),
            "targets": ["dimension:Reliability"],
            "departments": [hr.pk],
            "lag_waves": "2",
        },
    )
    assert page.status_code == 302
    action = Action.objects.get()
    assert action.targets == ["dimension:Reliability"]
    assert list(action.departments.all()) == [hr]
    assert action.lag_waves == 2


def test_a_form_with_an_error_keeps_the_targets_that_were_ticked(client, listener):
    (hr,) = make_departments("Human Resources")
    today = timezone.localdate()
    page = client.post(
        reverse("conversations:action_new"),
        {
            "title": "New access points",
            "status": "done",
            "done_on": today.isoformat(),
            "told_on": (today - timezone.timedelta(days=3)).isoformat(),
            "targets": ["dimension:Reliability"],
            "departments": [hr.pk],
        },
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "People can only be told after the change was done." in text
    assert 'value="dimension:Reliability"' in text
    ticked = text[
        text.index('value="dimension:Reliability"') - 200 : text.index('value="dimension:Reliability"') + 80
    ]
    assert "checked" in ticked
    assert not Action.objects.exists()


def test_an_unknown_target_is_refused_with_a_message(client, listener):
    page = client.post(
        reverse("conversations:action_new"),
        {"title": "Something", "status": "planned", "targets": ["dimension:Made up"]},
    )
    assert page.status_code == 400
    assert "is not one of the available choices" in page.content.decode()


def test_a_target_no_survey_has_any_more_survives_an_edit(client, listener):
    action = Action.objects.create(title="Old", targets=["question:999999"])
    page = client.get(reverse("conversations:action_edit", args=[action.pk]))
    assert "no longer in any survey" in page.content.decode()
    client.post(
        reverse("conversations:action_edit", args=[action.pk]),
        {"title": "Old", "status": "planned", "targets": ["question:999999"], "lag_waves": "1"},
    )
    action.refresh_from_db()
    assert action.targets == ["question:999999"]
