"""What may be published (DESIGN rule 3): the one place that decides it.

Every output — page, chart, CSV, XLSX, email, JSON, command line — reads published
snapshots (``reports.models.Publication`` and its rows), never live responses. This
module writes them and says what each may show.

How a wave is published, per measure (each question, dimension, the overall score and
``respondents``, the count of people):

- A *cell* is a department, or "no department"; the wave's *total* is every cell
  together. A respondent is a *member* of a cell with a score.
- Members change only in batches: a publication applies a cell's pending changes (new,
  edited, replaced or deleted answers, department moves) all at once or not at all. A
  shown cell, the total and the *hidden complement* (total minus the shown cells) each
  change by 0 or by at least k members between two publications, so one new response
  changes no published figure.
- Complementary suppression holds jointly: hidden cells together hold at least k
  members (2k when one of them is self-reported), else the next smallest cell is hidden
  too, or — when none may be — the publication waits. A cell once shown stays shown; a
  hidden cell may be shown later only if what stays unknown in every earlier state
  still holds at least k people.
- Departments picked on an open link are self-reported: such a cell needs 2k to be
  shown and changes in batches of 2k.
- When a wave has closed, its next publication is final: a remainder that cannot be
  published without isolating someone is left out for good, and the figures say how
  many respondents that is.
- Open-link answers wait for the wave's final publication. Anyone can add answers on an
  open link, and a batch made of known fake answers and one real one would give that
  one away by difference; personal links (single use, sent to known people) cannot be
  padded, so their answers join in batches while the wave is open.
- A dimension, its items and the overall score are one family with one set of members:
  the people who answered every question of every dimension. Were an item published
  over more people than its dimension, the difference would isolate whoever skipped.
  A "don't know" counts as a skip here: it is stored as no answer (DESIGN rule 9), and
  were it a member where a skip is not, the same subtraction would single it out.

The top half of this module is pure (no Django): ``suppress`` and ``plan_measure`` are
what the property tests exercise; the bottom half reads and writes the database.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

Cell = int | None  # a department id; None is "no department"
NO_DEPARTMENT_CELL: Cell = None
RESPONDENTS = "respondents"


@dataclass(frozen=True)
class Member:
    """One respondent in one measure: their cell and their score."""

    cell: Cell
    score: float
    self_reported: bool = False


State = dict[int, Member]  # response id -> member


@dataclass(frozen=True)
class Decision:
    """What one publication shows of one measure in one wave."""

    sizes: Mapping[Cell, int]
    hidden: frozenset
    total_shown: bool
    self_reported: frozenset = frozenset()

    @property
    def shown(self) -> set:
        if not self.total_shown:
            return set()
        return {cell for cell, n in self.sizes.items() if n > 0 and cell not in self.hidden}


def _need(cells: Iterable[Cell], k: int, self_reported: set | frozenset) -> int:
    """People a set of hidden cells must hold together: 2k if any is self-reported."""
    return 2 * k if any(cell in self_reported for cell in cells) else k


def suppress(
    sizes: Mapping[Cell, int],
    k: int,
    self_reported: set | frozenset = frozenset(),
    shown_before: set | frozenset = frozenset(),
    total_shown_before: bool = False,
) -> tuple[frozenset, bool] | None:
    """The cells to hide and whether the total is shown; None when no choice respects
    what was already shown.

    A cell under its threshold (k, or 2k when self-reported) is hidden, and "no
    department" always is. While the hidden cells together hold fewer than k people (2k
    with a self-reported one), the next smallest cell (ties by id) is hidden too; cells
    shown before cannot be, and if none is left the total is hidden instead."""
    present = {cell: n for cell, n in sizes.items() if n > 0}
    total = sum(present.values())
    if total < k:
        if total_shown_before or shown_before:
            return None
        return frozenset(present), False
    hidden = {
        cell
        for cell, n in present.items()
        if cell is NO_DEPARTMENT_CELL or n < _need([cell], k, self_reported)
    }
    if hidden & set(shown_before):
        return None
    while 0 < sum(present[cell] for cell in hidden) < _need(hidden, k, self_reported):
        candidates = sorted(
            (n, -1 if cell is None else cell, cell)
            for cell, n in present.items()
            if cell not in hidden and cell not in shown_before
        )
        if not candidates:
            if total_shown_before or shown_before:
                return None
            return frozenset(present), False
        hidden.add(candidates[0][2])
    return frozenset(hidden), True


def _pending(published: State, live: State) -> dict[Cell, set[int]]:
    """Per cell, the responses whose membership or score differs between the two states."""
    pending: dict[Cell, set[int]] = {}
    for response in published.keys() | live.keys():
        before, after = published.get(response), live.get(response)
        if before == after:
            continue
        for member in (before, after):
            if member is not None:
                pending.setdefault(member.cell, set()).add(response)
    return pending


def _apply(published: State, live: State, cells: set, pending: dict[Cell, set[int]]) -> State:
    """``published`` with the pending changes of ``cells``; a move between two cells is
    applied only when both cells are."""
    state = dict(published)
    for cell in cells:
        for response in pending.get(cell, ()):
            before, after = published.get(response), live.get(response)
            involved = {m.cell for m in (before, after) if m is not None}
            if not involved <= cells:
                continue
            if after is None:
                state.pop(response, None)
            else:
                state[response] = after
    return state


def _changed(before: State, after: State, cells: set | frozenset | None = None) -> int:
    """How many respondents joined, left or changed their score within ``cells`` (all
    cells when None): the symmetric difference of the two states."""

    def inside(member: Member | None) -> bool:
        return member is not None and (cells is None or member.cell in cells)

    count = 0
    for response in before.keys() | after.keys():
        old, new = before.get(response), after.get(response)
        old = old if inside(old) else None
        new = new if inside(new) else None
        count += old != new
    return count


def _changed_per_cell(before: State, after: State) -> Counter:
    """``_changed(before, after, {cell})`` for every cell at once, in one pass."""
    counts: Counter = Counter()
    for response in before.keys() | after.keys():
        old, new = before.get(response), after.get(response)
        if old == new:
            continue
        if old is not None:
            counts[old.cell] += 1  # it changed within its old cell, or left it
        if new is not None and (old is None or new.cell != old.cell):
            counts[new.cell] += 1  # it joined its new cell
    return counts


def _decide(state: State, k: int, history: list[Decision], self_reported: set) -> Decision | None:
    sizes = Counter(member.cell for member in state.values())
    shown_before: set = set()
    for earlier in history:
        shown_before |= earlier.shown
    result = suppress(sizes, k, self_reported, shown_before, any(h.total_shown for h in history))
    if result is None:
        return None
    hidden, total_shown = result
    return Decision(dict(sizes), hidden, total_shown, frozenset(c for c in sizes if c in self_reported))


def _respects_history(
    published: State, state: State, decision: Decision, history: list[Decision], k: int
) -> bool:
    """Between the last publication and this one: every shown cell, the total and the
    hidden complement change by 0 or at least k (2k where self-reported) respondents;
    and no earlier hidden complement is left with fewer than k unknown people."""
    self_reported = set(decision.self_reported)
    for earlier in history:
        self_reported |= earlier.self_reported
    per_cell = _changed_per_cell(published, state)
    for cell in decision.shown:
        if 0 < per_cell[cell] < _need([cell], k, self_reported):
            return False
    last = history[-1] if history else None
    if last is not None and last.total_shown and decision.total_shown:
        if 0 < _changed(published, state) < k:
            return False
        old = {r: m for r, m in published.items() if m.cell in last.hidden}
        new = {r: m for r, m in state.items() if m.cell in decision.hidden}
        if 0 < _changed(old, new) < _need(last.hidden | decision.hidden, k, self_reported):
            return False
    shown_now = decision.shown
    for earlier in history:
        revealed = earlier.hidden & shown_now
        if not earlier.total_shown or not revealed:
            continue
        # What stays unknown of that state: its still-hidden cells, and revealed cells
        # that have changed since (their old figure is now total minus the rest).
        unknown = [c for c in earlier.hidden if c not in shown_now] + [
            c for c in revealed if earlier.sizes.get(c, 0) != decision.sizes.get(c, 0)
        ]
        if 0 < sum(earlier.sizes.get(c, 0) for c in unknown) < _need(earlier.hidden, k, self_reported):
            return False
    return True


def plan_measure(published: State, live: State, k: int, history: list[Decision]) -> tuple[State, Decision]:
    """The next published state of one measure in one wave, and what it shows.

    Tries, in order: every pending change; every change except small ones in cells that
    are shown; only batches of at least k (2k self-reported); nothing. The first that
    keeps every rule wins; publishing nothing always does."""
    pending = _pending(published, live)
    self_reported = {m.cell for m in (*published.values(), *live.values()) if m.self_reported}
    for earlier in history:
        self_reported |= earlier.self_reported
    shown_before: set = set()
    for earlier in history:
        shown_before |= earlier.shown
    large = {c for c, changes in pending.items() if len(changes) >= _need([c], k, self_reported)}
    candidates = [set(pending), large | (set(pending) - shown_before), large]
    for cells in candidates:
        if not cells:
            continue
        state = _apply(published, live, cells, pending)
        decision = _decide(state, k, history, self_reported)
        if decision is not None and _respects_history(published, state, decision, history, k):
            return state, decision
    decision = _decide(published, k, history, self_reported) if not history else history[-1]
    if decision is None:  # pragma: no cover - an empty state can always be decided
        decision = Decision({}, frozenset(), False)
    return dict(published), decision


@dataclass
class WavePlan:
    """The next publication of one wave: each measure's state and decision."""

    states: dict[str, State] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)
    changed: bool = False


