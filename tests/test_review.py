"""Confidence and review: each score says how sure it is and when it is due
for another look; readers see both, and the admin lists overdue reviews."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from layers.admin import ScoreAdmin
from layers.models import REVIEW_PERIOD, Score, ScoreConfidence, Side
from tests.adminforms import change_form_data
from tests.factories import add_score, make_layer

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 12, 3)
LATEST = datetime.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def analyst(client, django_user_model):
    user = django_user_model.objects.create_user("analyst", is_staff=True)
    user.groups.add(Group.objects.get(name="Analysts"))
    client.force_login(user)
    return user


@pytest.fixture
def reviews():
    """Current scores overdue, due later, and an old overdue one replaced."""
    minerals = make_layer("Critical Minerals", position=1)
    power = make_layer("Power Infrastructure", position=2)
    replaced = add_score(minerals, Side.US, "2.5", as_of=datetime.date(2025, 1, 1))
    overdue = add_score(minerals, Side.US, "4.0", as_of=datetime.date(2026, 6, 1))
    due_today = add_score(minerals, Side.CHINA, "8.0", as_of=LATEST, review_due=TODAY)
    later = add_score(power, Side.US, "6.0", as_of=LATEST)
    return {
        "replaced": replaced,
        "overdue": overdue,
        "due_today": due_today,
        "later": later,
    }


# The model


def test_a_new_score_is_of_medium_confidence():
    score = add_score(make_layer(), Side.US, "4.0")

    assert score.confidence == ScoreConfidence.MEDIUM


def test_review_is_due_ninety_days_after_the_as_of_date():
    score = add_score(make_layer(), Side.US, "4.0", as_of=LATEST)

    assert score.review_due == datetime.date(2027, 3, 2)
    score.refresh_from_db()
    assert score.review_due == datetime.date(2027, 3, 2)


def test_review_date_can_be_set():
    score = add_score(make_layer(), Side.US, "4.0", as_of=LATEST, review_due=TODAY)

    score.refresh_from_db()
    assert score.review_due == TODAY


def test_scores_made_in_bulk_get_a_review_date_too():
    """The importer writes scores with bulk_create()."""
    layer = make_layer()
    Score.objects.bulk_create(
        [Score(layer=layer, side=Side.US, value=Decimal("4.0"), as_of=LATEST)]
    )

    assert Score.objects.get().review_due == LATEST + REVIEW_PERIOD


def test_overdue_means_current_and_past_its_date(reviews):
    overdue = Score.objects.overdue_for_review(TODAY)

    assert list(overdue) == [reviews["overdue"]]


# The layer page


def test_layer_page_shows_each_sides_confidence_and_review_date(client, reviews):
    Score.objects.filter(pk=reviews["overdue"].pk).update(
        confidence=ScoreConfidence.LOW
    )
    html = client.get("/layer/critical-minerals/").text

    review = html[html.index('class="scorecard__dated scorecard__review"') :]
    review = " ".join(review[: review.index("</p>")].split())
    assert "US &amp; Allies <strong" in review
    assert ">low</strong>, China <strong" in review
    assert ">medium</strong>." in review
    assert (
        'US &amp; Allies <time datetime="2026-08-30">30 August 2026</time> (overdue);'
        in review
    )
    assert 'China <time datetime="2026-12-03">3 December 2026</time>.' in review


def test_one_review_date_for_both_sides_is_given_once(client):
    layer = make_layer("Compute")
    add_score(layer, Side.US, "6.0", as_of=LATEST)
    add_score(layer, Side.CHINA, "5.0", as_of=LATEST)

    html = client.get(layer.get_absolute_url()).text

    assert (
        'Next review due <time datetime="2027-03-02">2 March 2027</time>.'
        in " ".join(html.split())
    )
    assert "(overdue)" not in html


def test_layer_page_without_scores_shows_no_confidence(client):
    layer = make_layer("Talent")

    html = client.get(layer.get_absolute_url()).text

    assert "scorecard__review" not in html


# The admin


def test_score_list_shows_confidence_review_date_and_state(client, analyst, reviews):
    html = client.get(reverse("admin:layers_score_changelist")).text

    assert '<td class="field-confidence">Medium</td>' in html
    assert '<td class="field-review_due nowrap">Aug. 30, 2026</td>' in html
    assert html.count('<td class="field-review_state">Overdue</td>') == 1
    assert html.count('<td class="field-review_state">Replaced</td>') == 1


def test_review_overdue_filter_lists_only_current_overdue_scores(
    client, analyst, reviews
):
    response = client.get(
        reverse("admin:layers_score_changelist"), {"review": "overdue"}
    )

    assert list(response.context["cl"].result_list) == [reviews["overdue"]]
    assert "Review overdue" in response.text


def test_current_scores_filter_leaves_out_replaced_ones(client, analyst, reviews):
    response = client.get(
        reverse("admin:layers_score_changelist"), {"review": "current"}
    )

    assert reviews["replaced"] not in response.context["cl"].result_list
    assert len(response.context["cl"].result_list) == 3


def test_score_list_costs_no_query_per_row(
    client, analyst, reviews, django_assert_max_num_queries
):
    for day in range(30):
        add_score(
            reviews["later"].layer,
            Side.CHINA,
            "5.0",
            as_of=datetime.date(2024, 1, 1) + datetime.timedelta(days=day),
        )
    url = reverse("admin:layers_score_changelist")

    with django_assert_max_num_queries(12):
        client.get(url)


def test_admin_index_counts_overdue_reviews(client, analyst, reviews):
    html = client.get(reverse("admin:index")).text

    assert (
        f'<a href="{reverse("admin:layers_score_changelist")}?review=overdue">'
        "1 score overdue for review</a>"
    ) in html


def test_admin_index_says_nothing_when_no_review_is_overdue(client, analyst):
    add_score(make_layer(), Side.US, "4.0", as_of=LATEST)

    html = client.get(reverse("admin:index")).text

    assert "overdue for review" not in html


def test_admin_index_count_is_only_for_those_who_see_scores(
    client, django_user_model, reviews
):
    editor = django_user_model.objects.create_user("editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)

    html = client.get(reverse("admin:index")).text

    assert "overdue for review" not in html


def test_analyst_sets_confidence_and_review_date(client, analyst, reviews):
    score = reviews["later"]
    url = reverse("admin:layers_score_change", args=[score.pk])
    data = change_form_data(client.get(url)) | {
        "confidence": ["high"],
        "review_due": ["2027-01-31"],
    }

    response = client.post(url, data)

    assert response.status_code == 302
    score.refresh_from_db()
    assert score.confidence == ScoreConfidence.HIGH
    assert score.review_due == datetime.date(2027, 1, 31)


def test_empty_review_date_in_the_admin_means_ninety_days(client, analyst):
    layer = make_layer()
    url = reverse("admin:layers_score_add")
    data = change_form_data(client.get(url)) | {
        "layer": [str(layer.pk)],
        "side": ["us"],
        "value": ["4.0"],
        "as_of": ["2026-12-02"],
        "rationale": ["Why."],
        "source": ["USGS"],
        "review_due": [""],
    }

    response = client.post(url, data)

    assert response.status_code == 302
    assert Score.objects.get().review_due == datetime.date(2027, 3, 2)


def test_score_admin_filters_by_review():
    assert ScoreAdmin.list_filter[0].parameter_name == "review"
