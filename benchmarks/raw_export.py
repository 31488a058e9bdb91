"""One raw CSV (or XLSX) export of the `bench` survey, as a person with the permission
downloads it.

    DATABASE_URL=... python -m benchmarks.raw_export [--survey bench] [--format xlsx]

A new process each time (timed from outside by benchmarks.peer): Django starts, a
superuser's request for `/dashboard/responses.csv?survey=bench` goes through Django's
test client (permission check, disclosure, the streamed rows) and every line is read.
Prints one JSON line: the data rows received (CSV only), the bytes, and the wall and CPU
seconds of the request alone, from asking to the last byte. The first request of a
process also imports the views (pandas, scipy, matplotlib: about two CPU seconds), as a
server does once at start; loading the URLconf first takes that out of the request's
figures.
"""

import argparse
import json
import os
import time
from importlib import import_module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--survey", default="bench")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perception.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    exporter = User.objects.filter(username="bench-exporter").first()
    if exporter is None:
        exporter = User.objects.create_superuser("bench-exporter", "bench@example.org", None)
    client = Client()
    client.force_login(exporter)
    import_module(settings.ROOT_URLCONF)  # imports every app's views, as a server's first request does
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(f"/dashboard/responses.{args.format}?survey={args.survey}")
    if response.status_code != 200:
        raise SystemExit(f"export answered {response.status_code}")
    lines = size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = lines - 1 if args.format == "csv" else None
    print(json.dumps({"rows": rows, "bytes": size, "request_seconds": wall, "request_cpu_seconds": cpu}))


if __name__ == "__main__":
    main()