# -- The database: live data in, published rows out --------------------------------------


OPEN_LINK = "web"  # surveys.models.Response.WEB


def live_states(
    survey, wave_ids: list[int], final: set[int] | frozenset = frozenset()
) -> dict[int, dict[str, State]]:
    """Per wave and measure, who would count now (each respondent's latest response) and
    with what score: the state a publication moves towards. Open-link answers count only
    in waves whose publication is ``final`` (see the module docstring); a dimension's
    family counts only the people who answered every dimension question."""
    from reports import queries

    responses = queries.kept_responses(survey).filter(wave__in=wave_ids)
    rows = [
        row
        for row in responses.values_list(
            "id", "wave_id", "department_id", "department_self_reported", "source"
        ).order_by()
        if row[4] != OPEN_LINK or row[1] in final
    ]
    about = {r[0]: r for r in rows}
    states: dict[int, dict[str, State]] = {wave: {RESPONDENTS: {}} for wave in wave_ids}
    for response, wave, department, self_reported, _source in rows:
        states[wave][RESPONDENTS][response] = Member(department, 0.0, bool(self_reported and department))
    if not rows:
        return states
    questions = list(survey.questions.prefetch_related("choices"))
    items, measures, _ = queries.survey_items(questions)
    # The kept per-respondent scores (surveys.models.RespondentScore), one row a person.
    scores = queries.respondent_scores(survey, responses, set(about))
    family = {item.column for item in items if item.dimension} | {i.dimension for i in items if i.dimension}
    overall = next((m for m in measures if m.kind == "overall"), None)
    if overall is not None:
        family.add(overall.key)
    family_items = {item.column for item in items if item.dimension}
    for response, measured in scores.items():
        _, wave, department, self_reported, _source = about[response]
        member_of = bool(self_reported and department)
        complete = family_items <= measured.keys()
        for measure, score in measured.items():
            if measure in family and not complete:
                continue
            states[wave].setdefault(measure, {})[response] = Member(department, float(score), member_of)
    return states


