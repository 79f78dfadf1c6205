"""Why a score moved: scores link the developments behind them, and both pages
show the link, to published developments only."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from layers.models import Score, Side
from news.models import Development
from tests.adminforms import change_form_data
from tests.factories import add_development, add_score, make_layer

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.UTC)
FIRST = datetime.date(2025, 3, 1)
LATEST = datetime.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def moved():
    """A US score that went from 2.5 to 4.0, linked to news of every state."""
    layer = make_layer("Critical Minerals")
    add_score(layer, Side.US, "2.5", as_of=FIRST)
    add_score(layer, Side.CHINA, "8.0", as_of=FIRST)
    score = add_score(layer, Side.US, "4.0", as_of=LATEST, rationale="New mines.")
    public = add_development(layer, "Texas refinery opens", now=NOW, days_ago=2)
    draft = add_development(
        layer, "Draft on gallium", status=Development.Status.DRAFT, now=NOW
    )
    scheduled = add_development(layer, "Scheduled on germanium", now=NOW, days_ago=-2)
    score.developments.add(public, draft, scheduled)
    return {
        "layer": layer,
        "score": score,
        "public": public,
        "draft": draft,
        "scheduled": scheduled,
    }


def history_row(html, as_of):
    """The history table's row for the score dated ``as_of``."""
    rows = re.findall(r'<tr class="history-table__row[^"]*">(.*?)</tr>', html, re.S)
    return next(row for row in rows if f'datetime="{as_of.isoformat()}"' in row)


def score_changes_of(html):
    start = html.find('<section id="score-changes"')
    if start == -1:
        return ""
    return html[start : html.index("</section>", start)]


# The layer page


def test_history_row_links_the_developments_behind_the_score(client, moved):
    html = client.get(moved["layer"].get_absolute_url()).text

    row = history_row(html, LATEST)
    assert "Prompted by" in row
    assert (
        f'<a href="{moved["public"].get_absolute_url()}">Texas refinery opens</a>'
        in row
    )


def test_history_never_links_drafts_or_scheduled_developments(client, moved):
    html = client.get(moved["layer"].get_absolute_url()).text

    assert "Draft on gallium" not in html
    assert "Scheduled on germanium" not in html
    assert moved["draft"].get_absolute_url() not in html


def test_history_row_without_links_says_nothing_of_them(client, moved):
    html = client.get(moved["layer"].get_absolute_url()).text

    assert "Prompted by" not in history_row(html, FIRST)


def test_scheduled_development_is_linked_once_it_is_published(client, moved):
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        html = client.get(moved["layer"].get_absolute_url()).text

    assert "Scheduled on germanium" in history_row(html, LATEST)


# The development page


def test_development_page_shows_the_score_change_it_prompted(client, moved):
    html = client.get(moved["public"].get_absolute_url()).text

    changes = score_changes_of(html)
    assert "Score changes this prompted" in changes
    assert "Critical Minerals" in changes
    assert "US &amp; Allies" in changes
    assert '<span class="change__from">2.5</span>' in changes
    assert '<span class="change__to">4.0</span>' in changes
    assert "up 1.5" in changes
    assert f'href="{moved["layer"].get_absolute_url()}#history"' in changes


def test_first_score_reads_as_first_on_the_development_page(client, moved):
    first = Score.objects.get(side=Side.CHINA)
    first.developments.add(moved["public"])

    changes = score_changes_of(client.get(moved["public"].get_absolute_url()).text)

    assert "First score" in changes
    assert '<span class="change__to">8.0</span>' in changes


def test_development_without_links_shows_no_score_changes(client, moved):
    other = add_development(moved["layer"], "Unrelated", now=NOW, days_ago=5)

    html = client.get(other.get_absolute_url()).text

    assert score_changes_of(html) == ""


def test_draft_development_page_stays_hidden_from_readers(client, moved):
    assert client.get(moved["draft"].get_absolute_url()).status_code == 404


# The admin


def test_analyst_links_developments_to_a_score(client, moved, django_user_model):
    analyst = django_user_model.objects.create_user("analyst", is_staff=True)
    analyst.groups.add(Group.objects.get(name="Analysts"))
    client.force_login(analyst)
    score = Score.objects.get(side=Side.CHINA)
    url = reverse("admin:layers_score_change", args=[score.pk])
    page = client.get(url)
    data = change_form_data(page) | {"developments": [str(moved["public"].pk)]}

    response = client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    assert list(score.developments.all()) == [moved["public"]]


def test_score_form_offers_developments_by_search(admin_client, moved):
    page = admin_client.get(
        reverse("admin:layers_score_change", args=[moved["score"].pk])
    )

    assert 'name="developments"' in page.text
    assert "admin-autocomplete" in page.text


def test_development_search_for_the_score_form_answers(admin_client, moved):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "layers",
            "model_name": "score",
            "field_name": "developments",
            "term": "Texas",
        },
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Texas refinery opens"]
