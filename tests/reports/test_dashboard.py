"""The manager dashboard agrees with `trends --json`, keeps small groups hidden in the
page, the charts and the exports, and neutralises spreadsheet formulas."""

import csv
import io
import json
import re
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.template.defaultfilters import floatformat
from django.urls import reverse
from openpyxl import load_workbook

from perception.models import Theme
from reports import queries
from surveys.models import Question, Survey
from tests.factories import (
    add_question,
    add_response,
    make_departments,
    make_past_waves,
    make_survey,
    make_user,
    make_wave,
)

pytestmark = pytest.mark.django_db
K = 5
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def org():
    """Three waves; Finance has 8 people a wave, Sales 6, Legal K-1 = 4 (to be suppressed)."""
    survey = make_survey(slug="pulse", anonymity=Survey.ANONYMOUS)
    rating = add_question(survey, Question.RATING_5, text="IT is reliable", dimension="Reliability")
    other = add_question(survey, Question.RATING_5, text="IT is quick", dimension="Responsiveness")
    recommend = add_question(survey, Question.SCALE_10, text="Recommend IT?", likelihood_to_recommend=True)
    comment = add_question(survey, Question.TEXT, text="Change one thing")
    finance, sales, legal = make_departments("Finance", "Sales", "Legal")
    waves = make_past_waves(survey, ["2026 Q1", "2026 Q2", "2026 Q3"])
    for index, wave in enumerate(waves):
        number = 0
        for department, count in ((finance, 8), (sales, 6), (legal, K - 1)):
            for _ in range(count):
                number += 1
                add_response(
                    wave,
                    {
                        rating: 1 + (number + index) % 5,
                        other: 1 + (number * 2 + index) % 5,
                        recommend: (number * 3 + index) % 11,
                        comment: FORMULA if number == 1 else f"comment {number}",
                    },
                    department=department,
                )
    return {"survey": survey, "waves": waves, "legal": legal, "comment": comment}


def trends_json(*args) -> dict:
    out = StringIO()
    call_command("trends", "--survey", "pulse", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    "query",
    ["", "&department=Finance", "&from=2026 Q2", "&to=2026 Q2", "&from=2026 Q2&to=2026 Q3&department=Sales"],
)
def test_every_figure_on_the_page_equals_trends_json(viewer, org, query):
    page = viewer.get(reverse("reports:dashboard") + "?survey=pulse" + query)
    assert page.status_code == 200
    args = []
    params = dict(part.split("=") for part in query.strip("&").split("&") if part)
    if "department" in params:
        args += ["--department", params["department"]]
    waves = {w.label: w for w in org["waves"]}
    if "from" in params:
        args += ["--since", waves[params["from"]].opens.date().isoformat()]
    if "to" in params:
        args += ["--until", waves[params["to"]].opens.date().isoformat()]
    expected = trends_json(*args)
    assert page.context["document"] == expected
    html = page.content.decode()
    overall = next(m for m in expected["measures"] if m["key"] == "overall")
    shown = [w for w in overall["waves"] if not w["suppressed"]]
    if not shown:
        # Sales alone beside a hidden Legal is hidden too (complementary suppression), and
        # a filter shows exactly what the breakdown shows.
        assert "Fewer than 5 responses: not shown." in html
        return
    latest = shown[-1]
    # Numbers as the page rounds them (Django's floatformat: half away from zero).
    assert floatformat(latest["mean"], 2) in html
    interval = latest["mean_ci"]
    assert f"95% interval {floatformat(interval['low'], 2)} to {floatformat(interval['high'], 2)}" in html
    assert f"Rests on {latest['n']} people" in html
    net = next(m for m in expected["measures"] if m["net_score"])
    net_latest = [w for w in net["waves"] if not w["suppressed"]][-1]
    assert re.search(rf"<p[^>]*>{re.escape(floatformat(net_latest['net_score'], 0))}</p>", html)
    for measure in expected["measures"]:
        if measure["kind"] == "dimension":
            for wave in measure["waves"]:
                if not wave["suppressed"]:
                    assert re.search(rf"<td[^>]*>{re.escape(floatformat(wave['mean'], 2))}</td>", html)