def _published_states(wave_id: int) -> dict[str, State]:
    from reports.models import PublishedScore

    states: dict[str, State] = {}
    rows = PublishedScore.objects.filter(wave_id=wave_id).values_list(
        "measure", "response_id", "department_id", "score", "self_reported"
    )
    for measure, response, department, score, self_reported in rows:
        states.setdefault(measure, {})[response] = Member(department, score, self_reported)
    return states


def _history(wave_id: int) -> dict[str, list[Decision]]:
    """Every earlier decision of the wave, per measure, oldest first."""
    from reports.models import PublishedCell, PublishedTotal

    cells: dict[tuple[int, str], list] = {}
    for row in PublishedCell.objects.filter(publication__wave_id=wave_id).values_list(
        "publication__number", "measure", "department_id", "n", "shown", "self_reported"
    ):
        cells.setdefault((row[0], row[1]), []).append(row[2:])
    history: dict[str, list[Decision]] = {}
    totals = PublishedTotal.objects.filter(publication__wave_id=wave_id).order_by("publication__number")
    for number, measure, shown in totals.values_list("publication__number", "measure", "shown"):
        rows = cells.get((number, measure), [])
        history.setdefault(measure, []).append(
            Decision(
                {cell: n for cell, n, _, _ in rows},
                frozenset(cell for cell, _, cell_shown, _ in rows if not cell_shown),
                shown,
                frozenset(cell for cell, _, _, sr in rows if sr),
            )
        )
    return history


