"""Score bounds at the form and in the database, and who leads a layer."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from layers.admin import EARLY_REVIEW, FUTURE_SCORE, ScoreForm
from layers.models import EVEN, SCORE_MESSAGE, Layer, Score, Side, leader_of

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 2)


def make_layer(position=1, name="Critical Minerals"):
    return Layer.objects.create(
        name=name,
        slug=name.lower().replace(" ", "-"),
        position=position,
        summary="Summary.",
        measure="Refining capacity",
    )


def add_score(layer, side, value, as_of=DAY):
    return Score.objects.create(
        layer=layer, side=side, value=Decimal(value), as_of=as_of, rationale="Why."
    )


def score_form(value, **fields):
    layer = make_layer()
    return ScoreForm(
        data={
            "layer": layer.pk,
            "side": Side.US,
            "value": value,
            "as_of": "2026-12-02",
            "rationale": "Why.",
            "source": "Where the evidence comes from.",
            **fields,
        }
    )


def test_form_refuses_a_score_dated_after_today():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    form = score_form("5.0", as_of=tomorrow.isoformat())

    assert not form.is_valid()
    assert form.errors == {"as_of": [FUTURE_SCORE]}


def test_form_accepts_a_score_dated_today():
    form = score_form("5.0", as_of=timezone.localdate().isoformat())

    assert form.is_valid(), form.errors


def test_form_refuses_a_review_due_before_the_score_date():
    form = score_form("5.0", as_of="2026-12-02", review_due="2026-11-15")

    assert not form.is_valid()
    assert form.errors == {"review_due": [EARLY_REVIEW]}


@pytest.mark.parametrize("value", ["-0.1", "10.1", "4.05", "11", "100", "ten"])
def test_form_rejects_score_outside_scale_in_plain_words(value):
    form = score_form(value)

    assert not form.is_valid()
    assert form.errors == {"value": [SCORE_MESSAGE]}


@pytest.mark.parametrize("value", ["0", "10", "7.3", "0.0", "10.0"])
def test_form_accepts_score_on_scale(value):
    form = score_form(value)

    assert form.is_valid(), form.errors
    assert form.save().value == Decimal(value)


@pytest.mark.parametrize("value", ["-0.1", "10.1"])
def test_database_refuses_out_of_range_score_on_create(value):
    layer = make_layer()

    with pytest.raises(IntegrityError), transaction.atomic():
        add_score(layer, Side.US, value)


def test_database_refuses_out_of_range_score_on_update():
    score = add_score(make_layer(), Side.US, "5.0")

    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.filter(pk=score.pk).update(value=Decimal("10.5"))


@pytest.mark.parametrize(
    ("us", "china", "leader"),
    [
        (Decimal("8.0"), Decimal("4.0"), "US & Allies"),
        (Decimal("4.0"), Decimal("8.0"), "China"),
        (Decimal("6.5"), Decimal("6.5"), EVEN),
        (None, Decimal("6.5"), None),
        (Decimal("6.5"), None, None),
    ],
)
def test_leader_of_names_higher_side(us, china, leader):
    assert leader_of(us, china) == leader


def test_layer_leader_follows_latest_scores():
    layer = make_layer()
    add_score(layer, Side.US, "9.0", as_of=DAY - datetime.timedelta(days=30))
    add_score(layer, Side.CHINA, "5.0", as_of=DAY - datetime.timedelta(days=30))
    add_score(layer, Side.US, "4.0")
    add_score(layer, Side.CHINA, "6.0")

    assert layer.leader == "China"


def test_layer_leader_is_even_on_a_tie():
    layer = make_layer()
    add_score(layer, Side.US, "9.0", as_of=DAY - datetime.timedelta(days=30))
    add_score(layer, Side.US, "7.0")
    add_score(layer, Side.CHINA, "7.0")

    assert layer.leader == EVEN


def test_annotated_layer_leader_is_even_on_a_tie():
    layer = make_layer()
    add_score(layer, Side.US, "7.0")
    add_score(layer, Side.CHINA, "7.0")

    annotated = Layer.objects.with_current_scores().get(pk=layer.pk)

    assert annotated.leader == EVEN


def test_layer_without_both_scores_has_no_leader():
    layer = make_layer()
    add_score(layer, Side.US, "7.0")

    assert layer.leader is None
