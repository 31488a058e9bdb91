"""Time the dashboard on the bench database: cold (empty cache), cached, and cached
right after a new response.

    DATABASE_URL=... python -m benchmarks.dashboard [--runs 3]

Prints one JSON line: {"cold": [...], "cold_unstored": [...], "cached": [...],
"after_response": [...], "after_coding": [...], "chart": [...], "document": [...],
"document_fresh": [...]} in seconds. The first six are full requests through Django's
test client (view, queries, template), signed in as a viewer: "cold" with an empty cache
and the document stored by the last publication (a restarted server, another machine),
"cold_unstored" with nothing stored either (the document computed in the request),
"after_coding" the first request after a listener coded one more comment (the stored
document's themes built again, its figures read back). "document" is the trends document
alone in the running process with an empty cache (read back), "document_fresh" the same
computed afresh. The new response goes to the latest wave through
``surveys.services.response_submit``, as the public page stores one.
"""

import argparse
import json
import os
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perception.settings")
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    viewer, _ = User.objects.get_or_create(username="bench-viewer")
    viewer.groups.add(Group.objects.get_or_create(name="Viewers")[0])
    client = Client()
    client.force_login(viewer)
    url = "/dashboard/?survey=bench"
    from surveys.models import Survey
    from surveys.services import response_submit

    survey = Survey.objects.get(slug="bench")
    wave = survey.waves.order_by("-opens").first()
    question = survey.questions.filter(kind="rating_5").first()
    from perception.models import Theme
    from reports import cache as documents
    from reports.models import StoredDocument
    from surveys.models import Answer
    from surveys.services import answer_code

    theme = Theme.objects.named("Laptops")
    uncoded = list(
        Answer.objects.awaiting_coding()
        .in_survey(survey)
        .order_by("-pk")[: args.runs]
        .select_related("response")
    )

    results = {
        key: []
        for key in (
            "cold",
            "cold_unstored",
            "cached",
            "after_response",
            "after_coding",
            "chart",
            "document",
            "document_fresh",
        )
    }
    for _ in range(args.runs):
        cache.clear()
        StoredDocument.objects.filter(survey=survey).delete()
        began = time.perf_counter()
        assert client.get(url).status_code == 200
        results["cold_unstored"].append(time.perf_counter() - began)
        cache.clear()
        began = time.perf_counter()
        assert client.get(url).status_code == 200
        results["cold"].append(time.perf_counter() - began)
        began = time.perf_counter()
        assert client.get(url).status_code == 200
        results["cached"].append(time.perf_counter() - began)
        response_submit(wave=wave, answers={question: 4})
        began = time.perf_counter()
        assert client.get(url).status_code == 200
        results["after_response"].append(time.perf_counter() - began)
        # A listener codes one more comment (through the coding service, as the coding
        # page does); the next viewer's request builds the themes again.
        answer = uncoded.pop()
        answer_code(answer=answer, themes=[theme])
        began = time.perf_counter()
        assert client.get(url).status_code == 200
        results["after_coding"].append(time.perf_counter() - began)
        began = time.perf_counter()
        assert client.get("/dashboard/chart.svg?survey=bench&measure=overall").status_code == 200
        results["chart"].append(time.perf_counter() - began)
        # The trends document alone in this running process with an empty cache: read
        # back, then computed afresh.
        cache.clear()
        began = time.perf_counter()
        documents.trends_document(survey)
        results["document"].append(time.perf_counter() - began)
        began = time.perf_counter()
        documents.build(survey, None, None, None)
        results["document_fresh"].append(time.perf_counter() - began)
    # The whole process's peak (Django, every module, the document): an upper bound on
    # what one request needs.
    results["peak_mb"] = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