def publish_wave(
    wave, today, *, live: dict[str, State] | None = None, fingerprint: str = "", rescore: bool = False
):
    """Write the wave's next publication when anything may change (or it has closed and
    its final publication is due). Returns the new Publication, or None.

    With ``rescore``, a final wave is published again over exactly the respondents its
    final publication counted, scored by today's rules (a scale, cut or reverse-scoring
    changed): nobody joins or leaves, so nothing new about anyone can be learnt."""
    from django.db import transaction
    from django.utils import timezone

    from reports.models import Publication, PublishedCell, PublishedCount, PublishedScore, PublishedTotal

    with transaction.atomic():
        # Lock the wave itself: before its first publication there is no row to lock, and
        # two readers publishing at once would both write publication 1.
        type(wave).objects.select_for_update().filter(pk=wave.pk).first()
        last = Publication.objects.filter(wave=wave).order_by("-number").first()
        rescoring = last is not None and last.final
        if rescoring and not rescore:
            return None
        if rescoring and fingerprint and _rules_part(last.fingerprint) == _rules_part(fingerprint):
            return None  # another reader rescored it while this one waited for the lock
        final = rescoring or wave.closes <= timezone.now()
        if live is None:
            live = live_states(wave.survey, [wave.pk], {wave.pk} if final else set())[wave.pk]
        k = wave.survey.group_threshold()
        # When each respondent was first published: rescoring keeps it, so counts by
        # month of publication never move.
        first_published = dict(
            PublishedScore.objects.filter(wave=wave, measure=RESPONDENTS).values_list(
                "response_id", "published_on"
            )
        )
        if rescoring:
            counted = set(
                PublishedScore.objects.filter(wave=wave, measure=RESPONDENTS).values_list(
                    "response_id", flat=True
                )
            )
            live = {m: {r: member for r, member in s.items() if r in counted} for m, s in live.items()}
            PublishedScore.objects.filter(wave=wave).delete()
            published, history = {}, {}
        else:
            published = _published_states(wave.pk)
            history = _history(wave.pk)
        plan = WavePlan()
        for measure in sorted(set(live) | set(published)):
            before = published.get(measure, {})
            state, decision = plan_measure(before, live.get(measure, {}), k, history.get(measure, []))
            plan.states[measure], plan.decisions[measure] = state, decision
            plan.changed |= state != before
        if not plan.changed and not final and last is not None:
            if fingerprint and last.fingerprint != fingerprint:
                Publication.objects.filter(pk=last.pk).update(fingerprint=fingerprint)
            return None
        respondents = plan.states.get(RESPONDENTS, {})
        publication = Publication.objects.create(
            wave=wave,
            number=(last.number + 1) if last else 1,
            published_on=today,
            final=final,
            # Only the final count is said: while a wave is open it would move by one.
            left_out=last.left_out
            if rescoring
            else (len(set(live.get(RESPONDENTS, {})) - set(respondents)) if final else 0),
            fingerprint=fingerprint,
        )
        personal = set(
            wave.responses.filter(pk__in=list(respondents), source="link").values_list("pk", flat=True)
        )
        for measure, state in plan.states.items():
            before = published.get(measure, {})
            gone = [r for r in before if before[r] != state.get(r)]
            PublishedScore.objects.filter(wave=wave, measure=measure, response_id__in=gone).delete()
            _store_scores(
                (
                    wave.pk,
                    response,
                    member.cell,
                    member.self_reported,
                    response in personal,
                    measure,
                    member.score,
                    first_published.get(response, today),
                )
                for response, member in state.items()
                if before.get(response) != member
            )
            decision = plan.decisions[measure]
            PublishedTotal.objects.create(
                publication=publication, measure=measure, n=len(state), shown=decision.total_shown
            )
            PublishedCell.objects.bulk_create(
                PublishedCell(
                    publication=publication,
                    measure=measure,
                    department_id=cell,
                    n=n,
                    shown=cell in decision.shown,
                    self_reported=cell in decision.self_reported,
                )
                for cell, n in decision.sizes.items()
                if n > 0
            )
        # The same scores counted per cell and value: what the trend document reads.
        PublishedCount.objects.filter(wave=wave).delete()
        PublishedCount.objects.bulk_create(
            PublishedCount(wave=wave, measure=measure, department_id=cell, score=score, count=n)
            for measure, state in plan.states.items()
            for (cell, score), n in Counter((m.cell, m.score) for m in state.values()).items()
        )
        return publication


