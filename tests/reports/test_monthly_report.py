"""The monthly report: short, steady, exactly once a month, nothing from small groups."""

import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from conversations.models import Action
from perception.models import SiteSettings
from reports import monthly
from reports.models import MonthlyReport, ReportSettings, ServiceMetric
from surveys.models import Question, Wave
from tests.factories import add_question, add_response, make_survey, make_user

CONTACT = "Service Desk · help@example.org · 0123 456"


def at(year, month, day, hour=8):
    return time_machine.travel(datetime(year, month, day, hour, tzinfo=UTC), tick=False)


def wave(survey, label, opens: date, weeks=4) -> Wave:
    start = datetime(opens.year, opens.month, opens.day, 9, tzinfo=UTC)
    return Wave.objects.create(survey=survey, label=label, opens=start, closes=start + timedelta(weeks=weeks))


def answer_wave(target: Wave, questions, values, count):
    for index in range(count):
        rating, recommend = values(index)
        add_response(
            target,
            {q: rating for q in questions[:-1]} | {questions[-1]: recommend},
            submitted=target.opens + timedelta(days=1, minutes=index),
        )


@pytest.fixture
def org(db):
    """Q3 (40 people, middling) and Q4 (40 people, clearly better), settings for the report."""
    cache.clear()
    survey = make_survey(slug="it-service-test")
    items = [add_question(survey, Question.RATING_5, dimension=d) for d in ("Reliability", "Communication")]
    recommend = add_question(survey, Question.SCALE_10, likelihood_to_recommend=True)
    questions = [*items, recommend]
    answer_wave(wave(survey, "2026 Q3", date(2026, 7, 6)), questions, lambda i: (2 + i % 3, 5 + i % 4), 40)
    answer_wave(wave(survey, "2026 Q4", date(2026, 10, 5)), questions, lambda i: (4 + i % 2, 8 + i % 3), 40)
    SiteSettings.objects.create(organisation_name="Northwind", it_team_name="IT")
    ReportSettings.objects.create(
        survey=survey,
        metrics=["overall", "net_score", "people_heard"],
        recipients="all-staff@example.org",
        contact_name="Service Desk",
        contact_email="help@example.org",
        contact_phone="0123 456",
        send_day=3,
    )
    return {"survey": survey, "questions": questions}


