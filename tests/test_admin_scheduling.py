"""Scheduling in the admin: draft, scheduled or published, on the newsroom's clock.

Editors enter and read publish times in settings.TIME_ZONE (America/New_York
by default); the database keeps UTC. At the spring clock change a time the
clocks skip is refused in plain words; at the autumn one a time that happens
twice counts as the first of the two, and the editor is told so.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from news.models import Development
from tests import factories
from tests.adminforms import change_form_data, changelist_data

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


@pytest.fixture
def layer():
    return factories.make_layer("Chips")


def changelist(client, **params):
    return client.get(reverse("admin:news_development_changelist"), params)


def add_development(client, layer, date, time, **fields):
    """Post the add form with a publish time as an editor types it."""
    url = reverse("admin:news_development_add")
    data = change_form_data(client.get(url)) | {
        "layer": [str(layer.pk)],
        "title": ["Fab opens"],
        "slug": ["fab-opens"],
        "category": ["Industry"],
        "body": ["A fab opened."],
        "published_at_0": [date],
        "published_at_1": [time],
    }
    return client.post(url, data | fields, follow=True)


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


# What state a development is in


def test_state_of_a_development():
    layer = factories.make_layer()
    draft = factories.add_development(layer, status=Development.Status.DRAFT)
    scheduled = factories.add_development(layer, published_at=at(2026, 12, 4, 14))
    published = factories.add_development(layer, published_at=at(2026, 12, 1))

    assert draft.state == Development.State.DRAFT
    assert scheduled.state == Development.State.SCHEDULED
    assert published.state == Development.State.PUBLISHED


def test_scheduled_development_is_published_once_its_time_comes(now):
    development = factories.add_development(
        factories.make_layer(), published_at=at(2026, 12, 4, 14)
    )
    now.move_to(at(2026, 12, 4, 14))

    assert development.state == Development.State.PUBLISHED


def test_list_shows_scheduled_item_with_its_go_live_time(editor, layer):
    factories.add_development(layer, "Fab opens", published_at=at(2026, 12, 4, 14))

    response = changelist(editor)

    assert "Scheduled · goes live 4 Dec 2026, 09:00 EST" in response.text


def test_list_shows_drafts_and_published_items(editor, layer):
    factories.add_development(layer, "Draft", status=Development.Status.DRAFT)
    factories.add_development(layer, "Out", published_at=at(2026, 12, 1, 17, 30))

    response = changelist(editor)

    assert "Draft · hidden from readers" in response.text
    assert "Published · 1 Dec 2026, 12:30 EST" in response.text


@pytest.mark.parametrize(
    ("state", "shown"),
    [("draft", "Held back"), ("scheduled", "Coming soon"), ("published", "Out now")],
)
def test_list_filters_by_state(editor, layer, state, shown):
    factories.add_development(layer, "Held back", status=Development.Status.DRAFT)
    factories.add_development(layer, "Coming soon", published_at=at(2026, 12, 9))
    factories.add_development(layer, "Out now", published_at=at(2026, 12, 1))

    response = changelist(editor, state=state)

    titles = {"Held back", "Coming soon", "Out now"}
    assert shown in response.text
    assert not any(title in response.text for title in titles - {shown})


def test_change_form_shows_the_state(editor, layer):
    development = factories.add_development(layer, published_at=at(2026, 12, 4, 14))

    response = editor.get(
        reverse("admin:news_development_change", args=[development.pk])
    )

    assert "Scheduled · goes live 4 Dec 2026, 09:00 EST" in response.text


# Entering times


def test_new_development_starts_at_the_current_time_in_new_york(editor):
    data = change_form_data(editor.get(reverse("admin:news_development_add")))

    assert data["published_at_0"] == ["2026-12-02"]
    assert data["published_at_1"] == ["10:00:00"]


def test_publish_time_help_names_the_time_zone(editor):
    response = editor.get(reverse("admin:news_development_add"))

    assert "Enter it in America/New_York (EST/EDT) time" in response.text


def test_publish_time_help_follows_the_time_zone_setting(editor, settings):
    settings.TIME_ZONE = "Europe/London"

    response = editor.get(reverse("admin:news_development_add"))

    assert "Enter it in Europe/London (GMT/BST) time" in response.text


@pytest.mark.parametrize(
    ("date", "time", "stored"),
    [
        ("2026-12-04", "09:00", at(2026, 12, 4, 14)),
        ("2026-07-04", "09:00", at(2026, 7, 4, 13)),
    ],
    ids=["winter", "summer"],
)
def test_time_entered_in_new_york_is_stored_in_utc(editor, layer, date, time, stored):
    add_development(editor, layer, date, time)

    assert Development.objects.get().published_at == stored


def test_change_form_shows_the_time_in_new_york(editor, layer):
    development = factories.add_development(layer, published_at=at(2026, 12, 4, 14))

    data = change_form_data(
        editor.get(reverse("admin:news_development_change", args=[development.pk]))
    )

    assert data["published_at_0"] == ["2026-12-04"]
    assert data["published_at_1"] == ["09:00:00"]


def test_time_the_clocks_skip_is_refused_in_plain_words(editor, layer):
    response = add_development(editor, layer, "2026-03-08", "02:30")

    assert response.status_code == 200
    assert (
        "8 Mar 2026, 02:30 does not exist in America/New_York (EST/EDT): the clocks "
        "go forward that night and skip it. Choose another time, such as 03:30 EDT."
    ) in response.text
    assert not Development.objects.exists()


def test_time_that_happens_twice_counts_as_the_first(editor, layer):
    response = add_development(editor, layer, "2026-11-01", "01:30")

    assert Development.objects.get().published_at == at(2026, 11, 1, 5, 30)
    assert (
        "1 Nov 2026, 01:30 happens twice in America/New_York (EST/EDT) because the "
        "clocks go back that night. It was saved as the first of the two, 01:30 EDT."
    ) in response.text


def test_unrelated_edit_keeps_the_second_of_a_repeated_time(editor, layer):
    second = at(2026, 11, 1, 6, 30)  # 01:30 EST, after the clocks went back
    development = factories.add_development(layer, published_at=second)
    url = reverse("admin:news_development_change", args=[development.pk])
    data = change_form_data(editor.get(url)) | {"title": ["Fab opens late"]}

    response = editor.post(url, data, follow=True)

    development.refresh_from_db()
    assert development.title == "Fab opens late"
    assert development.published_at == second
    assert "happens twice" not in response.text


def test_list_edit_can_hold_back_a_scheduled_item(editor, layer):
    development = factories.add_development(layer, published_at=at(2026, 12, 4, 14))
    url = reverse("admin:news_development_changelist")
    data = changelist_data(editor.get(url))
    data["form-0-status"] = [Development.Status.DRAFT]

    editor.post(url, data)

    development.refresh_from_db()
    assert development.state == Development.State.DRAFT


def test_list_names_the_zone_of_a_repeated_time(editor, layer):
    factories.add_development(layer, "Early", published_at=at(2026, 11, 1, 5, 30))
    factories.add_development(layer, "Late", published_at=at(2026, 11, 1, 6, 30))

    response = changelist(editor)

    assert "Published · 1 Nov 2026, 01:30 EDT" in response.text
    assert "Published · 1 Nov 2026, 01:30 EST" in response.text


def test_a_title_of_punctuation_alone_saves_with_a_made_up_address(editor, layer):
    response = add_development(
        editor, layer, "2026-12-01", "09:00", title=["!!!"], slug=[""]
    )

    assert response.status_code == 200
    development = Development.objects.get(title="!!!")
    assert development.slug == "item"
    assert editor.get(development.get_absolute_url()).status_code == 200
