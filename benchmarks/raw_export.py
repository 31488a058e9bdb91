"""One raw CSV export of the `bench` survey, as a person with the permission downloads it.

    DATABASE_URL=... python -m benchmarks.raw_export [--survey bench]

A new process each time (timed from outside by benchmarks.peer): Django starts, a
superuser's request for `/dashboard/responses.csv?survey=bench` goes through Django's
test client (permission check, disclosure, the streamed rows) and every line is read.
Prints one JSON line: the data rows received and the bytes.
"""

import argparse
import json
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--survey", default="bench")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perception.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    exporter = User.objects.filter(username="bench-exporter").first()
    if exporter is None:
        exporter = User.objects.create_superuser("bench-exporter", "bench@example.org", None)
    client = Client()
    client.force_login(exporter)
    response = client.get(f"/dashboard/responses.csv?survey={args.survey}")
    if response.status_code != 200:
        raise SystemExit(f"export answered {response.status_code}")
    lines = size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    print(json.dumps({"rows": lines - 1, "bytes": size}))


if __name__ == "__main__":
    main()
