"""No lost updates: when two people edit the same thing, the second is told."""

import datetime
import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from layers.models import Layer, Metric, MetricValue, Score, Section, Side
from news.models import Development
from tests import factories
from tests.adminforms import change_form_data, changelist_data, field_names

pytestmark = pytest.mark.django_db

STALE = "changed this {} after you opened it, so your changes were not saved"


def admin_url(model, view, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def staff(django_user_model, username, group, first_name=""):
    user = django_user_model.objects.create_user(
        username, is_staff=True, first_name=first_name
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def ana(django_user_model):
    return signed_in(staff(django_user_model, "ana", "Analysts", "Ana"))


@pytest.fixture
def ben(django_user_model):
    return signed_in(staff(django_user_model, "ben", "Analysts", "Ben"))


@pytest.fixture
def eve(django_user_model):
    return signed_in(staff(django_user_model, "eve", "Editors", "Eve"))


@pytest.fixture
def ed(django_user_model):
    return signed_in(staff(django_user_model, "ed", "Editors", "Ed"))


@pytest.fixture
def layer():
    layer = factories.make_layer("Chips", summary="Who makes the chips.")
    factories.add_section(layer, "Fabs", body="Where the fabs are.")
    factories.add_section(layer, "Tools", body="Who sells the tools.")
    metric = factories.add_metric(layer, "Node share")
    factories.add_value(metric, Side.US, 10, unit="%")
    factories.add_scores(layer, 4, 6)
    return layer


def open_form(client, url):
    """Open an admin form and return what its Save button would post."""
    return change_form_data(client.get(url))


def inline_field(data, heading):
    """The prefix of the section inline row whose heading is ``heading``."""
    for name in field_names(data, "-heading"):
        if data[name] == [heading]:
            return name.removesuffix("heading")
    raise AssertionError(f"no section {heading!r} on the page")


def test_unchanged_layer_page_saves_as_rendered(ana, layer):
    url = admin_url(Layer, "change", layer.pk)

    response = ana.post(url, open_form(ana, url))

    assert response.status_code == 302


def test_second_save_of_a_layer_is_refused_and_the_first_stands(ana, ben, layer):
    url = admin_url(Layer, "change", layer.pk)
    first, second = open_form(ana, url), open_form(ben, url)
    first["summary"] = ["Taiwan makes most leading-edge chips."]
    second["measure"] = ["Share of leading-edge output"]

    assert ana.post(url, first).status_code == 302
    response = ben.post(url, second)

    assert response.status_code == 200
    assert STALE.format("layer") in response.text
    assert "It now reads:" in response.text
    assert "Taiwan makes most leading-edge chips." in response.text
    layer.refresh_from_db()
    assert layer.summary == "Taiwan makes most leading-edge chips."
    assert layer.measure == "How Chips is measured"


def test_refusal_names_who_saved_first(ana, ben, layer):
    url = admin_url(Layer, "change", layer.pk)
    first, second = open_form(ana, url), open_form(ben, url)
    first["summary"] = ["New summary."]
    second["summary"] = ["Other summary."]
    ana.post(url, first)

    response = ben.post(url, second)

    assert "Someone else (Ana, " in response.text


def test_save_after_reloading_goes_through(ana, ben, layer):
    url = admin_url(Layer, "change", layer.pk)
    first, second = open_form(ana, url), open_form(ben, url)
    first["summary"] = ["New summary."]
    second["measure"] = ["New measure"]
    ana.post(url, first)
    ben.post(url, second)
    reloaded = open_form(ben, url)
    reloaded["measure"] = ["New measure"]

    assert ben.post(url, reloaded).status_code == 302

    layer.refresh_from_db()
    assert (layer.summary, layer.measure) == ("New summary.", "New measure")


def test_second_save_of_a_section_inline_is_refused(ana, ben, layer):
    url = admin_url(Layer, "change", layer.pk)
    first, second = open_form(ana, url), open_form(ben, url)
    first[inline_field(first, "Fabs") + "body"] = ["Fabs in Taiwan and Arizona."]
    second[inline_field(second, "Fabs") + "body"] = ["Fabs in Korea."]

    assert ana.post(url, first).status_code == 302
    response = ben.post(url, second)

    assert response.status_code == 200
    assert STALE.format("section") in response.text
    assert "Fabs in Taiwan and Arizona." in response.text
    section = Section.objects.get(heading="Fabs")
    assert section.body == "Fabs in Taiwan and Arizona."


def test_edits_to_different_inline_rows_both_stand(ana, ben, layer):
    url = admin_url(Layer, "change", layer.pk)
    first, second = open_form(ana, url), open_form(ben, url)
    first[inline_field(first, "Fabs") + "body"] = ["Ana's fabs."]
    second[inline_field(second, "Tools") + "body"] = ["Ben's tools."]

    assert ana.post(url, first).status_code == 302
    assert ben.post(url, second).status_code == 302

    bodies = dict(Section.objects.values_list("heading", "body"))
    assert bodies == {"Fabs": "Ana's fabs.", "Tools": "Ben's tools."}


def test_layer_and_inline_edits_by_two_people_both_stand(ana, ben, layer):
    url = admin_url(Layer, "change", layer.pk)
    first, second = open_form(ana, url), open_form(ben, url)
    first["summary"] = ["Ana's summary."]
    second[inline_field(second, "Tools") + "body"] = ["Ben's tools."]

    assert ana.post(url, first).status_code == 302
    assert ben.post(url, second).status_code == 302

    layer.refresh_from_db()
    assert layer.summary == "Ana's summary."
    assert Section.objects.get(heading="Tools").body == "Ben's tools."


def test_second_save_of_a_metric_inline_is_refused(ana, ben, layer):
    url = admin_url(Layer, "change", layer.pk)
    first, second = open_form(ana, url), open_form(ben, url)
    (name,) = field_names(first, "-formula")
    first[name] = ["Output / world output"]
    second[name] = ["Wafers / world wafers"]

    ana.post(url, first)
    response = ben.post(url, second)

    assert STALE.format("metric") in response.text
    assert Metric.objects.get().formula == "Output / world output"


def test_second_save_of_a_metric_value_inline_is_refused(ana, ben, layer):
    metric = Metric.objects.get()
    url = admin_url(Metric, "change", metric.pk)
    first, second = open_form(ana, url), open_form(ben, url)
    (name,) = field_names(first, "-high")
    first[name], second[name] = ["11"], ["12"]

    ana.post(url, first)
    response = ben.post(url, second)

    assert STALE.format("metric value") in response.text
    assert MetricValue.objects.get().high == 11


def test_second_save_of_a_score_is_refused(ana, ben, layer):
    score = Score.objects.get(side=Side.US)
    url = admin_url(Score, "change", score.pk)
    first, second = open_form(ana, url), open_form(ben, url)
    first["value"], second["value"] = ["4.5"], ["3.5"]

    assert ana.post(url, first).status_code == 302
    response = ben.post(url, second)

    assert response.status_code == 200
    assert STALE.format("score") in response.text
    assert "value “4.5”" in response.text
    score.refresh_from_db()
    assert str(score.value) == "4.5"


def test_second_save_of_a_development_is_refused(eve, ed, layer):
    development = factories.add_development(layer, "Export rules tighten")
    url = admin_url(Development, "change", development.pk)
    first, second = open_form(eve, url), open_form(ed, url)
    first["title"] = ["Export rules tighten again"]
    second["body"] = ["Ed's account of the rules."]

    assert eve.post(url, first).status_code == 302
    response = ed.post(url, second)

    assert response.status_code == 200
    assert STALE.format("development") in response.text
    assert "Export rules tighten again" in response.text
    development.refresh_from_db()
    assert development.title == "Export rules tighten again"
    assert development.body != "Ed's account of the rules."


def test_second_list_edit_of_a_development_is_refused(eve, ed, layer):
    development = factories.add_development(layer, "Export rules tighten")
    listing = admin_url(Development, "changelist")
    rows = changelist_data(ed.get(listing))
    rows["form-0-status"] = [Development.Status.DRAFT]
    change = open_form(eve, admin_url(Development, "change", development.pk))
    change["title"] = ["Export rules tighten again"]
    eve.post(admin_url(Development, "change", development.pk), change)

    response = ed.post(listing, rows)

    assert response.status_code == 200
    assert STALE.format("development") in response.text
    development.refresh_from_db()
    assert development.status == Development.Status.LIVE


def test_list_edit_saves_when_nobody_else_changed_the_row(eve, layer):
    development = factories.add_development(layer, "Export rules tighten")
    listing = admin_url(Development, "changelist")
    data = changelist_data(eve.get(listing))
    data["form-0-status"] = [Development.Status.DRAFT]

    assert eve.post(listing, data).status_code == 302

    development.refresh_from_db()
    assert development.status == Development.Status.DRAFT


def test_second_list_edit_of_a_metric_position_is_refused(ana, ben, layer):
    listing = admin_url(Metric, "changelist")
    first, second = changelist_data(ana.get(listing)), changelist_data(ben.get(listing))
    first["form-0-position"], second["form-0-position"] = ["3"], ["5"]

    assert ana.post(listing, first).status_code == 302
    response = ben.post(listing, second)

    assert response.status_code == 200
    assert "Node share: Someone else (Ana, " in response.text
    assert Metric.objects.get().position == 3


def test_saving_an_untouched_form_leaves_the_version_alone(ana, layer):
    url = admin_url(Layer, "change", layer.pk)

    ana.post(url, open_form(ana, url))

    layer.refresh_from_db()
    assert layer.version == 1
    assert layer.history.count() == 1


def test_reverting_to_an_earlier_version_goes_through(ana, layer):
    url = admin_url(Layer, "change", layer.pk)
    data = open_form(ana, url)
    data["summary"] = ["A later summary."]
    ana.post(url, data)
    earliest = layer.history.earliest()
    revert_url = admin_url(Layer, "simple_history", layer.pk, earliest.history_id)

    response = ana.post(revert_url, change_form_data(ana.get(revert_url)))

    assert response.status_code == 302
    layer.refresh_from_db()
    assert layer.summary == "Who makes the chips."
    assert layer.version == 3


def test_reverting_over_someone_elses_save_is_refused(ana, ben, layer):
    url = admin_url(Layer, "change", layer.pk)
    earliest = layer.history.earliest()
    revert_url = admin_url(Layer, "simple_history", layer.pk, earliest.history_id)
    revert = change_form_data(ana.get(revert_url))
    data = open_form(ben, url)
    data["summary"] = ["Ben's summary."]
    ben.post(url, data)

    response = ana.post(revert_url, revert)

    assert STALE.format("layer") in response.text
    layer.refresh_from_db()
    assert layer.summary == "Ben's summary."


@pytest.mark.django_db(transaction=True)
def test_checks_run_inside_the_admins_transaction(admin_user, layer):
    """select_for_update() fails outside a transaction; the admin opens one."""
    client = signed_in(admin_user)
    factories.add_development(layer, "Export rules tighten")
    listing = admin_url(Development, "changelist")
    rows = changelist_data(client.get(listing))
    rows["form-0-status"] = [Development.Status.DRAFT]
    url = admin_url(Layer, "change", layer.pk)
    form = open_form(client, url)
    form["summary"] = ["Changed."]
    form[inline_field(form, "Fabs") + "body"] = ["Changed too."]

    assert client.post(listing, rows).status_code == 302
    assert client.post(url, form).status_code == 302

    assert Development.objects.get().status == Development.Status.DRAFT
    assert Section.objects.get(heading="Fabs").body == "Changed too."


def test_stale_message_shows_local_times(eve, ed, layer):
    development = factories.add_development(
        layer,
        "Export rules tighten",
        published_at=datetime.datetime(2026, 12, 4, 14, tzinfo=datetime.UTC),
    )
    url = admin_url(Development, "change", development.pk)
    first, second = open_form(eve, url), open_form(ed, url)
    first["title"], second["title"] = ["Eve's title"], ["Ed's title"]
    eve.post(url, first)

    response = ed.post(url, second)

    assert "publish time “4 Dec 2026, 09:00 EST”" in response.text


@pytest.mark.django_db(transaction=True)
def test_a_save_racing_another_waits_for_it_then_is_refused(
    django_user_model, monkeypatch
):
    """The first save holds the row locked until it commits."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; it runs one write at a time.")
    layer = factories.make_layer("Chips")
    url = admin_url(Layer, "change", layer.pk)
    clients = [
        signed_in(django_user_model.objects.create_superuser(name))
        for name in ("first", "second")
    ]
    forms = [open_form(client, url) for client in clients]
    forms[0]["summary"], forms[1]["summary"] = ["First."], ["Second."]
    saving, release = threading.Event(), threading.Event()
    save = Layer.save

    def paused_save(self, *args, **kwargs):
        if threading.current_thread().name == "first":
            saving.set()
            release.wait(10)
        save(self, *args, **kwargs)

    monkeypatch.setattr(Layer, "save", paused_save)
    responses = {}

    def post(name, client, data):
        try:
            responses[name] = client.post(url, data)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=post, name=name, args=(name, client, data))
        for name, client, data in zip(("first", "second"), clients, forms, strict=True)
    ]
    threads[0].start()
    assert saving.wait(10)
    threads[1].start()
    _wait_for_a_lock_wait()
    release.set()
    for thread in threads:
        thread.join(10)

    assert responses["first"].status_code == 302
    assert STALE.format("layer") in responses["second"].text
    layer.refresh_from_db()
    assert layer.summary == "First."


def _wait_for_a_lock_wait(timeout=10):
    """Return once some database session is waiting for a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the second save never waited for the first")
