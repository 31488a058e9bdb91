"""Migration 0012: every existing rating question gets its declared scale."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("surveys", "0011_survey_language")]
AFTER = [("surveys", "0012_declared_scales")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def back_to_the_latest_migrations():
    """Later tests need every table: migrate forward to the leaves again afterwards."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_rating_questions_get_their_declared_scale_labels_and_default_cut():
    old = migrate(BEFORE)
    Survey, Question = old.get_model("surveys", "Survey"), old.get_model("surveys", "Question")
    survey = Survey.objects.create(title="Old", slug="old-migration-0011")
    ids = {
        kind: Question.objects.create(survey=survey, text=kind, kind=kind, **extra).pk
        for kind, extra in [
            ("rating_5", {}),
            ("rating_7", {"low_label": "Very poor", "high_label": "Excellent"}),
            ("scale_10", {"low_label": "Not at all likely", "high_label": "Extremely likely"}),
            ("single", {}),
        ]
    }
    new = migrate(AFTER)
    Question = new.get_model("surveys", "Question")
    five, seven, ten, single = (
        Question.objects.get(pk=ids[k]) for k in ["rating_5", "rating_7", "scale_10", "single"]
    )
    assert (five.scale_low, five.scale_high) == (1, 5)
    assert five.scale_labels == [
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ]
    assert (seven.scale_low, seven.scale_high) == (1, 7)
    assert seven.scale_labels == ["Very poor", "", "", "", "", "", "Excellent"]
    assert (ten.scale_low, ten.scale_high) == (0, 10)
    assert ten.scale_labels[0] == "Not at all likely" and ten.scale_labels[-1] == "Extremely likely"
    assert single.scale_low is None and single.scale_labels == []
    # The favourable cut stays "the top two points of the declared scale" (empty).
    assert {five.favourable_from, seven.favourable_from, ten.favourable_from} == {None}
    survey.delete()
