"""A respondent answers a Spanish survey on a phone from start to finish, and can switch
language with a plain link."""

import pytest

from surveys.models import Answer, Question
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import add_question, make_departments, make_survey, make_wave

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def encuesta():
    make_departments("Finanzas", "Ventas")
    survey = make_survey(slug="encuesta", title="¿Qué tal lo hace Informática?", language="es")
    make_wave(survey)
    add_question(survey, Question.RATING_5, text="Me ayudan con rapidez", required=True)
    add_question(survey, Question.TEXT, text="¿Qué deberíamos cambiar?")
    return survey


def test_a_respondent_completes_a_survey_in_spanish(live_server, phone_page, encuesta):
    page = phone_page
    page.goto(f"{live_server.url}/s/encuesta/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_text("Su privacidad").is_visible()
    page.get_by_role("button", name="Enviar mis respuestas").click()
    assert page.get_by_text("Hay un problema con sus respuestas").is_visible()
    assert page.get_by_role("link", name="Me ayudan con rapidez — Elija un número del 1 al 5.").is_visible()
    screenshot(page, "survey-spanish-error-phone")
    assert_accessible(page)
    page.locator(".scale label").nth(3).click()  # 4: "De acuerdo"
    page.get_by_label("¿Qué deberíamos cambiar?").fill("Más autoservicio")
    page.get_by_label("¿En qué departamento trabaja?").select_option(label="Ventas")
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_url(f"{live_server.url}/s/encuesta/thanks/")
    assert page.get_by_role("heading", name="Gracias").is_visible()
    screenshot(page, "survey-spanish-thanks-phone")
    assert_accessible(page)
    assert Answer.objects.get(question__kind=Question.TEXT).text == "Más autoservicio"


def test_the_language_switcher_is_a_plain_link(live_server, browser, encuesta):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/encuesta/")
    page.get_by_role("link", name="Français").click()
    assert page.get_by_role("button", name="Envoyer mes réponses").is_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, "survey-french-phone")
    context.close()
