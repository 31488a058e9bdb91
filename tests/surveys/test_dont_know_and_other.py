"""The respondent page's "don't know" option on ratings and "other — please say what"
on choice questions: what is stored, what the figures see, what comes back on an error."""

import re

import pytest
from django.test import Client

from reports import disclosure
from surveys import services
from surveys.models import Answer, Choice, Question, RespondentScore, Response
from tests.factories import add_question, make_survey, make_wave

pytestmark = pytest.mark.django_db

DONT_KNOW = Question.DONT_KNOW


@pytest.fixture
def rated():
    """An open survey with a two-item dimension whose first item is required and offers
    "Not applicable", and an item of another dimension."""
    survey = make_survey(slug="ratings", ask_department=False)
    wave = make_wave(survey)
    first = add_question(
        survey,
        Question.RATING_5,
        "The laptop works",
        dimension="Kit",
        required=True,
        dont_know_label="Not applicable",
    )
    second = add_question(survey, Question.RATING_5, "The phone works", dimension="Kit")
    third = add_question(survey, Question.RATING_5, "Help comes fast", dimension="Help")
    return survey, wave, (first, second, third)


@pytest.fixture
def choices():
    """An open survey with a single and a multiple choice question, each with an "Other"."""
    survey = make_survey(slug="choices", ask_department=False)
    wave = make_wave(survey)
    single = add_question(
        survey, Question.SINGLE, "Your main device", choices=["Laptop", "Desktop"], required=True
    )
    Choice.objects.create(question=single, order=9, label="Other", is_other=True)
    multiple = add_question(survey, Question.MULTIPLE, "Ways you ask for help", choices=["Email", "Chat"])
    Choice.objects.create(question=multiple, order=9, label="Something else", is_other=True)
    rating = add_question(survey, Question.RATING_5, "IT helps me work")
    return survey, wave, (single, multiple, rating)


def test_dont_know_is_the_last_option_of_the_scale_in_the_same_fieldset(client, rated):
    """The option sits after the points, inside the question's fieldset, with its own label."""
    survey, _, (first, second, _) = rated
    html = client.get(f"/s/{survey.slug}/").content.decode()
    fieldset = re.search(
        rf"<fieldset[^>]*>(?:(?!</fieldset>).)*name=\"q{first.pk}\".*?</fieldset>", html, re.S
    )
    assert fieldset is not None
    radios = re.findall(
        rf'<input class="btn-check" type="radio" name="q{first.pk}" id="([^"]+)" value="([^"]+)"',
        fieldset.group(0),
    )
    assert [value for _, value in radios] == ["1", "2", "3", "4", "5", DONT_KNOW]
    assert (
        f'<label class="btn btn-outline-secondary" for="id_q{first.pk}_dont_know">Not applicable</label>'
        in html
    )
    assert f'id="id_q{second.pk}_dont_know"' not in html, "only questions with a label offer it"


def test_dont_know_satisfies_a_required_question_and_stores_no_number(client, rated):
    survey, _, (first, second, third) = rated
    page = client.post(
        f"/s/{survey.slug}/", {f"q{first.pk}": DONT_KNOW, f"q{second.pk}": "4", f"q{third.pk}": "2"}
    )
    assert page.status_code == 302
    response = Response.objects.get()
    assert not Answer.objects.filter(response=response, question=first).exists()
    assert sorted(Answer.objects.filter(response=response).values_list("number", flat=True)) == [2.0, 4.0]
    scores = RespondentScore.objects.get(response=response).scores
    assert f"question:{first.pk}" not in scores
    assert scores["dimension:Kit"] == 4.0, (
        "the dimension is the mean of the items answered, the don't-know left out"
    )


def test_only_dont_know_answers_are_still_a_response(client, rated):
    """Someone who answers "don't know" has answered: not refused as an empty form."""
    survey, _, (first, _, _) = rated
    assert client.post(f"/s/{survey.slug}/", {f"q{first.pk}": DONT_KNOW}).status_code == 302
    assert Answer.objects.count() == 0 and Response.objects.count() == 1


def test_required_message_names_the_dont_know_option(client, rated):
    survey, _, (_first, second, _) = rated
    page = client.post(f"/s/{survey.slug}/", {f"q{second.pk}": "4"})
    assert page.status_code == 400
    assert "Choose a number from 1 to 5, or “Not applicable”." in page.content.decode()


def test_dont_know_on_a_question_without_the_option_is_refused(client, rated):
    survey, _, (first, second, _) = rated
    page = client.post(f"/s/{survey.slug}/", {f"q{first.pk}": "3", f"q{second.pk}": DONT_KNOW})
    assert page.status_code == 400
    assert Response.objects.count() == 0


