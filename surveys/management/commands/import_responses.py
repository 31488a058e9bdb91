import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from surveys import imports, services


class Command(BaseCommand):
    # Checks import every URLconf and view: seconds of a large import's time, and
    # `manage.py check` (CI) runs them anyway.
    requires_system_checks = []
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
            help=(
                'JSON: {"columns": {"header": "rating", ...}, "scales": {"header": {"low": 1, "high": 5, '
                '"labels": ["Strongly disagree", ...], "dont_know": "Don\'t know"}}, '
                '"labels": {"header": {"label": 3}}}.'
            ),
        )
        parser.add_argument(
            "--confirm-scales",
            action="store_true",
            help=(
                "Accept the proposed scale of every rating column whose labels say what it is "
                "(shown by --dry-run). Scales proposed from numbers alone must be declared in --mapping."
            ),
        )
        parser.add_argument(
            "--keep-personal",
            action="append",
            default=[],
            metavar="COLUMN",
            help="Keep this personal-data column (names, emails, phone…), dropped otherwise; recorded.",
        )
        parser.add_argument("--title", default="", help="Title of a survey created by the import.")
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
        confirm_scales=False,
        keep_personal=(),
        title="",
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
            labels, scales = {}, {}
            if mapping:
                columns, labels, scales = self._apply_mapping_file(mapping, columns)
            proposed = imports.propose_scales(table, columns)
            if confirm_scales:
                scales = {h: p for h, p in proposed.items() if not p.from_values and h not in scales} | scales
            for header in keep_personal:
                if header not in columns:
                    raise CommandError(f"No column called '{header}' in the file.")
            if department_column:
                if department_column not in columns:
                    raise CommandError(f"No column called '{department_column}' in the file.")
                columns[department_column] = "department"
            self.stdout.write(
                f"{file.name}: {table.format} export, {len(table.rows)} complete responses"
                + (f", {table.skipped_incomplete} incomplete skipped" if table.skipped_incomplete else "")
                + "."
            )
            converted = imports.convert(table, columns, labels, scales, list(keep_personal))
            if dry_run or converted.problems:
                for header, kind in columns.items():
                    dropped = imports.is_personal(header) and header not in keep_personal
                    line = f"  {'ignore' if dropped else kind:<14} {header[:90]}"
                    if dropped:
                        line += "  (personal data: not imported)"
                    elif kind == "rating":
                        scale = scales.get(header)
                        if scale is not None:
                            line += f"  [{scale.describe()}]"
                        elif header in proposed:
                            guess = (
                                " (from the numbers alone: declare it)"
                                if proposed[header].from_values
                                else ""
                            )
                            line += f"  [proposed: {proposed[header].describe()}{guess}]"
                    self.stdout.write(line)
            if dry_run:
                for problem in converted.problems[:20]:
                    self.stdout.write(f"  problem: {problem}")
                self.stdout.write("Dry run: nothing stored.")
                return
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
                scales={h: scales[h] for h in scales if columns.get(h) == "rating"},
                title=title,
            )
        except imports.ImportProblem as error:
            raise CommandError(str(error)) from None
        where = f"'{result.survey.slug}' as wave '{result.wave.label}'"
        new = " (new survey)." if result.created_survey else "."
        self.stdout.write(self.style.SUCCESS(f"Imported {result.responses} responses into {where}{new}"))

    def _apply_mapping_file(self, path: Path, proposed: dict[str, str]) -> tuple[dict, dict, dict]:
        """Kinds, label numbers and scales from a JSON file; any wrong type is a clear
        error naming where it is (a null included), never a traceback."""
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"The mapping file cannot be read: {error}.") from None
        if not isinstance(content, dict):
            raise CommandError(
                'The mapping file must be one JSON object: {"columns": {...}, "scales": {...}}.'
            )
        sections = {}
        for name in ("columns", "labels", "scales"):
            section = content.get(name) or {}
            if not isinstance(section, dict):
                raise CommandError(
                    f'"{name}" in the mapping file must be an object, not {json.dumps(section)}.'
                )
            sections[name] = section
        columns = dict(proposed)
        for header, kind in sections["columns"].items():
            if header not in columns:
                raise CommandError(f"The mapping names a column the file does not have: '{header}'.")
            if kind not in imports.KINDS:
                raise CommandError(
                    f"Unknown kind {json.dumps(kind)} for '{header}'; use one of {', '.join(imports.KINDS)}."
                )
            columns[header] = kind
        labels = {}
        for header, values in sections["labels"].items():
            if not isinstance(values, dict):
                raise CommandError(f"Labels for '{header}' must be an object like {{\"Very much\": 5}}.")
            for label, number in values.items():
                if isinstance(number, bool) or not isinstance(number, int):
                    raise CommandError(
                        f"The label '{label}' of '{header}' needs a whole number, not {json.dumps(number)}."
                    )
            labels[header] = {str(k): v for k, v in values.items()}
        scales = {}
        for header, value in sections["scales"].items():
            if header not in columns:
                raise CommandError(
                    f"The mapping declares a scale for a column the file does not have: '{header}'."
                )
            try:
                scales[header] = imports.Scale.from_json(value)
            except ValueError as error:
                raise CommandError(f"The scale of '{header}': {error}.") from None
            if (
                columns[header] in ("single", "multiple", "text", "ignore")
                and header not in sections["columns"]
            ):
                columns[header] = "rating"  # declaring a scale declares a rating
        return columns, labels, scales
