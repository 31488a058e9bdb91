import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from surveys import imports, services


class Command(BaseCommand):
    help = (
        "Import responses exported from Google Forms, Microsoft Forms, LimeSurvey, Qualtrics, SurveyMonkey "
        "or a plain CSV as one new wave. All rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--survey", required=True, help="Slug of the survey; created from the file if new."
        )
        parser.add_argument("--wave", help="Label of the new wave (default: the file's date range).")
        parser.add_argument("--format", default="auto", choices=["auto", *imports.FORMATS])
        parser.add_argument("--department-column", help="The column that holds the respondent's department.")
        parser.add_argument(
            "--mapping",
            type=Path,
            help='JSON: {"columns": {"header": "rating_5", ...}, "labels": {"header": {"label": 3}}}.',
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the mapping and problems; store nothing."
        )
        parser.add_argument("--force", action="store_true", help="Import a file that was imported before.")

    def handle(
        self,
        *args,
        file: Path,
        survey: str,
        wave,
        format,
        department_column,
        mapping,
        dry_run,
        force,
        **options,
    ):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        slug = slugify(survey)
        if not slug:
            raise CommandError(f"'{survey}' cannot be a survey slug; use letters, digits and hyphens.")
        try:
            table = imports.read_export(data, format)
            columns = imports.propose_mapping(table)
            labels = {}
            if mapping:
                columns, labels = self._apply_mapping_file(mapping, columns)
            if department_column:
                if department_column not in columns:
                    raise CommandError(f"No column called '{department_column}' in the file.")
                columns[department_column] = "department"
            self.stdout.write(
                f"{file.name}: {table.format} export, {len(table.rows)} complete responses"
                + (f", {table.skipped_incomplete} incomplete skipped" if table.skipped_incomplete else "")
                + "."
            )
            converted = imports.convert(table, columns, labels)
            if dry_run or converted.problems:
                for header, kind in columns.items():
                    self.stdout.write(f"  {kind:<14} {header[:90]}")
            if converted.problems:
                raise imports.ImportProblem(
                    "Nothing was imported; fix these first "
                    "(a --mapping file can set kinds and label numbers):\n"
                    + "\n".join(converted.problems[:20])
                )
            if dry_run:
                self.stdout.write("Dry run: nothing stored.")
                return
            result = services.responses_import(
                slug=slug,
                table=table,
                converted=converted,
                mapping=columns,
                content_hash=hashlib.sha256(data).hexdigest(),
                filename=file.name,
                wave_label=wave,
                force=force,
                progress=lambda n: self.stdout.write(f"  {n:,} responses stored…"),
            )
        except imports.ImportProblem as error:
            raise CommandError(str(error)) from None
        where = f"'{result.survey.slug}' as wave '{result.wave.label}'"
        new = " (new survey)." if result.created_survey else "."
        self.stdout.write(self.style.SUCCESS(f"Imported {result.responses} responses into {where}{new}"))

    def _apply_mapping_file(self, path: Path, proposed: dict[str, str]) -> tuple[dict, dict]:
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"The mapping file cannot be read: {error}.") from None
        columns = dict(proposed)
        for header, kind in content.get("columns", {}).items():
            if header not in columns:
                raise CommandError(f"The mapping names a column the file does not have: '{header}'.")
            if kind not in imports.KINDS:
                raise CommandError(
                    f"Unknown kind '{kind}' for '{header}'; use one of {', '.join(imports.KINDS)}."
                )
            columns[header] = kind
        labels = {
            h: {str(k): int(v) for k, v in values.items()} for h, values in content.get("labels", {}).items()
        }
        return columns, labels