def test_dont_know_is_kept_when_the_form_comes_back(client, rated):
    survey, _, (first, _, third) = rated
    html = client.post(
        f"/s/{survey.slug}/", {f"q{first.pk}": DONT_KNOW, f"q{third.pk}": "9"}
    ).content.decode()
    assert f'id="id_q{first.pk}_dont_know" value="{DONT_KNOW}" checked' in html


def _figures(survey, wave):
    """Every published-to-be figure of the wave but the respondent count: who is a member of
    each measure and with which score."""
    states = disclosure.live_states(survey, [wave.pk], final={wave.pk})[wave.pk]
    return {measure: members for measure, members in states.items() if measure != disclosure.RESPONDENTS}


def test_a_dont_know_moves_no_figure_and_no_n_of_its_dimension(rated):
    """Six people answer everything; a seventh says "don't know" to one Kit item. Every
    figure — items, dimensions, overall — and every n is what it was without the seventh
    (the family rule counts a don't-know like a skip), and exactly as if they had skipped."""
    survey, wave, (first, second, third) = rated
    for score in (1, 2, 3, 4, 5, 5):
        services.response_submit(wave=wave, answers={first: score, second: score, third: score})
    before = _figures(survey, wave)
    dont_know = services.response_submit(wave=wave, answers={first: DONT_KNOW, second: 5, third: 1})
    with_dont_know = _figures(survey, wave)
    assert {m: v for m, v in with_dont_know.items() if m in before} == before
    assert not any(dont_know.pk in members for members in with_dont_know.values() if members), (
        "in no measure of a dimension family"
    )
    dont_know_scores = RespondentScore.objects.get(response=dont_know).scores
    dont_know.delete()
    skipped = services.response_submit(wave=wave, answers={first: None, second: 5, third: 1})
    assert RespondentScore.objects.get(response=skipped).scores == dont_know_scores
    as_skip = _figures(survey, wave)
    assert {m: v for m, v in as_skip.items() if m in before} == before


def test_other_words_are_stored_on_the_other_answer(client, choices):
    survey, _, (single, multiple, _) = choices
    other = single.choices.get(is_other=True)
    chat, something = multiple.choices.get(label="Chat"), multiple.choices.get(is_other=True)
    page = client.post(
        f"/s/{survey.slug}/",
        {
            f"q{single.pk}": str(other.pk),
            f"q{single.pk}_other": "  A tablet  ",
            f"q{multiple.pk}": [str(chat.pk), str(something.pk)],
            f"q{multiple.pk}_other": "Walking over",
        },
    )
    assert page.status_code == 302
    assert Answer.objects.get(question=single).text == "A tablet"
    assert dict(Answer.objects.filter(question=multiple).values_list("choice__label", "text")) == {
        "Chat": "",
        "Something else": "Walking over",
    }


def test_other_box_has_a_label_tied_to_it(client, choices):
    survey, _, (single, _, _) = choices
    html = client.get(f"/s/{survey.slug}/").content.decode()
    assert re.search(rf'<label class="form-label mb-1" for="id_q{single.pk}_other">Please say what', html)
    assert (
        f'<input class="form-control" type="text" id="id_q{single.pk}_other" name="q{single.pk}_other"'
        in html
    )


def test_other_words_are_kept_escaped_when_the_form_comes_back(client, choices):
    survey, _, (single, _, rating) = choices
    other = single.choices.get(is_other=True)
    data = {
        f"q{single.pk}": str(other.pk),
        f"q{single.pk}_other": '<script>alert(1)</script>"',
        f"q{rating.pk}": "99",
    }
    page = client.post(f"/s/{survey.slug}/", data)
    html = page.content.decode()
    assert page.status_code == 400
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;"' in html
    assert "<script>alert(1)" not in html
    assert Response.objects.count() == 0


def test_words_for_other_without_choosing_other_are_not_dropped_silently(client, choices):
    """Without JavaScript the box is always there: words typed beside another option come
    back with a message, not lost and not stored against the wrong option."""
    survey, _, (single, _, _) = choices
    laptop = single.choices.get(label="Laptop")
    page = client.post(
        f"/s/{survey.slug}/", {f"q{single.pk}": str(laptop.pk), f"q{single.pk}_other": "A tablet"}
    )
    html = page.content.decode()
    assert page.status_code == 400
    assert "You wrote what “Other” is: also choose “Other”, or empty the box." in html
    assert f'href="#id_q{single.pk}_other"' in html
    assert 'value="A tablet"' in html
    assert Response.objects.count() == 0