def test_a_department_of_k_minus_one_is_hidden_on_the_page(viewer, org):
    html = viewer.get(reverse("reports:dashboard") + "?survey=pulse").content.decode()
    document = trends_json()
    legal = next(d for d in document["departments"] if d["department"] == "Legal")
    assert legal["suppressed"] and all(w["suppressed"] for m in legal["measures"] for w in m["waves"])
    # Legal's column shows the suppression notice, never a number.
    assert html.count("fewer than 5 responses</td>") >= 2
    page = viewer.get(reverse("reports:dashboard") + "?survey=pulse&department=Legal")
    body = page.content.decode()
    assert "No wave has 5 or more responses yet." in body
    assert "Fewer than 5 responses: not shown." in body
    assert page.context["document"]["themes"] == []


def test_the_chart_of_a_small_department_shows_no_figures(viewer, org):
    svg = viewer.get(
        reverse("reports:chart") + "?survey=pulse&department=Legal&measure=dimension:Reliability"
    ).content.decode()
    assert "<svg" in svg and "fewer than" not in svg.split("<desc")[0]
    assert "people)" not in svg  # the description lists no wave: none is shown
    whole = viewer.get(reverse("reports:chart") + "?survey=pulse&measure=dimension:Reliability")
    assert whole["Content-Type"] == "image/svg+xml"
    assert '<title id="chart-title">Reliability</title>' in whole.content.decode()
    assert "18 people" in whole.content.decode()


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def read_xlsx(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_keep_small_groups_suppressed(viewer, org, fmt):
    response = viewer.get(reverse(f"reports:export_{fmt}") + "?survey=pulse")
    content = response.getvalue()  # downloads are streamed: read once
    rows = read_csv(content) if fmt == "csv" else read_xlsx(content)
    header = rows[0]
    legal = [dict(zip(header, row, strict=True)) for row in rows[1:] if row[0] == "Legal"]
    assert legal, "Legal appears, suppressed"
    for row in legal:
        assert row["mean"] in ("", None) and row["respondents"] in ("", None)
        assert row["note"] == "fewer than 5 responses"
    finance = [dict(zip(header, row, strict=True)) for row in rows[1:] if row[0] == "Finance"]
    assert all(row["mean"] not in ("", None) for row in finance)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_formula_comment_is_neutralised_in_raw_exports(client, org, fmt):
    admin = make_user("root")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    client.force_login(admin)
    content = client.get(reverse(f"reports:responses_{fmt}") + "?survey=pulse").getvalue()
    rows = read_csv(content) if fmt == "csv" else read_xlsx(content)
    cells = [cell for row in rows for cell in row]
    assert "'" + FORMULA in cells
    assert FORMULA not in cells
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).active
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_formula_in_a_question_text_is_neutralised_in_measure_exports(viewer, org, fmt):
    Question.objects.filter(text="IT is reliable").update(text="=1+1 IT is reliable")
    cache.clear()
    response = viewer.get(reverse(f"reports:export_{fmt}") + "?survey=pulse")
    content = response.getvalue()  # downloads are streamed: read once
    rows = read_csv(content) if fmt == "csv" else read_xlsx(content)
    labels = {row[3] for row in rows[1:]}
    assert "'=1+1 IT is reliable" in labels and "=1+1 IT is reliable" not in labels


def test_raw_responses_are_for_superusers_and_carry_no_identity_when_anonymous(client, viewer, org):
    assert viewer.get(reverse("reports:responses_csv") + "?survey=pulse").status_code == 403
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    rows = read_csv(client.get(reverse("reports:responses_csv") + "?survey=pulse").getvalue())
    header = rows[0]
    assert header[:3] == ["row", "wave", "department"]  # anonymous: no date at all
    assert "respondent key" not in header and "email" not in header
    keys = set(org["survey"].waves.values_list("responses__respondent_key", flat=True))
    assert not keys & {cell for row in rows for cell in row}
    departments = {row[2] for row in rows[1:]}
    assert "Legal" not in departments  # 4 people a wave: too few to name
    assert "Sales" not in departments  # hidden with Legal, as the published figures hide it
    assert "Finance" in departments
    dated = {cell for row in rows[1:] for cell in row if len(str(cell)) == 10 and str(cell)[4:5] == "-"}
    assert dated == set()  # no day either