SCORE_COLUMNS = (
    "wave_id",
    "response_id",
    "department_id",
    "self_reported",
    "personal_link",
    "measure",
    "score",
    "published_on",
)


def _store_scores(rows) -> None:
    """Insert published scores (tuples in ``SCORE_COLUMNS`` order) without a model object
    each: COPY on PostgreSQL, one ``executemany`` elsewhere. A wave's first publication
    writes one row per respondent and measure (600,000 at 20,000 respondents), which
    ``bulk_create`` took half a minute to build and send."""
    from django.db import connections, router

    from reports.models import PublishedScore

    database = connections[router.db_for_write(PublishedScore)]
    table = PublishedScore._meta.db_table
    columns = ", ".join(SCORE_COLUMNS)
    with database.cursor() as cursor:
        if database.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # Table and column names are the model's own, never input; the values are parameters.
            marks = ", ".join(["%s"] * len(SCORE_COLUMNS))
            insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(insert, list(rows))


def publish_survey(survey, today=None, fingerprint: str = "") -> list:
    """Publish every wave of a survey that has started; returns the new publications.
    Idempotent: with nothing that may change, it writes nothing."""
    from django.utils import timezone

    today = today or timezone.localdate()
    now = timezone.now()
    waves = [w for w in survey.waves.order_by("opens", "pk") if w.opens <= now]
    from reports.models import Publication

    finished = set(Publication.objects.filter(wave__in=waves, final=True).values_list("wave_id", flat=True))
    waves = [w for w in waves if w.pk not in finished]
    if not waves:
        return []
    live = live_states(survey, [w.pk for w in waves], {w.pk for w in waves if w.closes <= now})
    made = []
    for wave in waves:
        publication = publish_wave(wave, today, live=live[wave.pk], fingerprint=fingerprint)
        if publication is not None:
            made.append(publication)
    return made