def run(*args) -> str:
    out = StringIO()
    call_command("send_monthly_report", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_sends_last_months_report_on_the_send_day_exactly_once(org):
    with at(2026, 11, 2):
        assert "Not due yet" in run()
        assert mail.outbox == []
    with at(2026, 11, 3):
        assert "Sent the report for October 2026" in run()
        assert "already been sent" in run()
    with at(2026, 11, 20):
        assert "already been sent" in run()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject.startswith("IT in October: satisfaction 4.5 of 5, up from 3.0")
    assert message.to == ["all-staff@example.org"]
    body = message.body
    assert body.startswith(
        "Our latest survey (2026 Q4, October–November 2026) compared with the one before (July–August 2026):"
    ), "the period is named by the wave it covers, compared with the previous wave"
    assert "Satisfaction averages 4.5 out of 5 from 40 people (very likely 4.3 to 4.7), up from 3.0." in body
    assert "Net score* +65 from 40 people (very likely +45 to +76), up from −50." in body
    assert "*Net score: % who would recommend us (9–10 of 10) minus % who would not (0–6)." in body
    assert "We heard from 40 people in October (0 in September)." in body
    assert len(body.split()) <= 120
    assert "IT exists to support your work." in body
    assert "Reply to this email to tell us what would help, or contact " + CONTACT in body
    html = message.alternatives[0][0]
    assert "IT exists to support your work." in html and CONTACT in html
    report = MonthlyReport.objects.get()
    assert (report.period, report.status) == (date(2026, 10, 1), MonthlyReport.SENT)


@pytest.mark.django_db
def test_across_the_year_end_december_goes_out_in_january(org):
    with at(2026, 12, 3):
        run()  # November
    with at(2027, 1, 2):
        assert "Not due yet" in run()
    with at(2027, 1, 3):
        assert "Sent the report for December 2026" in run()
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["IT in November", "IT in December"]
    assert list(MonthlyReport.objects.order_by("period").values_list("period", flat=True)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
    ]


@pytest.mark.django_db
def test_across_a_month_end_the_due_month_moves_on(org):
    with at(2026, 11, 30, 23):
        run()
    with at(2026, 12, 1, 0):
        assert "Not due yet" in run()  # November's report waits for the 3rd
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["IT in October"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_one_email(org):
    barrier = threading.Barrier(2)
    outcomes = []

    def send():
        try:
            barrier.wait(timeout=10)
            monthly.report_send(period=date(2026, 10, 1))
            outcomes.append("sent")
        except monthly.AlreadySent:
            outcomes.append("already")
        finally:
            connection.close()

    with at(2026, 11, 3):
        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(outcomes) == ["already", "sent"]
    assert len(mail.outbox) == 1
    assert MonthlyReport.objects.count() == 1


@pytest.mark.django_db
def test_nothing_from_a_group_smaller_than_k(org):
    """A November wave with only 3 people: the report keeps using Q4, never those three."""
    survey, questions = org["survey"], org["questions"]
    small = wave(survey, "2026 Nov pulse", date(2026, 11, 2))
    answer_wave(small, questions, lambda i: (1, 0), 3)
    with at(2026, 12, 3):
        run()
    body = mail.outbox[0].body
    assert "Nov pulse" not in body and "2026 Q4" in body
    assert "1.0 of 5" not in body and "-100" not in body


@pytest.mark.django_db
def test_a_change_that_is_not_significant_is_about_the_same(org):
    """Same answers in both waves: no up or down, just about the same."""
    survey, questions = org["survey"], org["questions"]
    answer_wave(wave(survey, "2027 Q1", date(2027, 1, 4)), questions, lambda i: (4 + i % 2, 8 + i % 3), 40)
    with at(2027, 2, 3):
        run()
    assert "satisfaction 4.5 of 5, about the same" in mail.outbox[0].subject
    body = mail.outbox[0].body
    assert "Our latest survey (2027 Q1, January–February 2027) compared with the one before" in body
    assert "out of 5 from 40 people (very likely 4.3 to 4.7), about the same as before (4.5)." in body


@pytest.mark.django_db
def test_what_we_changed_lists_actions_completed_that_month(org):
    Action.objects.create(title="Weekly note before updates", status="done", done_on=date(2026, 10, 12))
    Action.objects.create(title="Done in September", status="done", done_on=date(2026, 9, 12))
    with at(2026, 11, 3):
        run()
    body = mail.outbox[0].body
    assert "What we changed because you told us: Weekly note before updates." in body
    assert "Done in September" not in body


@pytest.mark.django_db
def test_many_long_actions_still_keep_the_body_within_120_words(org):
    for index in range(15):
        Action.objects.create(
            title=f"A long description of change number {index} that took a while", done_on=date(2026, 10, 2)
        )
    with at(2026, 11, 3):
        run()
    assert len(mail.outbox[0].body.split()) <= 120


@pytest.mark.django_db
def test_service_metrics_and_counts_show_the_month_before(org):
    ServiceMetric.objects.create(month=date(2026, 10, 1), name="First-contact resolution", value=71, unit="%")
    ServiceMetric.objects.create(month=date(2026, 9, 1), name="First-contact resolution", value=65, unit="%")
    settings = ReportSettings.load()
    settings.metrics = ["service:First-contact resolution", "people_heard"]
    settings.save()
    with at(2026, 11, 3):
        run()
    message = mail.outbox[0]
    assert message.subject == "IT in October: First-contact resolution 71%"
    assert message.body.startswith("In October: First-contact resolution: 71% in October (65% in September).")
    assert "We heard from 40 people in October (0 in September)." in message.body


@pytest.mark.django_db
def test_dry_run_prints_the_email_and_sends_nothing(org):
    with at(2026, 11, 3):
        output = run("--dry-run")
    assert "Subject: IT in October: satisfaction" in output
    assert "IT exists to support your work." in output
    assert mail.outbox == [] and MonthlyReport.objects.count() == 0


@pytest.mark.django_db
def test_explicit_month_and_bad_month(org):
    with at(2026, 11, 1):
        assert "Sent the report for October 2026" in run("--month", "2026-10")
    with pytest.raises(CommandError, match=r"--month must be a month as YYYY-MM, not '2026-13'\."):
        run("--month", "2026-13")


@pytest.mark.django_db
def test_missing_recipients_is_a_clear_error(org):
    ReportSettings.objects.filter(pk=1).update(recipients="")
    with at(2026, 11, 3), pytest.raises(CommandError, match="No recipients"):
        run()
    assert MonthlyReport.objects.count() == 0


@pytest.mark.django_db
def test_a_failed_send_is_recorded_and_retried(org, settings):
    settings.EMAIL_BACKEND = "tests.reports.failing_backend.EmailBackend"
    with at(2026, 11, 3), pytest.raises(CommandError, match="Sending failed"):
        run()
    assert MonthlyReport.objects.get().status == MonthlyReport.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with at(2026, 11, 4):
        assert "Sent the report" in run()
    assert MonthlyReport.objects.get().status == MonthlyReport.SENT


@pytest.fixture
def manager(client, db):
    client.force_login(make_user("manager", "Managers"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "metrics", [["overall"], ["overall", "net_score", "people_heard", "actions_completed"]]
)
def test_settings_with_fewer_than_two_or_more_than_three_metrics_are_refused(manager, org, metrics):
    page = manager.post(
        reverse("reports:monthly_settings"),
        {"survey": org["survey"].pk, "metrics": metrics, "recipients": "all@example.org", "send_day": "3"},
    )
    assert page.status_code == 400
    assert f"Choose two or three metrics; you chose {len(metrics)}." in page.content.decode()
    assert ReportSettings.load().metrics == ["overall", "net_score", "people_heard"]


@pytest.mark.django_db
def test_preview_shows_exactly_what_will_be_sent_and_send_needs_confirmation(manager, org):
    with at(2026, 11, 3):
        preview = manager.get(reverse("reports:monthly"))
        composition = preview.context["composition"]
        assert composition.subject in preview.content.decode()
        confirm = manager.get(reverse("reports:monthly_send"))
        assert "Yes, send it" in confirm.content.decode() and mail.outbox == []
        manager.post(reverse("reports:monthly_send"))
    assert mail.outbox[0].subject == composition.subject
    history = manager.get(reverse("reports:monthly_history")).content.decode()
    assert composition.subject in history


@pytest.mark.django_db
def test_monthly_pages_need_the_manager_role(client, org):
    client.force_login(make_user("viewer", "Viewers"))
    for name in ("monthly", "monthly_send", "monthly_history", "monthly_settings", "service_metrics"):
        assert client.get(reverse(f"reports:{name}")).status_code == 403


@pytest.mark.django_db
def test_dashboard_and_home_warn_while_last_months_report_is_missing(manager, org):
    with at(2026, 11, 4):
        assert "has not gone out yet" in manager.get(reverse("reports:home")).content.decode()
        assert "has not gone out yet" in manager.get(reverse("reports:dashboard")).content.decode()
        run()
        assert "has not gone out yet" not in manager.get(reverse("reports:home")).content.decode()


@pytest.mark.django_db
def test_preview_html_is_the_sent_html_but_for_where_the_chart_comes_from(manager, org):
    """The preview shows the chart as a data: URI; the email carries it inline as cid:."""
    with at(2026, 11, 3):
        preview = manager.get(reverse("reports:monthly")).context["email_html"]
        run()
    sent = mail.outbox[0].alternatives[0][0]
    assert "cid:inline-image" in sent and "data:image/png;base64," in preview
    data_uri = preview[preview.index("data:image/png") :].split('"')[0]
    assert preview.replace(data_uri, "cid:inline-image") == sent


@pytest.mark.django_db
def test_preview_page_shows_subject_html_text_and_footer(manager, org):
    with at(2026, 11, 3):
        page = manager.get(reverse("reports:monthly")).content.decode()
    assert "IT in October: satisfaction 4.5 of 5, up from 3.0" in page
    assert "srcdoc=" in page and "Northwind · IT" in page, "the HTML part with its footer"
    assert "The plain-text part" in page


@pytest.mark.django_db
def test_a_test_send_goes_only_to_the_signed_in_user_and_records_nothing(client, org):
    user = make_user("boss", "Managers")
    user.email = "boss@example.org"
    user.save()
    client.force_login(user)
    with at(2026, 11, 3):
        assert client.get(reverse("reports:monthly_test")).status_code == 405, "sending needs a POST"
        answer = client.post(reverse("reports:monthly_test"), follow=True)
    assert [m.to for m in mail.outbox] == [["boss@example.org"]]
    assert mail.outbox[0].cc == [] and mail.outbox[0].bcc == []
    assert mail.outbox[0].subject.startswith("IT in October: satisfaction")
    assert "A test was sent to boss@example.org only" in answer.content.decode()
    assert MonthlyReport.objects.count() == 0, "the month is still to be sent"


@pytest.mark.django_db
def test_a_test_send_without_an_email_address_says_so(manager, org):
    from django.contrib.auth.models import User

    User.objects.filter(username="manager").update(email="")
    with at(2026, 11, 3):
        answer = manager.post(reverse("reports:monthly_test"), follow=True)
    assert "Your account has no email address" in answer.content.decode()
    assert mail.outbox == []


@pytest.mark.django_db
def test_history_opens_the_exact_email_that_was_sent(manager, org):
    with at(2026, 11, 3):
        run()
    report = MonthlyReport.objects.get()
    history = manager.get(reverse("reports:monthly_history")).content.decode()
    assert reverse("reports:monthly_report", args=[report.pk]) in history
    page = manager.get(reverse("reports:monthly_report", args=[report.pk]))
    sent = mail.outbox[0]
    assert page.context["email_html"] == monthly.viewable_html(
        sent.alternatives[0][0], sent.attachments[0].get_payload(decode=True)
    )
    assert sent.subject in page.content.decode()


@pytest.mark.django_db
def test_the_report_names_the_dimension_to_fix_first(org):
    """With an overall question, the report names the most important dimension that scores
    below the rest (the drivers page's "fix first"); without one it says nothing of it."""
    with at(2026, 11, 3):
        assert "work first on" not in run("--dry-run")
    survey = org["survey"]
    reliability, communication, recommend = org["questions"]
    overall = add_question(survey, Question.RATING_5, text="Overall, how satisfied?", overall_measure=True)
    target = wave(survey, "2026 Oct pulse", date(2026, 10, 12), weeks=2)  # closed by the send day
    for index in range(40):
        felt = 1 + (index * 7) % 5  # Communication: 1..5, mean 3; Reliability 3..5, mean 4
        add_response(
            target,
            {
                reliability: 3 + index % 3,
                communication: felt,
                recommend: 8,
                overall: min(5, felt + index % 2),
            },
            submitted=target.opens + timedelta(days=1, minutes=index),
        )
    with at(2026, 11, 3):
        run()
    body = mail.outbox[-1].body
    assert "We will work first on Communication: it matters most to satisfaction" in body
    assert len(body.split()) <= 120
    assert "We will work first on Communication:</strong>" in mail.outbox[-1].alternatives[0][0]