def test_raw_csv_is_streamed_in_chunks_in_the_same_shuffled_order(client, org, monkeypatch):
    """Read a few responses at a time, the download is the same, row numbers and order included."""
    from reports import queries

    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    whole = client.get(reverse("reports:responses_csv") + "?survey=pulse")
    assert whole.streaming
    monkeypatch.setattr(queries, "RAW_EXPORT_CHUNK", 7)
    chunked = client.get(reverse("reports:responses_csv") + "?survey=pulse")
    rows = read_csv(chunked.getvalue())
    assert rows == read_csv(whole.getvalue())
    assert len(rows) > 1 + 7 * 2  # several chunks
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, len(rows))]


def test_a_late_response_changes_nothing_and_codings_refresh_the_cached_figures(viewer, org):
    """A closed wave's figures are final (reports.disclosure); a new coding shows at once."""
    url = reverse("reports:dashboard") + "?survey=pulse"
    first = viewer.get(url).context["document"]
    assert viewer.get(url).context["document"] == first  # served from the cache
    rating = org["survey"].questions.get(text="IT is reliable")
    add_response(org["waves"][-1], {rating: 5})
    after_response = viewer.get(url).context["document"]
    assert after_response == first
    theme = Theme.objects.create(name="Printers")
    org["waves"][-1].responses.first().answers.get(question=org["comment"]).themes.add(theme)
    after_coding = viewer.get(url).context["document"]
    assert [t["theme"] for t in after_coding["themes"]] == ["Printers"]


def test_theme_drill_down_lists_comments_only_from_shown_groups(viewer, org):
    theme = Theme.objects.create(name="Speed")
    for wave in org["waves"]:
        for answer in wave.responses.filter(department=org["legal"])[:1]:
            answer.answers.get(question=org["comment"]).themes.add(theme)
    whole = viewer.get(reverse("reports:theme", args=[theme.pk]) + "?survey=pulse")
    # Legal is hidden while Finance and Sales are shown: its comments are withheld from
    # the organisation's list too, or the lists could be subtracted.
    assert whole.context["comments"].paginator.count == 0
    assert "withheld" in whole.content.decode()
    legal_only = viewer.get(reverse("reports:theme", args=[theme.pk]) + "?survey=pulse&department=Legal")
    assert legal_only.context["comments"].paginator.count == 0
    assert "No survey comments carry this theme here." in legal_only.content.decode()
    # Nor how many: under the hidden cell's own filter that would be Legal's own count.
    # (Legal's document hides these waves already; the query holds it by itself too,
    # whatever waves it is given.)
    assert legal_only.context["withheld"] == 0 and "withheld" not in legal_only.content.decode()
    labels = [wave.label for wave in org["waves"]]
    assert queries.theme_comments(theme, org["survey"], labels, org["legal"]) == ([], 0)


def test_unknown_filters_are_named_not_fatal(viewer, org):
    page = viewer.get(reverse("reports:dashboard") + "?survey=pulse&department=Nowhere&from=1999")
    assert page.status_code == 200
    body = page.content.decode()
    assert "There is no department “Nowhere”; showing everyone." in body
    assert "There is no wave “1999”; showing all waves." in body
    assert viewer.get(reverse("reports:dashboard") + "?survey=nope").status_code == 404


def test_dashboard_without_surveys_explains_what_to_do(viewer):
    Survey.objects.all().delete()
    page = viewer.get(reverse("reports:dashboard"))
    assert page.status_code == 200
    assert "There is no survey yet" in page.content.decode()


