from datetime import date

from django.core.management.base import BaseCommand, CommandError

from perception.models import Department
from reports import cache as documents
from reports import disclosure, queries, summary


def _percent(value) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _interval(interval, fmt: str) -> str:
    if interval is None:
        return ""
    clipped = "*" if interval["clipped"] else ""
    return f"[{fmt.format(interval['low'])}, {fmt.format(interval['high'])}]{clipped}"


class Command(BaseCommand):
    # The checks inspect URLs, templates and admin, none of which this command uses; skipping
    # them spares each cron or script run most of a second.
    requires_system_checks = []
    help = (
        "Scores with their uncertainty, changes, trends and themes for one survey. "
        "Every figure respects the survey's minimum group size."
    )

    def add_arguments(self, parser):
        parser.add_argument("--survey", required=True, help="The survey's slug, e.g. it-service.")
        parser.add_argument("--department", help="Only respondents of this department (its name).")
        parser.add_argument("--since", help="Only waves that opened on or after this date (YYYY-MM-DD).")
        parser.add_argument("--until", help="Only waves that opened on or before this date (YYYY-MM-DD).")
        parser.add_argument("--json", action="store_true", help="One JSON document, keys sorted.")
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="Compute every figure again instead of reading the document kept since the last "
            "publication (the same figures; for checking, and for timing the analysis).",
        )

    def handle(
        self,
        *args,
        survey: str,
        department: str | None,
        since: str | None,
        until: str | None,
        json: bool,
        fresh: bool = False,
        **options,
    ):
        chosen = queries.survey_named(survey)
        if chosen is None:
            known = ", ".join(s.slug for s in queries.surveys()) or "none yet"
            raise CommandError(f"No survey with slug '{survey}' (known: {known}).")
        group = None
        if department is not None:
            group = Department.objects.filter(name__iexact=department.strip()).first()
            if group is None:
                raise CommandError(f"No department named '{department}'.")
        start, end = _date("--since", since), _date("--until", until)
        # A command publishes what is due itself, whatever its size (a page leaves a large
        # wave to the publishing task).
        with disclosure.publishing_any_size():
            text, document = self._document(chosen, group, start, end, json=json, fresh=fresh)
        if json:
            self.stdout.write(text)
        else:
            self._table(document)

    def _document(self, chosen, group, start, end, *, json: bool, fresh: bool):
        if fresh:
            document = documents.build(chosen, group, start, end)
            text = documents.dumps(document) if json else None
        elif json and group is None and start is None and end is None:
            # The organisation-wide document is kept as this very text: written as it is.
            text, document = documents.trends_text(chosen), None
        else:
            document = documents.trends_document(chosen, group, start, end)
            text = documents.dumps(document) if json else None
        return text, document

    def _table(self, document: dict) -> None:
        write = self.stdout.write
        filters = [f"{key} {value}" for key, value in document["filters"].items() if value]
        write(f"{document['title']} ({document['survey']})" + (f" · {', '.join(filters)}" if filters else ""))
        write(
            f"Groups smaller than {document['min_group_size']} are suppressed; * marks an interval cut at the"
        )
        write("end of the scale. See the dashboard's 'How to read these figures' page.\n")
        if not document["waves"]:
            write("No waves yet.")
            return
        write(
            "Waves: "
            + "; ".join(
                f"{w['label']} ({'suppressed' if w['suppressed'] else w['respondents']})"
                for w in document["waves"]
            )
        )
        for measure in document["measures"]:
            write(f"\n{measure['label']} ({measure['scale_low']}-{measure['scale_high']})")
            if measure["favorable_definition"]:
                write(f"  {measure['favorable_definition']}")
            for wave in measure["waves"]:
                if wave["suppressed"]:
                    write(f"  {wave['wave']:<12} fewer than {document['min_group_size']} respondents")
                    continue
                interval = (
                    _interval(wave["mean_ci"], "{:.2f}")
                    if wave["mean_ci"]
                    else f"(no interval: {wave['mean_ci_missing']})"
                )
                line = (
                    f"  {wave['wave']:<12} n={wave['n']:<6} mean {wave['mean']:.2f} "
                    f"{interval:<14} favourable {_percent(wave['favorable'])}"
                )
                if wave["net_score"] is not None:
                    line += (
                        f"  net score {wave['net_score']:+.0f} {_interval(wave['net_score_ci'], '{:+.0f}')}"
                    )
                write(line)
            change = measure["change"]
            if change:
                mean = change["mean"]
                verdict = {"up": "up", "down": "down"}.get(mean["direction"], "about the same")
                robust = {True: ", robust", False: ", not robust", None: ""}[mean["robust"]]
                q = "—" if mean["q"] is None else f"{mean['q']:.3f}"
                wander = "" if change["wander_known"] else "; usual wander not yet known"
                write(
                    f"  change {change['from_wave']} → {change['to_wave']}: {summary.change_words(mean)}, "
                    f"{verdict} (q={q}{robust}{wander})"
                )
            trend = measure["trend"]["mean"]
            line = f"  trend over {measure['trend']['waves']} waves: {summary.trend_words(trend)}"
            if trend["q"] is not None:
                robust = {True: ", robust", False: ", not robust", None: ""}[trend["robust"]]
                line += f" (q={trend['q']:.3f}{robust})"
            write(line)
        if document["departments"]:
            write("\nDepartments (latest wave):")
            for department in document["departments"]:
                if department["suppressed"]:
                    write(f"  {department['department']:<20} suppressed")
                    continue
                scores = []
                for measure in department["measures"]:
                    if measure["kind"] != "dimension":
                        continue
                    latest = measure["waves"][-1]
                    shown = "—" if latest["suppressed"] else f"{latest['mean']:.2f}"
                    scores.append(f"{measure['label']} {shown}")
                write(
                    f"  {department['department']:<20} n={department['respondents']:<5} " + "; ".join(scores)
                )
        if document["themes"]:
            write("\nThemes (counted by distinct voices):")
            for theme in document["themes"]:
                robust = "" if theme["robust"] else ", not robust"
                if theme["unlinked_voices"]:
                    robust += f", {theme['unlinked_voices']} voices not linkable"
                write(
                    f"  {theme['theme']:<30} {theme['status']:<13} voices {theme['voices']:<4} "
                    f"mentions {theme['mentions']:<4} sources {theme['sources']:<3} "
                    f"top voice {_percent(theme['top_voice_share'])}{robust}"
                )


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not '{value}'.") from None
