"""Time `manage.py import_responses` on a large synthetic Google Forms export.

    DATABASE_URL=... python -m benchmarks.imports [--rows 100000] [--columns 30]

Writes the file to a temporary folder, imports it into a fresh survey, prints one JSON
line with the seconds taken and the rows imported.
"""

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECOMMEND = "How likely are you to recommend IT?"
LABELS = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]


def write_export(path: Path, rows: int, columns: int, seed: int = 7) -> None:
    """Timestamp, department, (columns - 5) agreement items, a 0–10, a single and a
    multiple choice, and a comment: ``columns`` columns in all."""
    rng = random.Random(seed)
    ratings = columns - 5
    header = ["Timestamp", "Department"] + [f"Statement {i + 1}" for i in range(ratings)]
    header += [
        RECOMMEND,
        "Main device",
        "Channels you use",
        "What one thing should IT change?",
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for index in range(rows):
            writer.writerow(
                [
                    f"10/{1 + index % 28}/2026 {9 + index % 8}:{index % 60:02d}:{(index * 7) % 60:02d}",
                    f"Dept {index % 8}",
                ]
                + [rng.choice(LABELS) for _ in range(ratings)]
                + [
                    str(rng.randint(0, 10)),
                    rng.choice(["Laptop", "Desktop", "Tablet"]),
                    ", ".join(rng.sample(["Email", "Chat", "Phone", "Portal"], rng.randint(1, 3))),
                    rng.choice(
                        ["", "", "Faster laptop swaps", "Tell us before updates", "More self-service"]
                    ),
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "google-forms-export.csv"
        write_export(path, args.rows, args.columns)
        # Agreement labels say their scale; the 0–10 column is declared, as a manager would.
        mapping = Path(folder) / "mapping.json"
        mapping.write_text(json.dumps({"scales": {RECOMMEND: {"low": 0, "high": 10}}}))
        slug = f"bench-import-{int(time.time())}"
        began = time.perf_counter()
        result = subprocess.run(
            [
                *(sys.executable, "manage.py", "import_responses", str(path)),
                *("--survey", slug, "--wave", "Bench", "--confirm-scales", "--mapping", str(mapping)),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(result.stderr.strip()[-2000:])
    print(json.dumps({"seconds": elapsed, "rows": args.rows, "columns": args.columns, "bytes": None}))


if __name__ == "__main__":
    main()
