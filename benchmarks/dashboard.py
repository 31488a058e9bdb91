"""Time the dashboard on the bench database: cold (empty cache) and cached.

    DATABASE_URL=... python -m benchmarks.dashboard [--runs 3]

Prints one JSON line: {"cold": [...], "cached": [...], "chart": [...]} in seconds, each a
full request through Django's test client (view, queries, template), signed in as a viewer.
"""

import argparse
import json
import os
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
    results = {"cold": [], "cached": [], "chart": []}
    for _ in range(args.runs):
        cache.clear()
        began = time.perf_counter()
        assert client.get(url).status_code == 200
        results["cold"].append(time.perf_counter() - began)
        began = time.perf_counter()
        assert client.get(url).status_code == 200
        results["cached"].append(time.perf_counter() - began)
        began = time.perf_counter()
        assert client.get("/dashboard/chart.svg?survey=bench&measure=overall").status_code == 200
        results["chart"].append(time.perf_counter() - began)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
