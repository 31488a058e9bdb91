"""The coding queue at scale: filtered by survey and wave, imported comments under their
own survey, skips that can be undone, several comments coded at once."""

from datetime import timedelta

import pytest
from django.urls import reverse

from perception.models import Theme
from reports import disclosure
from surveys import services
from surveys.models import Answer, Question, Response
from tests.factories import add_question, add_response, make_departments, make_survey, make_user, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(client):
    user = make_user("listener", "Listeners")
    client.force_login(user)
    return user


def comments(survey, wave, count: int, prefix: str, department=None) -> list[Answer]:
    question = survey.questions.filter(kind=Question.TEXT).first() or add_question(survey, Question.TEXT)
    for i in range(count):
        add_response(wave, {question: f"{prefix} {i}"}, department=department)
    return list(Answer.objects.filter(response__wave=wave, question=question).order_by("id"))


@pytest.fixture
def live_and_imported():
    """A live pulse survey with 5 comments and an imported survey with 30, from 2019."""
    (finance,) = make_departments("Finance")
    live = make_survey(slug="pulse", title="Pulse")
    comments(live, make_wave(live, label="This month"), 5, "Live comment", department=finance)
    old = make_survey(slug="old-export", title="Old export")
    wave = make_wave(old, "closed", label="2019")
    wave.opens -= timedelta(days=2000)
    wave.save()
    comments(old, wave, 30, "Imported comment")
    Response.objects.filter(wave=wave).update(source=Response.IMPORT)
    return live, old


def page_text(client, url: str, **params) -> str:
    page = client.get(url, params)
    assert page.status_code == 200, page.content
    return page.content.decode()


def test_the_default_queue_is_the_live_survey_with_the_counts_of_every_survey(
    client, listener, live_and_imported
):
    """Imported comments wait under their own survey; they are not mixed into the live queue."""
    body = page_text(client, reverse("surveys:coding"))
    assert "Live comment 0" in body and "Imported comment" not in body
    assert "5 comments waiting" in body
    assert "Pulse (5 waiting)" in body and "Old export (30 waiting)" in body


def test_filter_by_survey_and_wave_with_a_plain_get_form(client, listener, live_and_imported):
    _, old = live_and_imported
    body = page_text(client, reverse("surveys:coding"), survey="old-export")
    assert "Imported comment 0" in body and "Live comment" not in body and "30 comments waiting" in body
    extra = make_wave(old, "closed", label="2020")
    comments(old, extra, 5, "Later comment")
    disclosure.ensure_published(old)  # pages check for new waves at most every 30 seconds
    body = page_text(client, reverse("surveys:coding"), survey="old-export", wave=extra.pk)
    assert "Later comment 0" in body and "5 comments waiting in 2020" in body
    assert 'method="get"' in body


def test_the_queue_shows_only_the_comment_and_its_wave_never_department_or_identity(
    client, listener, live_and_imported
):
    body = page_text(client, reverse("surveys:coding"), survey="pulse")
    bulk = page_text(client, reverse("surveys:coding_bulk"), survey="pulse")
    for page in (body, bulk):
        main = page.split("<main")[1]
        assert "Finance" not in main and "department" not in main.lower()
        for key in Response.objects.values_list("respondent_key", flat=True):
            assert key not in page


def test_comments_of_waves_too_small_to_show_are_never_listed(client, listener):
    survey = make_survey(slug="tiny")
    comments(survey, make_wave(survey, label="Tiny"), survey.group_threshold() - 1, "Lonely")
    assert "Lonely" not in page_text(client, reverse("surveys:coding"), survey="tiny")
    assert "Lonely" not in page_text(client, reverse("surveys:coding_bulk"), survey="tiny")


def test_a_skip_can_be_undone_at_once(client, listener, live_and_imported):
    first = Answer.objects.awaiting_coding().in_survey(live_and_imported[0]).first()
    page = client.post(reverse("surveys:coding"), {"survey": "pulse", "answer": first.pk, "action": "skip"})
    assert page.status_code == 302
    after = client.get(page["Location"]).content.decode()
    assert "Skipped: nothing to code" in after and ">Undo</button>" in after
    page = client.post(reverse("surveys:coding_unskip"), {"survey": "pulse", "answer": first.pk})
    assert page.status_code == 302
    first.refresh_from_db()
    assert first.reviewed_at is None
    assert client.get(page["Location"]).context["answer"] == first, "the comment brought back is shown"