def test_other_words_beyond_the_limit_are_refused(client, choices):
    survey, _, (single, _, _) = choices
    other = single.choices.get(is_other=True)
    page = client.post(
        f"/s/{survey.slug}/", {f"q{single.pk}": str(other.pk), f"q{single.pk}_other": "x" * 201}
    )
    assert page.status_code == 400
    assert "Keep your answer to 200 characters (it has 201)." in page.content.decode()


def test_other_without_words_is_a_plain_choice(client, choices):
    survey, _, (single, _, _) = choices
    other = single.choices.get(is_other=True)
    assert client.post(f"/s/{survey.slug}/", {f"q{single.pk}": str(other.pk)}).status_code == 302
    assert Answer.objects.get().choice == other and Answer.objects.get().text == ""


def test_other_words_stay_out_of_the_coding_queue(choices):
    """Only free-text questions are coded; "other" words are kept and exported, not queued."""
    _survey, wave, (single, _, _) = choices
    other = single.choices.get(is_other=True)
    for _ in range(6):
        services.response_submit(wave=wave, answers={single: other}, other_texts={single: "A tablet"})
    assert Answer.objects.exclude(text="").count() == 6
    assert not Answer.objects.awaiting_coding().exists()


def test_a_personal_link_draft_keeps_the_other_words(db):
    """Saving to finish later keeps "other" words too (pseudonymous drafts on the server)."""
    from surveys.models import Survey

    survey = make_survey(slug="drafts", anonymity=Survey.PSEUDONYMOUS, ask_department=False)
    wave = make_wave(survey)
    single = add_question(survey, Question.SINGLE, "Device", choices=["Laptop"])
    other = Choice.objects.create(question=single, order=9, label="Other", is_other=True)
    issued = services.invitation_issue(wave=wave, email="a@example.org")
    link = f"/s/i/{issued.token}/"
    client = Client()
    client.post(link, {f"q{single.pk}": str(other.pk), f"q{single.pk}_other": "A tablet", "action": "save"})
    assert 'value="A tablet"' in client.get(link).content.decode()


def test_the_new_words_are_translated(client, choices, rated):
    """The box's label and the messages read in the respondent's language."""
    survey, _, (single, _, _) = choices
    laptop = single.choices.get(label="Laptop")
    html = client.post(
        f"/s/{survey.slug}/?lang=es", {f"q{single.pk}": str(laptop.pk), f"q{single.pk}_other": "Una tableta"}
    ).content.decode()
    assert "Indique cuál" in html
    assert "Ha escrito qué es «Other»" in html
    rated_survey, _, (_first, second, _) = rated
    page = Client().post(f"/s/{rated_survey.slug}/?lang=fr", {f"q{second.pk}": "4"})
    assert "Choisissez un nombre de 1 à 5, ou « Not applicable »." in page.content.decode()


def test_other_words_are_in_the_raw_export():
    """The words travel with their option into the raw responses download."""
    from reports.queries import raw_responses

    survey = make_survey(slug="exported", ask_department=False)
    wave = make_wave(survey, state="closed")
    single = add_question(survey, Question.SINGLE, "Your main device", choices=["Laptop"])
    other = Choice.objects.create(question=single, order=9, label="Other", is_other=True)
    for _ in range(6):
        services.response_submit(
            wave=wave, answers={single: other}, other_texts={single: "=A tablet"}, source=Response.LINK
        )
    header, rows = raw_responses(survey)
    column = header.index("Your main device")
    assert [row[column] for row in rows] == ["Other: =A tablet"] * 6


def test_an_edited_question_is_never_served_from_an_older_drawing(client, rated):
    """The fresh form's questions are kept in the cache; a change of wording, of a label or
    of an option shows on the very next visit."""
    survey, _, (first, _, _) = rated
    assert "The laptop works" in client.get(f"/s/{survey.slug}/").content.decode()
    assert "The laptop works" in Client().get(f"/s/{survey.slug}/").content.decode()
    Question.objects.filter(pk=first.pk).update(
        text="The laptop <b>works</b> well", dont_know_label="No laptop"
    )
    html = Client().get(f"/s/{survey.slug}/").content.decode()
    assert "The laptop &lt;b&gt;works&lt;/b&gt; well" in html and ">No laptop</label>" in html
    assert "Not applicable" not in html


def test_the_kept_drawing_is_per_language(client, rated):
    survey, _, _ = rated
    english = client.get(f"/s/{survey.slug}/").content.decode()
    spanish = client.get(f"/s/{survey.slug}/?lang=es").content.decode()
    assert "Strongly agree" in english and "Strongly agree" not in spanish