def _digest(parts) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:24]


def _rules(survey) -> list:
    from reports import queries

    return [queries.scoring_rules(survey), survey.group_threshold()]


def live_fingerprint(survey) -> str:
    """A short hash of what a publication is built from (responses, scoring rules, k).
    Answers edited in place do not change it: the ``publish_figures`` command (cron)
    picks those up. It counts the survey's responses, so pages ask for it at most every
    ``LIVE_CHECK_SECONDS`` (``ensure_published``)."""
    from reports import queries

    rules = _rules(survey)
    return f"{_digest(rules)[:12]}-{_digest([queries.responses_seen(survey), *rules])}"


def _rules_part(fingerprint: str) -> str:
    return fingerprint.split("-")[0]


PENDING_KEY = "reports:publication-requested:{}"
PENDING_SECONDS = 10 * 60  # how long a request to the publishing task holds readers back


def request_publication(survey) -> bool:
    """Enqueue the publication task unless one is already waiting (debounce)."""
    from django.core.cache import cache

    from reports.tasks import publish_figures

    if not cache.add(PENDING_KEY.format(survey.pk), True, PENDING_SECONDS):
        return False
    publish_figures.enqueue(survey.pk)
    return True


def publication_pending(survey) -> bool:
    """Whether the publishing task was asked to publish this survey in the last ten
    minutes and has not finished: asked by this process or another one (the cache is
    shared only with Redis; the database queue is seen by every process, the worker that
    ran an import included). Older requests no longer count, so readers publish
    themselves again when no worker is running."""
    from datetime import timedelta

    from django.apps import apps
    from django.core.cache import cache
    from django.utils import timezone

    if cache.get(PENDING_KEY.format(survey.pk)):
        return True
    if not apps.is_installed("django_tasks_db"):
        return False
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from reports.tasks import publish_figures

    return DBTaskResult.objects.filter(
        task_path=publish_figures.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        enqueued_at__gte=timezone.now() - timedelta(seconds=PENDING_SECONDS),
        args_kwargs__args__0=survey.pk,
    ).exists()


# A reader publishes waves of up to this many responses itself (a few seconds); larger
# ones (a 100,000-response import takes about a minute and a gigabyte) are left to the
# publishing task, so that a page request never does that work, nor several at once when
# no worker has run for a while. Commands and the monthly report publish any size
# (``publishing_any_size``).
INLINE_PUBLISH_MAX = 5_000
_ANY_SIZE: ContextVar[bool] = ContextVar("publish_any_size", default=False)


@contextmanager
def publishing_any_size():
    """Within: readers publish what is due whatever its size (a command, a task)."""
    token = _ANY_SIZE.set(True)
    try:
        yield
    finally:
        _ANY_SIZE.reset(token)


def ensure_published(survey) -> None:
    """Called on the read path: a wave never published, or closed but not yet final, is
    published now (the first read shows it) unless the publishing task has been asked to
    and not yet started (for ten minutes at most), or it holds more than
    ``INLINE_PUBLISH_MAX`` responses (the task is asked instead; the page shows what is
    published meanwhile), neither of which holds a command back (``publishing_any_size``);
    newer live data asks the task to publish. The same for final waves scored by rules
    changed since."""
    from django.core.cache import cache
    from django.utils import timezone

    now = timezone.now()
    waves, latest = _started(survey)
    if not waves:
        return
    due = [w for w in waves if w.pk not in latest or (w.closes <= now and not latest[w.pk].final)]
    if due:
        if _reader_publishes(survey, due):
            publish_survey(survey, fingerprint=live_fingerprint(survey))
    elif any(not p.final for p in latest.values()) and cache.add(
        LIVE_CHECK_KEY.format(survey.pk), True, LIVE_CHECK_SECONDS
    ):
        # Newer live data asks the task to publish. Counting the responses is the one
        # cost here that grows with the survey, so it runs at most every 30 seconds: the
        # next batch is published a little later, and the dashboard stays warm meanwhile.
        fingerprint = live_fingerprint(survey)
        if any(not p.final and p.fingerprint != fingerprint for p in latest.values()):
            request_publication(survey)
    # A scoring rule changed since a final publication: the same people, scored anew
    # (large waves by the publishing task, as above).
    stale = _rescoring_due(survey, waves, latest)
    if stale and _reader_publishes(survey, stale):
        rescore_final_waves(survey, stale)