def test_the_last_skipped_comments_are_listed_and_can_be_brought_back(client, listener, live_and_imported):
    live, _ = live_and_imported
    skipped = list(Answer.objects.awaiting_coding().in_survey(live)[:2])
    for answer in skipped:
        services.answer_code(answer=answer, themes=[])
    body = page_text(client, reverse("surveys:coding"), survey="pulse")
    assert "Recently skipped" in body and "Live comment 0" in body and "Live comment 1" in body
    client.post(reverse("surveys:coding_unskip"), {"survey": "pulse", "answer": skipped[1].pk})
    assert Answer.objects.awaiting_coding().in_survey(live).count() == 4


def test_answer_unskip_leaves_a_coded_comment_coded():
    survey = make_survey()
    (answer,) = comments(survey, make_wave(survey), 1, "Wi-Fi")
    services.answer_code(answer=answer, themes=[Theme.objects.create(name="Wi-Fi")])
    with pytest.raises(services.NotSkipped):
        services.answer_unskip(answer=answer)
    answer.refresh_from_db()
    assert answer.reviewed_at is not None and answer.themes.count() == 1


def test_several_comments_are_coded_at_once(client, listener, live_and_imported):
    _, old = live_and_imported
    wifi = Theme.objects.create(name="Wi-Fi")
    page = client.get(reverse("surveys:coding_bulk"), {"survey": "old-export"})
    listed = list(page.context["page"].object_list)
    assert len(listed) == 25 and page.context["page"].paginator.num_pages == 2
    ticked = listed[:3]
    page = client.post(
        reverse("surveys:coding_bulk"),
        {
            "survey": "old-export",
            "answers": [a.pk for a in ticked],
            "themes": [wifi.pk],
            "new_theme": "Printers",
        },
    )
    assert page.status_code == 302
    for answer in ticked:
        assert sorted(t.name for t in answer.themes.all()) == ["Printers", "Wi-Fi"]
    assert Answer.objects.awaiting_coding().in_survey(old).count() == 27
    second = client.get(reverse("surveys:coding_bulk"), {"survey": "old-export", "page": 2})
    assert len(second.context["page"].object_list) == 2


def test_answers_code_codes_every_comment_in_one_call():
    survey = make_survey()
    answers = comments(survey, make_wave(survey), 5, "Slow")
    slow = Theme.objects.create(name="Slow")
    assert services.answers_code(answers=answers[:4], themes=[slow]) == 4
    assert Answer.objects.filter(themes=slow).count() == 4
    assert list(Answer.objects.awaiting_coding()) == [answers[4]]


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("surveys:coding_bulk", {"survey": "pulse", "answers": ["abc"]}),
        ("surveys:coding_bulk", {"survey": "pulse", "answers": ["999999"]}),
        ("surveys:coding_bulk", {"survey": "pulse", "answers": ["imported"]}),
        ("surveys:coding", {"survey": "pulse", "answer": "imported", "action": "skip"}),
        ("surveys:coding", {"survey": "no-such-survey", "answer": "1", "action": "skip"}),
        ("surveys:coding_unskip", {"survey": "pulse", "answer": "live"}),  # never skipped
        ("surveys:coding_unskip", {"survey": "pulse", "answer": "1.5"}),
    ],
)
def test_bad_ids_are_a_400_with_a_message(client, listener, live_and_imported, url, data):
    """Unknown ids, ids of another survey's comments and non-numbers are refused, nothing coded."""
    live, old = live_and_imported
    ids = {
        "imported": str(Answer.objects.awaiting_coding().in_survey(old).first().pk),
        "live": str(Answer.objects.awaiting_coding().in_survey(live).first().pk),
    }
    data = {
        k: [ids.get(v, v) for v in value] if isinstance(value, list) else ids.get(value, value)
        for k, value in data.items()
    }
    page = client.post(reverse(url), data)
    assert page.status_code == 400
    assert "reload the page" in page.content.decode() or "choose one from the list" in page.content.decode()
    assert Answer.objects.filter(reviewed_at__isnull=False).count() == 0


