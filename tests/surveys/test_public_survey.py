"""The open survey link: validation of every question kind, errors that keep answers, wave states."""

import re

import pytest
from django.test import Client

from surveys.models import Answer, Question, Response
from tests.factories import add_question, make_survey, make_wave

pytestmark = pytest.mark.django_db


def valid_post(questions) -> dict:
    """A complete, valid set of answers to the every_kind survey."""
    single = questions["single"].choices.first()
    email, chat, _ = questions["multiple"].choices.all()
    return {
        f"q{questions['rating_5'].pk}": "4",
        f"q{questions['rating_7'].pk}": "6",
        f"q{questions['scale_10'].pk}": "9",
        f"q{questions['single'].pk}": str(single.pk),
        f"q{questions['multiple'].pk}": [str(email.pk), str(chat.pk)],
        f"q{questions['text'].pk}": "More self-service, please.",
    }


def test_survey_page_shows_every_question_with_a_fieldset_per_scale(client, every_kind):
    """Each scale and choice question is a fieldset with a legend; free text has a label."""
    survey, _, questions = every_kind
    page = client.get(f"/s/{survey.slug}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<fieldset") == 5
    assert html.count("<legend>") == 5
    assert re.search(rf'<label[^>]* for="id_q{questions["text"].pk}"', html), "free text has a label"
    assert "Strongly disagree" in html  # spoken labels on the 1–5 agreement scale


def test_valid_answers_store_one_response_with_typed_answers(client, every_kind):
    survey, wave, questions = every_kind
    page = client.post(f"/s/{survey.slug}/", valid_post(questions))
    assert page.status_code == 302
    assert page["Location"] == f"/s/{survey.slug}/thanks/"
    response = Response.objects.get()
    assert response.wave == wave
    answers = Answer.objects.filter(response=response)
    assert answers.get(question=questions["rating_5"]).number == 4
    assert answers.get(question=questions["rating_7"]).number == 6
    assert answers.get(question=questions["scale_10"]).number == 9
    assert answers.get(question=questions["single"]).choice.label == "Laptop"
    assert sorted(a.choice.label for a in answers.filter(question=questions["multiple"])) == ["Chat", "Email"]
    assert answers.get(question=questions["text"]).text == "More self-service, please."


def test_optional_questions_may_be_left_blank(client, every_kind):
    survey, _, questions = every_kind
    data = {
        f"q{questions['scale_10'].pk}": "0",
        f"q{questions['single'].pk}": str(questions["single"].choices.last().pk),
    }
    assert client.post(f"/s/{survey.slug}/", data).status_code == 302
    assert Answer.objects.count() == 2


def test_department_is_optional_and_stored_when_given(client, every_kind):
    survey, _, questions = every_kind
    from perception.models import Department

    sales = Department.objects.get(name="Sales")
    client.post(f"/s/{survey.slug}/", valid_post(questions) | {"department": str(sales.pk)})
    Client().post(f"/s/{survey.slug}/", valid_post(questions) | {"department": ""})  # another browser
    assert [r.department for r in Response.objects.order_by("id")] == [sales, None]


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("rating_5", "6", "Choose a whole number from 1 to 5."),
        ("rating_5", "0", "Choose a whole number from 1 to 5."),
        ("rating_7", "8", "Choose a whole number from 1 to 7."),
        ("rating_7", "3.5", "Choose a whole number from 1 to 7."),
        ("scale_10", "11", "Choose a whole number from 0 to 10."),
        ("scale_10", "-1", "Choose a whole number from 0 to 10."),
        ("scale_10", "ten", "Choose a whole number from 0 to 10."),
        ("single", "999999", "That is not one of the options; choose from the list."),
        ("multiple", "999999", "That is not one of the options; choose from the list."),
    ],
)
def test_out_of_range_or_tampered_values_are_refused_with_a_message(client, every_kind, kind, value, message):
    """A 400 with the error in the summary; nothing stored."""
    survey, _, questions = every_kind
    data = valid_post(questions) | {f"q{questions[kind].pk}": value}
    page = client.post(f"/s/{survey.slug}/", data)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert Response.objects.count() == 0


def test_choice_from_another_question_is_refused(client, every_kind):
    """A choice id that exists, but belongs to a different question, is still tampering."""
    survey, _, questions = every_kind
    foreign = questions["multiple"].choices.first()
    page = client.post(
        f"/s/{survey.slug}/", valid_post(questions) | {f"q{questions['single'].pk}": str(foreign.pk)}
    )
    assert page.status_code == 400
    assert Response.objects.count() == 0


def test_text_over_5000_characters_is_refused(client, every_kind):
    survey, _, questions = every_kind
    data = valid_post(questions) | {f"q{questions['text'].pk}": "x" * 5001}
    page = client.post(f"/s/{survey.slug}/", data)
    assert page.status_code == 400
    assert "Keep your answer to 5000 characters (it has 5001)." in page.content.decode()
    assert Response.objects.count() == 0


def test_text_of_exactly_5000_characters_is_accepted(client, every_kind):
    survey, _, questions = every_kind
    data = valid_post(questions) | {f"q{questions['text'].pk}": "x" * 5000}
    assert client.post(f"/s/{survey.slug}/", data).status_code == 302


