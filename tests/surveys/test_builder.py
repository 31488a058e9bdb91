"""The survey builder: publish checks, versions of answered questions, order, ownership,
waves by date, the QR code and the preview."""

import io
from datetime import datetime, time

import pytest
import segno
from defusedxml import ElementTree
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from reports import queries
from surveys import services
from surveys.models import Answer, Choice, Question, Response, Survey, Wave
from tests.factories import add_question, add_response, make_past_waves, make_survey, make_user, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = make_user("manager", "Managers")
    client.force_login(user)
    return user


@pytest.fixture
def draft(manager):
    return services.survey_create(
        title="IT pulse", intro="Tell us", anonymity=Survey.ANONYMOUS, min_group_size=5, owner=manager
    )


def edit_data(question: Question, **changes) -> dict:
    """The question form as the builder fills it for ``question``, with some changes."""
    from surveys.builder_forms import QuestionForm

    data = {k: ("" if v is None else v) for k, v in QuestionForm.initial_for(question).items()}
    data |= changes
    return {k: v for k, v in data.items() if v is not False}


def builder(slug: str) -> str:
    return f"/surveys/{slug}/"


# -- Creating a survey ---------------------------------------------------------------------


def test_a_new_survey_is_a_draft_owned_by_its_creator(client, manager):
    page = client.post(
        "/surveys/new/", {"title": "IT pulse", "intro": "", "anonymity": "anonymous", "min_group_size": 5}
    )
    survey = Survey.objects.get(title="IT pulse")
    assert page["Location"] == builder(survey.slug)
    assert survey.draft and list(survey.owners.all()) == [manager]