def test_each_change_shows_its_interval_and_the_trend_is_in_words(viewer, org):
    """The tiles and charts say the change with its 95% interval, and the trend per month
    or why there is none yet, in the words `reports.summary` gives every output."""
    from reports import summary

    html = viewer.get(reverse("reports:dashboard") + "?survey=pulse").content.decode()
    document = trends_json()
    overall = next(m for m in document["measures"] if m["kind"] == "overall")
    words = summary.change_words(overall["change"]["mean"])
    assert ", 95% interval " in words and f"Change: {words}" in html
    assert "Trend: " + summary.trend_words(overall["trend"]["mean"]) in html
    assert "A trend needs four waves: 3 of 4 so far." in html
    assert overall["favorable_definition"] in html
    assert 'href="/dashboard/how-to-read/"' in html


def test_how_to_read_explains_every_figure_and_needs_the_dashboard_role(client, viewer):
    page = viewer.get(reverse("reports:how_to_read"))
    assert page.status_code == 200
    body = page.content.decode()
    for words in (
        "95% interval",
        "Favourable share",
        "Net score",
        "Trend per month",
        "q:",
        "Robust",
        "suppression",
    ):
        assert words in body
    client.logout()
    assert client.get(reverse("reports:how_to_read")).status_code in (302, 403)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_carry_each_change_with_its_interval_and_the_trend(viewer, org, fmt):
    response = viewer.get(reverse(f"reports:export_{fmt}") + "?survey=pulse")
    content = response.getvalue()  # downloads are streamed: read once
    rows = read_csv(content) if fmt == "csv" else read_xlsx(content)
    header = rows[0]
    overall = [
        dict(zip(header, row, strict=True))
        for row in rows[1:]
        if row[1] == "overall" and row[0] == "Whole organisation"
    ]
    last = overall[-1]
    assert last["change_from"] == "2026 Q2" and last["change_low"] not in ("", None)
    assert "95% interval" in last["change_in_words"]
    assert last["trend_in_words"].endswith("not enough waves yet for a trend")
    assert last["favourable_definition"] == "favourable = 4–5 of 1–5"


def test_every_shown_heatmap_cell_says_how_many_people_it_rests_on(viewer, org):
    page = viewer.get(reverse("reports:dashboard") + "?survey=pulse")
    html = page.content.decode()
    shown = [cell for _, cells in page.context["heat_rows"] for cell in cells if not cell.suppressed]
    assert shown
    for cell in shown:
        assert f"n {cell.n}</span>" in html


def test_the_dashboard_stays_warm_as_people_answer_an_open_wave_and_rebuilds_on_publication(
    viewer, db, monkeypatch
):
    """Figures move by publications only, so the cached document is keyed by them: a new
    response (even one that asks the publishing task) does not rebuild it; the next
    publication does, in the publishing command rather than in a reader's request."""
    from reports import cache as document_cache
    from reports import disclosure

    survey = make_survey(slug="pulse")
    rating = add_question(survey, Question.RATING_5, text="IT is reliable")
    wave = make_wave(survey, "open", label="Now")
    for number in range(12):
        add_response(wave, {rating: 1 + number % 5})
    built = []
    real_build = document_cache.build
    monkeypatch.setattr(
        document_cache, "build", lambda *args, **kwargs: built.append(1) or real_build(*args, **kwargs)
    )
    monkeypatch.setattr(disclosure, "request_publication", lambda survey: True)  # no worker here
    url = reverse("reports:dashboard") + "?survey=pulse"
    first = viewer.get(url).context["document"]
    assert built == [1]
    add_response(wave, {rating: 5})
    assert viewer.get(url).context["document"] == first
    assert built == [1]  # warm: not rebuilt for one new response
    for _ in range(6):
        add_response(wave, {rating: 4})
    call_command("publish_figures", stdout=StringIO())
    assert built == [1, 1]  # built by the publication, for the next reader
    assert viewer.get(url).context["document"] != first
    assert built == [1, 1]  # so the page after a publication is warm too