def test_missing_required_answers_are_listed_in_a_linked_error_summary(client, every_kind):
    survey, _, questions = every_kind
    data = valid_post(questions)
    del data[f"q{questions['scale_10'].pk}"]
    del data[f"q{questions['single'].pk}"]
    page = client.post(f"/s/{survey.slug}/", data)
    html = page.content.decode()
    assert page.status_code == 400
    assert "There are problems with your answers" in html
    assert f'href="#id_q{questions["scale_10"].pk}_0"' in html
    assert f'id="id_q{questions["scale_10"].pk}_0"' in html  # the link target exists
    assert "Choose a number from 0 to 10." in html
    assert f'href="#id_q{questions["single"].pk}_0"' in html
    assert Response.objects.count() == 0


def test_answers_are_kept_after_an_error(client, every_kind):
    """What the person already chose and typed is still there when the form comes back."""
    survey, _, questions = every_kind
    data = valid_post(questions) | {f"q{questions['rating_7'].pk}": "99"}
    html = client.post(f"/s/{survey.slug}/", data).content.decode()
    rating = questions["rating_5"].pk
    assert f'name="q{rating}" id="id_q{rating}_3" value="4" checked' in html
    chosen = questions["multiple"].choices.first().pk
    assert f'value="{chosen}" checked' in html
    assert "More self-service, please.</textarea>" in html


def test_free_text_is_escaped_when_shown_again(client, every_kind):
    survey, _, questions = every_kind
    data = valid_post(questions) | {
        f"q{questions['text'].pk}": "<script>alert(1)</script>",
        f"q{questions['rating_7'].pk}": "99",
    }
    html = client.post(f"/s/{survey.slug}/", data).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("state", "status", "words"), [("closed", 410, "closed on"), ("upcoming", 403, "not open yet")]
)
def test_a_wave_that_is_not_open_shows_a_page_not_a_form(client, state, status, words):
    survey = make_survey()
    add_question(survey, Question.RATING_5)
    make_wave(survey, state)
    for method in (client.get, client.post):
        page = method(f"/s/{survey.slug}/")
        assert page.status_code == status
        assert words in page.content.decode()
        assert '<form method="post" novalidate>' not in page.content.decode()
    assert Response.objects.count() == 0


def test_a_survey_without_waves_is_not_running(client, db):
    survey = make_survey()
    page = client.get(f"/s/{survey.slug}/")
    assert page.status_code == 404
    assert "not running at the moment" in page.content.decode()


def test_an_open_wave_wins_over_closed_and_upcoming_ones(client, db):
    survey = make_survey()
    add_question(survey, Question.RATING_5)
    make_wave(survey, "closed")
    make_wave(survey, "upcoming")
    current = make_wave(survey, "open")
    client.post(f"/s/{survey.slug}/", {f"q{survey.questions.get().pk}": "3"})
    assert Response.objects.get().wave == current


def test_unknown_slug_is_a_friendly_404(client, db):
    page = client.get("/s/no-such-survey/")
    assert page.status_code == 404
    assert "Page not found" in page.content.decode()


def test_wave_audience_limits_the_department_choices(client, every_kind):
    from perception.models import Department

    survey, wave, _ = every_kind
    wave.audience.add(Department.objects.get(name="Sales"))
    html = client.get(f"/s/{survey.slug}/").content.decode()
    assert ">Sales</option>" in html
    assert ">Finance</option>" not in html


def test_only_this_waves_audience_may_be_picked_and_no_audience_offers_every_department(every_kind):
    """Another wave's audience changes nothing here; a department outside the audience is
    refused with nothing stored; with no audience every department is offered, by name."""
    from perception.models import Department

    survey, wave, questions = every_kind
    finance, sales = Department.objects.get(name="Finance"), Department.objects.get(name="Sales")
    other = make_wave(survey, "closed", label="Earlier")
    other.audience.add(finance)
    Department.objects.create(name="Accounts")
    html = Client().get(f"/s/{survey.slug}/").content.decode()
    assert html.index(">Accounts</option>") < html.index(">Finance</option>") < html.index(">Sales</option>")
    wave.audience.add(sales)
    refused = Client().post(f"/s/{survey.slug}/", valid_post(questions) | {"department": str(finance.pk)})
    assert refused.status_code == 400 and Response.objects.count() == 0
    taken = Client().post(f"/s/{survey.slug}/", valid_post(questions) | {"department": str(sales.pk)})
    assert taken.status_code == 302 and Response.objects.get().department == sales


def test_csrf_is_enforced_on_the_public_form(every_kind):
    """A post without the CSRF token is refused and stores nothing."""
    survey, _, questions = every_kind
    client = Client(enforce_csrf_checks=True)
    page = client.post(f"/s/{survey.slug}/", valid_post(questions))
    assert page.status_code == 403
    assert Response.objects.count() == 0
    # With the token from the page, the same answers go through.
    client.get(f"/s/{survey.slug}/")
    token = client.cookies["csrftoken"].value
    page = client.post(f"/s/{survey.slug}/", valid_post(questions) | {"csrfmiddlewaretoken": token})
    assert page.status_code == 302
    assert Response.objects.count() == 1


def test_thank_you_page(client, every_kind):
    survey, _, _ = every_kind
    page = client.get(f"/s/{survey.slug}/thanks/")
    assert page.status_code == 200
    assert "Thank you" in page.content.decode()


def test_an_empty_submission_is_refused(client, every_kind):
    survey = make_survey(slug="all-optional")
    question = add_question(survey, Question.RATING_5)
    make_wave(survey)
    page = client.post(f"/s/{survey.slug}/", {f"q{question.pk}": ""})
    assert page.status_code == 400
    assert "Answer at least one question before sending." in page.content.decode()
    assert Response.objects.count() == 0