def _started(survey) -> tuple[list, dict]:
    """The survey's waves that have opened, and the latest publication of each by wave id."""
    from django.utils import timezone

    from reports.models import Publication

    waves = [w for w in survey.waves.all() if w.opens <= timezone.now()]
    latest = {p.wave_id: p for p in Publication.objects.filter(wave__in=waves).order_by("wave_id", "number")}
    return waves, latest


def _reader_publishes(survey, waves) -> bool:
    """Whether this reader publishes these waves itself. Not while the publishing task has
    been asked to and not yet started (after an import, say: it publishes, and the page
    is spared a large wave meanwhile), nor when they hold more than
    ``INLINE_PUBLISH_MAX`` responses (the task is asked instead). A command publishes
    whatever the size, without waiting for the task."""
    from reports import queries

    if _ANY_SIZE.get():
        return True
    if publication_pending(survey):
        return False
    if queries.responses_in(waves) > INLINE_PUBLISH_MAX:
        request_publication(survey)
        return False
    return True


def _rescoring_due(survey, waves, latest) -> list:
    """The waves whose final publication was scored by other rules than today's."""
    rules = _digest(_rules(survey))[:12]
    return [
        wave
        for wave in waves
        if (final := latest.get(wave.pk)) is not None
        and final.final
        and _rules_part(final.fingerprint) != rules
    ]


def rescore_final_waves(survey, waves=None) -> list:
    """Publish again, scored by today's rules, every final wave (of ``waves``, or of the
    survey) whose final publication was scored by other rules; returns the new
    publications. Idempotent: a wave already rescored by another reader is checked again
    under its lock and left alone."""
    from django.utils import timezone

    if waves is None:
        waves = _rescoring_due(survey, *_started(survey))
    if not waves:
        return []
    fingerprint = live_fingerprint(survey)  # (it counts the survey's responses: once)
    made = []
    for wave in waves:
        publication = publish_wave(wave, timezone.localdate(), fingerprint=fingerprint, rescore=True)
        if publication is not None:
            made.append(publication)
    return made


LIVE_CHECK_KEY = "reports:live-data-checked:{}"
LIVE_CHECK_SECONDS = 30


ALL_CHECKED_KEY = "reports:all-surveys-published-checked"
ALL_CHECK_SECONDS = 30


def ensure_all_published(*, force: bool = False) -> None:
    """``ensure_published`` for every survey, for pages that read across surveys (home,
    coverage) and the monthly report. Pages check at most every 30 seconds, not on every
    view; ``force`` (the monthly report) always checks."""
    from django.core.cache import cache

    from reports import queries

    if not force and not cache.add(ALL_CHECKED_KEY, True, ALL_CHECK_SECONDS):
        return
    for survey in queries.surveys():
        ensure_published(survey)


def published_respondents(wave) -> int | None:
    """How many respondents the wave's latest publication counts, when that total is
    shown; else None (nothing published yet, or fewer than k). What the invitation page
    shows as "answered" for an anonymous survey: it moves only in whole batches, so it
    cannot be differenced before and after one person answers."""
    from reports.models import Publication, PublishedTotal

    ensure_published(wave.survey)
    latest = Publication.objects.filter(wave=wave).order_by("-number").first()
    if latest is None:
        return None
    total = PublishedTotal.objects.filter(publication=latest, measure=RESPONDENTS, shown=True).first()
    return total.n if total is not None else None