def test_the_minimum_group_size_cannot_go_below_the_site_minimum(client, manager):
    page = client.post(
        "/surveys/new/",
        {"title": "IT pulse", "intro": "Hi", "anonymity": "pseudonymous", "min_group_size": 2},
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "site minimum" in text and 'value="IT pulse"' in text
    assert not Survey.objects.filter(title="IT pulse").exists()


def test_every_mode_is_explained_where_it_is_chosen(client, manager):
    text = client.get("/surveys/new/").content.decode()
    assert "Nothing links an answer to a person" in text
    assert "coded key" in text
    assert "email address" in text


def test_the_list_shows_no_live_response_counts_and_helps_when_empty(client, manager, draft):
    other = make_user("other", "Managers")
    client.force_login(other)
    assert "No surveys yet" in client.get("/surveys/").content.decode()
    client.force_login(manager)
    wave = make_wave(draft)
    add_response(wave, {})
    text = client.get("/surveys/").content.decode()
    assert "IT pulse" in text and "Dashboard" in text
    assert "1 response" not in text


def test_a_long_list_of_surveys_comes_in_pages(client, manager):
    """25 a page in title order; a page number that is not one shows a page, never an error."""
    for number in range(27):
        make_survey(slug=f"s{number:02}", title=f"Survey {number:02}").owners.add(manager)
    first = client.get("/surveys/").content.decode()
    assert "Survey 24" in first and "Survey 25" not in first
    assert "Page 1 of 2" in first and "page=2" in first
    second = client.get("/surveys/?page=2").content.decode()
    assert "Survey 25" in second and "Survey 26" in second and "Survey 00" not in second
    for hostile in ("abc", "-1", "999"):
        assert client.get(f"/surveys/?page={hostile}").status_code == 200


def test_once_answered_the_promise_cannot_change_and_the_threshold_only_rises(client, draft):
    draft.min_group_size = 7
    draft.save()
    add_response(make_wave(draft), {})
    settings_page = f"/surveys/{draft.slug}/settings/"
    fields = {"title": "IT pulse", "intro": "", "anonymity": "identified", "min_group_size": 6}
    page = client.post(settings_page, fields)
    assert page.status_code == 400
    text = page.content.decode()
    assert "cannot change" in text and "can only be raised" in text
    draft.refresh_from_db()
    assert (draft.anonymity, draft.min_group_size) == (Survey.ANONYMOUS, 7)
    assert (
        client.post(settings_page, fields | {"anonymity": "anonymous", "min_group_size": 8}).status_code
        == 302
    )


# -- Publish checks ------------------------------------------------------------------------


def test_an_empty_survey_cannot_be_published(client, draft):
    page = client.post(f"/surveys/{draft.slug}/publish/")
    assert page.status_code == 400
    assert "Add at least one question" in page.content.decode()
    draft.refresh_from_db()
    assert draft.draft


def test_publish_names_each_missing_piece_and_links_to_its_question(client, draft):
    no_options = add_question(draft, Question.SINGLE, text="Which device?")
    no_scale = add_question(draft, Question.RATING, text="How fast?")
    no_ends = add_question(draft, Question.SCALE_10, text="Recommend?")
    page = client.post(f"/surveys/{draft.slug}/publish/")
    assert page.status_code == 400
    text = page.content.decode()
    for question, words in [
        (no_options, "needs at least two options"),
        (no_scale, "rating without its scale"),
        (no_ends, "needs labels for both ends"),
    ]:
        link = f'href="/surveys/{draft.slug}/questions/{question.pk}/"'
        assert link in text and words in text, words
    draft.refresh_from_db()
    assert draft.draft


def test_a_complete_survey_is_published(client, draft):
    add_question(draft, Question.RATING_5, text="IT is reliable")
    add_question(draft, Question.SINGLE, text="Device", choices=["Laptop", "Desktop"])
    assert client.post(f"/surveys/{draft.slug}/publish/").status_code == 302
    draft.refresh_from_db()
    assert not draft.draft


def test_a_published_survey_shows_what_its_live_form_is_missing(client, draft):
    add_question(draft, Question.RATING_5, text="IT is reliable")
    services.survey_publish(survey=draft)
    question = add_question(draft, Question.MULTIPLE, text="Which tools?")
    text = client.get(builder(draft.slug)).content.decode()
    assert "The live form needs attention" in text
    assert f'href="/surveys/{draft.slug}/questions/{question.pk}/"' in text


def test_a_draft_answers_nothing_on_its_open_link(client, draft):
    add_question(draft, Question.RATING_5)
    make_wave(draft)
    assert client.get(f"/s/{draft.slug}/").status_code == 404


# -- Questions: add, edit, version, order, remove -----------------------------------------------


def test_a_question_is_added_with_a_preset_scale_and_a_new_dimension(client, draft):
    page = client.post(
        f"/surveys/{draft.slug}/questions/new/",
        {
            "text": "I am satisfied with the laptop",
            "kind": "rating",
            "scale_preset": "satisfied5",
            "dimension": "__new__",
            "new_dimension": "Devices",
            "favourable_from": "4",
        },
    )
    assert page.status_code == 302
    question = draft.questions.get()
    assert (question.scale, question.dimension, question.favourable_from) == ((1, 5), "Devices", 4)
    assert question.point_labels()[5] == "Very satisfied"


def test_a_bad_question_says_what_to_fix_and_keeps_what_was_typed(client, draft):
    page = client.post(
        f"/surveys/{draft.slug}/questions/new/",
        {"text": "Which tools?", "kind": "multiple", "choices": "Email\nemail", "dimension": ""},
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "Each option must differ" in text and "Which tools?" in text
    assert not draft.questions.exists()


def test_choices_get_an_other_option_listed_last(client, draft):
    client.post(
        f"/surveys/{draft.slug}/questions/new/",
        {"text": "Device", "kind": "single", "choices": "Laptop\nDesktop", "other_label": "Other"},
    )
    question = draft.questions.get()
    assert [(c.label, c.is_other) for c in question.choices.all()] == [
        ("Laptop", False),
        ("Desktop", False),
        ("Other", True),
    ]


def test_an_unanswered_question_changes_in_place(client, draft):
    question = add_question(draft, Question.RATING_5, text="IT is quik")
    page = client.post(
        f"/surveys/{draft.slug}/questions/{question.pk}/", edit_data(question, text="IT is quick")
    )
    assert page.status_code == 302
    question.refresh_from_db()
    assert question.text == "IT is quick" and draft.questions.count() == 1


def test_rewording_an_answered_question_warns_then_makes_a_version_in_the_same_series(client, draft):
    question = add_question(draft, Question.RATING_5, text="IT is quik")
    wave = make_wave(draft)
    add_response(wave, {question: 4})
    data = edit_data(question, text="IT is quick")
    warning = client.post(f"/surveys/{draft.slug}/questions/{question.pk}/", data)
    assert warning.status_code == 409
    text = warning.content.decode()
    assert "Saving makes a new version" in text and "one series" in text
    assert draft.questions.count() == 1  # nothing saved before the confirmation

    saved = client.post(f"/surveys/{draft.slug}/questions/{question.pk}/", data | {"confirm": "wording"})
    assert saved.status_code == 302
    question.refresh_from_db()
    new = draft.questions.get(retired=False)
    assert question.retired and question.text == "IT is quik"
    assert Answer.objects.get().question == question  # the old answer stays with the old wording
    assert new.text == "IT is quick" and new.lineage == question and new.series == question.series

    draft.draft = False
    draft.save()
    form = client.get(f"/s/{draft.slug}/").content.decode()
    assert "IT is quick" in form and "IT is quik" not in form


def test_changing_the_scoring_of_an_answered_question_starts_a_new_measure(client, draft):
    question = add_question(draft, Question.RATING_5, text="IT is reliable")
    add_response(make_wave(draft), {question: 4})
    data = edit_data(question, reverse_scored="on")
    warning = client.post(f"/surveys/{draft.slug}/questions/{question.pk}/", data)
    text = warning.content.decode()
    assert "starts a new measure" in text and "earlier answers stay under the old one" in text
    client.post(f"/surveys/{draft.slug}/questions/{question.pk}/", data | {"confirm": "scoring"})
    new = draft.questions.get(retired=False)
    assert new.reverse_scored and new.lineage is None and new.series != question.series


def test_a_confirmation_for_a_wording_change_does_not_cover_a_scoring_change(client, draft):
    question = add_question(draft, Question.RATING_5, text="IT is reliable")
    add_response(make_wave(draft), {question: 4})
    data = edit_data(question, kind="rating_7", scale_preset="agree7", confirm="wording")
    assert client.post(f"/surveys/{draft.slug}/questions/{question.pk}/", data).status_code == 409
    assert draft.questions.count() == 1
    assert (
        client.post(
            f"/surveys/{draft.slug}/questions/{question.pk}/", data | {"confirm": "scoring"}
        ).status_code
        == 302
    )
    assert draft.questions.get(retired=False).scale == (1, 7)


def test_a_preset_that_contradicts_the_kind_is_named(client, draft):
    page = client.post(
        f"/surveys/{draft.slug}/questions/new/",
        {"text": "Quick?", "kind": "rating_5", "scale_preset": "likely10"},
    )
    assert page.status_code == 400 and "but the kind is 1–5" in page.content.decode()


def test_removing_an_answered_question_retires_it_and_an_unanswered_one_goes(client, draft):
    answered = add_question(draft, Question.RATING_5, text="Answered")
    unanswered = add_question(draft, Question.RATING_5, text="Unanswered")
    add_response(make_wave(draft), {answered: 3})
    for question in (answered, unanswered):
        assert client.post(f"/surveys/{draft.slug}/questions/{question.pk}/remove/").status_code == 302
    assert list(draft.questions.values_list("text", "retired")) == [("Answered", True)]
    assert Answer.objects.count() == 1


def test_up_and_down_buttons_reorder_the_form(client, draft):
    first, _, third = (add_question(draft, Question.TEXT, text=t) for t in ("A", "B", "C"))
    client.post(f"/surveys/{draft.slug}/questions/{third.pk}/move/", {"direction": "up"})
    client.post(f"/surveys/{draft.slug}/questions/{first.pk}/move/", {"direction": "up"})  # already first
    order = list(draft.questions.filter(retired=False).order_by("order").values_list("text", flat=True))
    assert order == ["A", "C", "B"]
    client.post(f"/surveys/{draft.slug}/questions/{first.pk}/move/", {"direction": "down"})
    order = list(draft.questions.filter(retired=False).order_by("order").values_list("text", flat=True))
    assert order == ["C", "A", "B"]
    assert (
        client.post(f"/surveys/{draft.slug}/questions/{first.pk}/move/", {"direction": "x"}).status_code
        == 400
    )


# -- Ownership -------------------------------------------------------------------------------


def test_another_manager_can_neither_see_nor_change_the_survey(client, draft):
    question = add_question(draft, Question.RATING_5, text="Mine")
    client.force_login(make_user("other", "Managers"))
    assert client.get(builder(draft.slug)).status_code == 404
    assert (
        client.post(
            f"/surveys/{draft.slug}/questions/{question.pk}/", edit_data(question, text="Theirs")
        ).status_code
        == 404
    )
    assert (
        client.post(f"/surveys/{draft.slug}/questions/{question.pk}/move/", {"direction": "up"}).status_code
        == 404
    )
    assert client.post(f"/surveys/{draft.slug}/publish/").status_code == 404
    assert "IT pulse" not in client.get("/surveys/").content.decode()
    question.refresh_from_db()
    assert question.text == "Mine"


def test_an_owner_shares_a_survey_with_another_manager(client, draft, manager):
    colleague = make_user("colleague", "Managers")
    make_user("viewer", "Viewers")
    page = client.get(builder(draft.slug)).content.decode()
    assert "colleague" in page and ">viewer<" not in page
    assert client.post(f"/surveys/{draft.slug}/share/", {"user": colleague.pk}).status_code == 302
    client.force_login(colleague)
    assert client.get(builder(draft.slug)).status_code == 200


# -- Preview -----------------------------------------------------------------------------------


def test_the_preview_is_the_real_form_and_stores_nothing(client, draft):
    question = add_question(draft, Question.RATING_5, text="IT is reliable", required=True)
    page = client.get(f"/surveys/{draft.slug}/preview/").content.decode()
    assert "Preview:" in page and "IT is reliable" in page and "Your privacy" in page
    sent = client.post(f"/surveys/{draft.slug}/preview/", {f"q{question.pk}": "4"})
    assert sent.status_code == 200 and "Nothing was stored" in sent.content.decode()
    missing = client.post(f"/surveys/{draft.slug}/preview/", {})
    assert missing.status_code == 400
    assert not Response.objects.exists()


# -- Waves, link, QR code and flyer --------------------------------------------------------------


def published(draft) -> Survey:
    add_question(draft, Question.RATING_5)
    services.survey_publish(survey=draft)
    return draft


@override_settings(TIME_ZONE="Europe/Madrid")
def test_a_wave_runs_from_the_start_of_its_first_day_to_the_end_of_its_last(client, draft):
    survey = published(draft)
    page = client.post(
        f"/surveys/{survey.slug}/waves/new/",
        {"label": "Spring", "opens": "2026-04-01", "closes": "2026-04-14"},
    )
    wave = Wave.objects.get()
    assert page["Location"] == f"/surveys/{survey.slug}/waves/{wave.pk}/"
    opens, closes = timezone.localtime(wave.opens), timezone.localtime(wave.closes)
    assert str(opens.tzinfo) == "Europe/Madrid"
    assert (opens.date().isoformat(), opens.time()) == ("2026-04-01", time(0, 0))
    assert (closes.date().isoformat(), closes.time()) == ("2026-04-14", time(23, 59, 59))


def test_a_wave_that_closes_before_it_opens_is_refused(client, draft):
    survey = published(draft)
    page = client.post(
        f"/surveys/{survey.slug}/waves/new/",
        {"label": "Spring", "opens": "2026-04-14", "closes": "2026-04-01"},
    )
    assert page.status_code == 400 and "cannot be before" in page.content.decode()
    assert not Wave.objects.exists()


@override_settings(TIME_ZONE="Europe/Madrid")
def test_the_new_wave_page_names_the_time_zone_of_its_days(client, draft):
    text = client.get(f"/surveys/{published(draft).slug}/waves/new/").content.decode()
    assert "end of its last day (Europe/Madrid time)" in text


def test_a_draft_gets_no_wave(client, draft):
    page = client.post(
        f"/surveys/{draft.slug}/waves/new/",
        {"label": "Spring", "opens": "2026-04-01", "closes": "2026-04-14"},
    )
    assert page.status_code == 409 and not Wave.objects.exists()


def test_the_wave_page_shows_the_open_link_to_select_and_copy(client, draft):
    wave = make_wave(published(draft))
    text = client.get(f"/surveys/{draft.slug}/waves/{wave.pk}/").content.decode()
    link = f"{settings.SITE_URL}/s/{draft.slug}/"
    assert f'value="{link}" readonly' in text
    assert "copy-link" in text and "builder.js" in text and "<script>" not in text


def test_the_qr_code_is_svg_made_from_the_open_link(client, draft):
    wave = make_wave(published(draft))
    answer = client.get(f"/surveys/{draft.slug}/waves/{wave.pk}/qr.svg")
    assert answer["Content-Type"] == "image/svg+xml"
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"

    def made_from(url: str) -> bytes:
        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, title=f"QR code for {url}")
        return out.getvalue()

    assert answer.content == made_from(f"{settings.SITE_URL}/s/{draft.slug}/")
    assert answer.content != made_from(f"{settings.SITE_URL}/s/other/")


def test_the_flyer_has_the_title_link_closing_date_qr_and_privacy_promise(client, draft):
    survey = published(draft)
    wave = services.wave_create(
        survey=survey, label="Spring", opens=datetime(2026, 4, 1).date(), closes=datetime(2026, 4, 14).date()
    )
    text = client.get(f"/surveys/{survey.slug}/waves/{wave.pk}/flyer/").content.decode()
    assert "IT pulse" in text and f"{settings.SITE_URL}/s/{survey.slug}/" in text
    assert "14 April 2026" in text and "qr.svg" in text and "anonymous" in text


# -- Versions in the analysis ----------------------------------------------------------------------


def _answer_wave(wave: Wave, question: Question, values) -> None:
    for value in values:
        add_response(wave, {question: value})


def test_a_reworded_question_is_one_series_across_waves():
    survey = make_survey()
    first = add_question(survey, Question.RATING_5, text="IT is quik")
    spring, autumn = make_past_waves(survey, ["Spring", "Autumn"])
    _answer_wave(spring, first, [4, 4, 5, 3, 4])
    spec = services.QuestionSpec(kind=Question.RATING_5, text="IT is quick", scale_labels=())
    second = services.question_save(survey=survey, spec=spec, question=first).question
    _answer_wave(autumn, second, [2, 2, 3, 1, 2])

    data = queries.survey_data(survey)
    keys = [m.key for m in data.measures if m.kind == "question"]
    assert keys == [f"question:{first.pk}"]
    assert [m.label for m in data.measures if m.kind == "question"] == ["IT is quick"]
    waves = data.scores[data.scores["measure"] == keys[0]].groupby("wave")["count"].sum().to_dict()
    assert waves == {"Spring": 5, "Autumn": 5}


def test_a_rescored_question_starts_a_second_measure():
    survey = make_survey()
    first = add_question(survey, Question.RATING_5, text="IT is slow")
    spring, autumn = make_past_waves(survey, ["Spring", "Autumn"])
    _answer_wave(spring, first, [4, 4, 5, 3, 4])
    spec = services.QuestionSpec(kind=Question.RATING_5, text="IT is slow", reverse_scored=True)
    second = services.question_save(survey=survey, spec=spec, question=first).question
    _answer_wave(autumn, second, [2, 2, 3, 1, 2])

    data = queries.survey_data(survey)
    assert [m.key for m in data.measures if m.kind == "question"] == [
        f"question:{first.pk}",
        f"question:{second.pk}",
    ]


def test_a_reworded_choice_question_keeps_its_option_measures():
    survey = make_survey()
    first = add_question(survey, Question.SINGLE, text="Device", choices=["Laptop", "Desktop"])
    before = [m.key for m in queries.choice_measures(list(survey.questions.all()))]
    spec = services.QuestionSpec(kind=Question.SINGLE, text="Your device", choices=("Laptop", "Desktop PC"))
    add_response(make_wave(survey), {})
    Answer.objects.create(response=Response.objects.get(), question=first, choice=Choice.objects.first())
    services.question_save(survey=survey, spec=spec, question=first)
    after = queries.choice_measures(list(survey.questions.all()))
    assert [m.key for m in after] == before
    assert [m.option for m in after] == ["Laptop", "Desktop PC"]
