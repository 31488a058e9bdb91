"""Open-link padding is limited: one answer per browser per wave (unless kiosk mode), a
burst limit per client address, and departments picked there marked self-reported."""

import pickle

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from perception.models import Department
from surveys import services
from surveys.models import Question, Response
from surveys.throttle import burst_cache_key
from tests.factories import add_question, make_survey, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_survey():
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    add_question(survey, Question.TEXT, text="Anything else?")
    wave = make_wave(survey)
    return survey, wave, question


def answer(client, survey, question, value="4", **extra):
    return client.post(f"/s/{survey.slug}/", {f"q{question.pk}": value}, **extra)


def test_a_second_submission_from_the_same_browser_is_refused_and_stores_nothing(client, open_survey):
    survey, _, question = open_survey
    assert answer(client, survey, question).status_code == 302
    again = answer(client, survey, question, "1")
    assert again.status_code == 409
    assert "You have already answered" in again.content.decode()
    assert Response.objects.count() == 1
    revisit = client.get(f"/s/{survey.slug}/")
    assert revisit.status_code == 200
    assert "You have already answered" in revisit.content.decode()
    assert '<form method="post"' not in revisit.content.decode()


def test_the_answered_cookie_is_signed_scoped_to_the_survey_and_names_only_the_wave(client, open_survey):
    survey, wave, question = open_survey
    page = answer(client, survey, question)
    cookie = page.cookies["answered"]
    assert cookie["path"] == f"/s/{survey.slug}/"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["expires"]
    assert cookie.value.split(":")[0] == str(wave.pk)


def test_an_unsigned_cookie_is_ignored(open_survey):
    survey, wave, question = open_survey
    browser = Client()
    browser.cookies["answered"] = str(wave.pk)  # unsigned
    assert answer(browser, survey, question).status_code == 302


def test_another_browser_may_answer(open_survey):
    survey, _, question = open_survey
    assert answer(Client(), survey, question).status_code == 302
    assert answer(Client(), survey, question).status_code == 302
    assert Response.objects.count() == 2


def test_a_new_wave_may_be_answered_from_the_same_browser(client, open_survey):
    survey, wave, question = open_survey
    answer(client, survey, question)
    wave.delete()
    make_wave(survey, label="next wave")
    assert answer(client, survey, question).status_code == 302


def test_kiosk_mode_lets_one_shared_device_answer_many_times(client, open_survey):
    survey, _, question = open_survey
    survey.kiosk_mode = True
    survey.save()
    for _ in range(3):
        assert answer(client, survey, question).status_code == 302
    assert Response.objects.count() == 3
    assert client.get(f"/s/{survey.slug}/").status_code == 200


@override_settings(OPEN_LINK_BURST_LIMIT=100, OPEN_LINK_BURST_WINDOW_SECONDS=600)
def test_the_101st_submission_from_one_address_gets_429_and_another_address_is_fine(open_survey):
    survey, _, question = open_survey
    survey.kiosk_mode = True  # one shared address, as in an office, and no cookie check
    survey.save()
    office = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(100):
        assert answer(office, survey, question).status_code == 302
    text = {f"q{question.pk}": "2", f"q{question.pk + 1}": "My typed comment"}
    flooded = office.post(f"/s/{survey.slug}/", text)
    assert flooded.status_code == 429
    assert flooded["Retry-After"] == "600"
    html = flooded.content.decode()
    assert "Please try again later" in html
    assert "My typed comment</textarea>" in html  # nothing typed is lost
    assert Response.objects.count() == 100
    assert answer(Client(REMOTE_ADDR="198.51.100.8"), survey, question).status_code == 302
    assert Response.objects.count() == 101


@override_settings(OPEN_LINK_BURST_LIMIT=2)
def test_the_cache_holds_no_raw_address(open_survey):
    survey, _, question = open_survey
    answer(Client(REMOTE_ADDR="203.0.113.99"), survey, question)
    stored = b"".join(
        key.encode() + pickle.dumps(value)
        for key, value in cache._cache.items()  # LocMemCache
    )
    assert b"203.0.113.99" not in stored
    assert cache.get(burst_cache_key("203.0.113.99")) == 1


@override_settings(OPEN_LINK_BURST_LIMIT=1)
def test_invalid_answers_do_not_count_towards_the_limit(open_survey):
    survey, _, question = open_survey
    office = Client(REMOTE_ADDR="198.51.100.7")
    assert answer(office, survey, question, "99").status_code == 400
    assert answer(office, survey, question).status_code == 302


@override_settings(OPEN_LINK_BURST_LIMIT=1, TRUSTED_PROXY_HOPS=1)
def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(open_survey):
    survey, _, question = open_survey
    survey.kiosk_mode = True
    survey.save()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = answer(Client(), survey, question, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert first.status_code == 302
    # Same client behind the proxy, with a forged leftmost entry: still the same address.
    again = answer(Client(), survey, question, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7", **proxy)
    assert again.status_code == 429
    # Another client behind the same proxy is fine.
    other = answer(Client(), survey, question, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)
    assert other.status_code == 302


def test_a_department_picked_on_the_open_link_is_marked_self_reported(client, open_survey):
    survey, _, question = open_survey
    sales = Department.objects.create(name="Sales")
    client.post(f"/s/{survey.slug}/", {f"q{question.pk}": "4", "department": str(sales.pk)})
    response = Response.objects.get()
    assert response.department == sales and response.department_self_reported


def test_no_department_on_the_open_link_is_not_marked_self_reported(client, open_survey):
    survey, _, question = open_survey
    answer(client, survey, question)
    assert Response.objects.get().department_self_reported is False


def test_a_personal_link_takes_the_department_from_the_invitation(client, open_survey):
    """The form does not ask, a tampered department is ignored, and a department People
    gives this person is verified (not self-reported)."""
    from conversations.models import Person

    _, wave, question = open_survey
    finance, sales = Department.objects.create(name="Finance"), Department.objects.create(name="Sales")
    Person.objects.create(name="Ana", email="Ana@example.org", department=finance)
    issued = services.invitation_issue(wave=wave, email="ana@example.org", department=finance)
    page = client.get(f"/s/i/{issued.token}/")
    assert 'name="department"' not in page.content.decode()
    client.post(f"/s/i/{issued.token}/", {f"q{question.pk}": "4", "department": str(sales.pk)})
    response = Response.objects.get()
    assert response.department == finance
    assert response.department_self_reported is False


def test_a_department_people_does_not_give_counts_as_self_reported(client, open_survey):
    """A manager who types departments into an invitation list could pad one with
    addresses of their own (the attacker's finding): such a department needs 2k."""
    _, wave, question = open_survey
    legal = Department.objects.create(name="Legal")
    issued = services.invitation_issue(wave=wave, email="me1@attacker.example", department=legal)
    client.post(f"/s/i/{issued.token}/", {f"q{question.pk}": "5"})
    response = Response.objects.get()
    assert response.department == legal and response.department_self_reported is True


def test_a_personal_link_without_a_department_still_asks_and_the_answer_is_self_reported(client, open_survey):
    _, wave, question = open_survey
    sales = Department.objects.create(name="Sales")
    issued = services.invitation_issue(wave=wave, email="ana@example.org")
    assert 'name="department"' in client.get(f"/s/i/{issued.token}/").content.decode()
    client.post(f"/s/i/{issued.token}/", {f"q{question.pk}": "4", "department": str(sales.pk)})
    response = Response.objects.get()
    assert response.department == sales and response.department_self_reported is True