@pytest.mark.parametrize("query", [{"survey": "nope"}, {"survey": "pulse", "wave": "abc"}, {"wave": "1"}])
def test_an_unknown_survey_or_wave_in_the_filter_is_a_400(client, listener, live_and_imported, query):
    _, old = live_and_imported
    if query.get("wave") == "1":
        query = {"survey": "pulse", "wave": str(old.waves.get().pk)}  # another survey's wave
    for name in ("surveys:coding", "surveys:coding_bulk"):
        page = client.get(reverse(name), query)
        message = page.content.decode()
        assert page.status_code == 400
        assert "choose one from the list" in message or "reload the page" in message


# -- Only comments whose authors the published figures count ---------------------------------


def queued_texts() -> set[str]:
    return set(Answer.objects.awaiting_coding().values_list("text", flat=True))


def test_a_comment_waits_for_its_author_to_be_published_and_the_left_out_never_come(client, listener):
    """Coding a comment whose author the figures never count, and watching the theme's count
    stay put, would tell that the author is one of the few a closed wave left out: such
    comments are never offered, not even by naming them in a request."""

    survey = make_survey(slug="remainder")
    wave = make_wave(survey)
    first = comments(survey, wave, 5, "First")
    disclosure.ensure_published(survey)
    late = [a for a in comments(survey, wave, 2, "Late") if a.text.startswith("Late")]  # fewer than a batch
    assert queued_texts() == {a.text for a in first}
    wave.closes = wave.opens + timedelta(hours=2)
    wave.save()
    disclosure.ensure_published(survey)  # final: the two are left out for good
    assert disclosure.published_respondents(wave) == 5
    assert queued_texts() == {a.text for a in first}
    body = page_text(client, reverse("surveys:coding"), survey="remainder")
    assert "5 comments waiting" in body and "Late" not in body
    theme = Theme.objects.create(name="Printers")
    refused = client.post(
        reverse("surveys:coding"), {"survey": "remainder", "answer": late[0].pk, "themes": [theme.pk]}
    )
    assert refused.status_code == 400
    assert not late[0].themes.exists()


def test_open_link_comments_wait_for_the_wave_to_close(client, listener):
    survey = make_survey(slug="open-link")
    wave = make_wave(survey)
    question = add_question(survey, Question.TEXT)
    for i in range(6):
        add_response(wave, {question: f"Open {i}"}, source=Response.WEB)
    disclosure.ensure_published(survey)
    assert queued_texts() == set()
    body = page_text(client, reverse("surveys:coding"))
    assert "All caught up" in body and "once its author is counted in the published figures" in body
    wave.closes = wave.opens + timedelta(hours=2)
    wave.save()
    disclosure.ensure_published(survey)
    assert queued_texts() == {f"Open {i}" for i in range(6)}


def test_a_batch_under_way_joins_the_queue_when_it_is_published(client, listener):
    survey = make_survey(slug="batches")
    wave = make_wave(survey)
    comments(survey, wave, 5, "One")
    disclosure.publish_survey(survey)
    comments(survey, wave, 3, "Two")
    disclosure.publish_survey(survey)  # three new: not yet a batch
    assert len(queued_texts()) == 5
    comments(survey, wave, 2, "Three")
    disclosure.publish_survey(survey)  # five new: published together
    assert len(queued_texts()) == 10


def test_no_comment_is_offered_while_its_waves_total_is_hidden(client, listener):
    """Fewer than k people counted: the wave's figures are hidden and its respondents are
    published one at a time, so offering their comments as each is published would follow
    single people (here three personal-link answers beside two open-link ones, which
    wait for the wave to close)."""
    survey = make_survey(slug="few")
    wave = make_wave(survey)
    question = add_question(survey, Question.TEXT)
    for i in range(3):
        add_response(wave, {question: f"Personal {i}"})
    for i in range(2):
        add_response(wave, {question: f"Open {i}"}, source=Response.WEB)
    disclosure.publish_survey(survey)
    assert disclosure.published_respondents(wave) is None
    assert queued_texts() == set()
    for i in range(2):
        add_response(wave, {question: f"More {i}"})
    disclosure.publish_survey(survey)  # five counted: the total is shown
    assert disclosure.published_respondents(wave) == 5
    assert queued_texts() == {"Personal 0", "Personal 1", "Personal 2", "More 0", "More 1"}
