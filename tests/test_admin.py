"""The admin: every page opens, only staff get in, analysts keep scores,
and every change is on record."""

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from charts.models import Chart, ChartPage
from layers.admin import SOURCE_REQUIRED, ScoreRecordInline
from layers.concurrency import VersionedAdminMixin, VersionedForm, VersionedInlineMixin
from layers.models import (
    SCORE_MESSAGE,
    Layer,
    Metric,
    MetricValue,
    Page,
    Score,
    Section,
    Side,
)
from news.models import Development
from tests.adminforms import change_form_data, changelist_data, field_names

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 2)
# django-axes' sign-in records are read-only; tests/test_lockout.py covers them.
REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label != "axes"),
    key=lambda model: model._meta.label,
)
# The tracker's own models, not Django's accounts or the login-attempt log.
OURS = [model for model in REGISTERED if model._meta.app_label not in ("auth", "axes")]
WITH_HISTORY = [
    model
    for model in REGISTERED
    if isinstance(admin.site._registry[model], SimpleHistoryAdmin)
]


def make_layer(position=1, name="Critical Minerals"):
    return Layer.objects.create(
        name=name,
        slug=name.lower().replace(" ", "-"),
        position=position,
        summary="Who refines the minerals chips need.",
        measure="Net refining capacity",
        internal_notes="Check the 2026 survey.",
    )


def add_score(layer, side, value, as_of=DAY):
    return Score.objects.create(
        layer=layer, side=side, value=Decimal(value), as_of=as_of, rationale="Why."
    )


def make_content():
    """One of every kind of row the admin edits."""
    layer = make_layer()
    Section.objects.create(layer=layer, heading="Concentration risk", body="Text.")
    metric = Metric.objects.create(layer=layer, name="Refining share", formula="a/b")
    MetricValue.objects.create(metric=metric, side=Side.US, low=10, high=12, unit="%")
    add_score(layer, Side.US, "4.0")
    add_score(layer, Side.CHINA, "8.0")
    Page.objects.create(slug=Page.STATE_OF_THE_STACK, title="State", body="Text.")
    Development.objects.create(
        layer=layer, title="Lithium plan", body="Text.", category="Policy"
    )
    Group.objects.get_or_create(name="Reviewers")
    page = ChartPage.objects.create(layer=layer, slug="capacity", title="Capacity")
    Chart.objects.create(
        layer=layer,
        page=page,
        kind="ranked",
        title="Refining shares",
        slug="refining-shares",
        data="label | value\nChina | 92",
        sources="IEA (2025)",
    )
    return layer


def admin_url(model, view, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def score_post_data(score, **changes):
    data = {
        "layer": score.layer_id,
        "side": score.side,
        "value": str(score.value),
        "as_of": score.as_of.isoformat(),
        "rationale": score.rationale,
        "source": score.source,
        "loaded_version": score.version,
    }
    return data | changes


@pytest.fixture
def analyst(django_user_model):
    user = django_user_model.objects.create_user("analyst", is_staff=True)
    user.groups.add(Group.objects.get(name="Analysts"))
    return user


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_opens(admin_client, model):
    make_content()

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_add_page_opens(admin_client, model):
    make_content()

    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_change_page_opens(admin_client, model):
    make_content()
    obj = model._default_manager.first()

    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", WITH_HISTORY, ids=lambda m: m._meta.label)
def test_history_page_opens(admin_client, model):
    make_content()
    obj = model._default_manager.first()

    assert admin_client.get(admin_url(model, "history", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", WITH_HISTORY, ids=lambda m: m._meta.label)
def test_earlier_version_page_opens(admin_client, model):
    make_content()
    obj = model._default_manager.first()
    version = obj.history.earliest()
    url = admin_url(model, "simple_history", obj.pk, version.history_id)

    assert admin_client.get(url).status_code == 200


def test_admin_pages_need_staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader"))
    url = admin_url(Score, "changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


def test_admin_pages_need_sign_in(client):
    url = admin_url(Layer, "changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_layer_list_shows_current_scores_and_leader(admin_client):
    layer = make_layer()
    add_score(layer, Side.US, "9.0", as_of=DAY - datetime.timedelta(days=30))
    add_score(layer, Side.US, "4.0")
    add_score(layer, Side.CHINA, "8.0")

    response = admin_client.get(admin_url(Layer, "changelist"))

    assert '<td class="field-us_score">4.0</td>' in response.text
    assert '<td class="field-china_score">8.0</td>' in response.text
    assert '<td class="field-leader">China</td>' in response.text


def test_layer_list_queries_do_not_grow_with_layers(admin_client):
    url = admin_url(Layer, "changelist")
    for position in (1, 2):
        add_score(make_layer(position, f"Layer {position}"), Side.US, "5.0")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for position in (3, 4, 5, 6):
        add_score(make_layer(position, f"Layer {position}"), Side.US, "5.0")

    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)

    assert len(many) == len(few)


def test_layer_change_page_hides_internal_notes_in_labelled_fold(admin_client):
    layer = make_layer()

    response = admin_client.get(admin_url(Layer, "change", layer.pk))

    assert "Internal notes (not shown to readers)" in response.text
    assert "View on site" in response.text


def test_score_inline_lists_newest_first(admin_user):
    layer = make_layer()
    old = add_score(layer, Side.US, "3.0", as_of=DAY - datetime.timedelta(days=60))
    new = add_score(layer, Side.CHINA, "6.0")
    middle = add_score(layer, Side.US, "5.0", as_of=DAY - datetime.timedelta(days=1))
    request = RequestFactory().get("/")
    request.user = admin_user

    scores = ScoreRecordInline(Layer, admin.site).get_queryset(request)

    assert list(scores) == [new, middle, old]


def test_analyst_changes_a_score(client, analyst):
    score = add_score(make_layer(), Side.US, "4.0")
    client.force_login(analyst)

    response = client.post(
        admin_url(Score, "change", score.pk), score_post_data(score, value="6.5")
    )

    assert response.status_code == 302
    listing = client.get(admin_url(Layer, "changelist"))
    assert '<td class="field-us_score">6.5</td>' in listing.text


def test_analyst_sees_plain_message_for_score_off_scale(client, analyst):
    score = add_score(make_layer(), Side.US, "4.0")
    client.force_login(analyst)

    response = client.post(
        admin_url(Score, "change", score.pk), score_post_data(score, value="4.05")
    )

    assert response.status_code == 200
    assert SCORE_MESSAGE in response.text
    score.refresh_from_db()
    assert score.value == Decimal("4.0")


def test_score_change_is_kept_in_history(admin_client):
    score = add_score(make_layer(), Side.US, "4.0")

    admin_client.post(
        admin_url(Score, "change", score.pk), score_post_data(score, value="6.5")
    )

    assert [h.value for h in score.history.all()] == [Decimal("6.5"), Decimal("4.0")]


def test_development_list_filters_by_status(admin_client):
    layer = make_layer()
    Development.objects.create(
        layer=layer, title="Live item", body=".", category="Trade"
    )
    Development.objects.create(
        layer=layer,
        title="Draft item",
        body=".",
        category="Trade",
        status=Development.Status.DRAFT,
        published_at=timezone.now(),
    )

    response = admin_client.get(
        admin_url(Development, "changelist"), {"status__exact": "draft"}
    )

    assert "Draft item" in response.text
    assert "Live item" not in response.text


def test_ensure_admin_creates_superuser_with_printed_password():
    out = StringIO()

    call_command("ensure_admin", stdout=out)

    password = re.search(r"password: (\S+)", out.getvalue()).group(1)
    request = RequestFactory().post("/admin/login/")
    user = authenticate(request, username="admin", password=password)
    assert user is not None
    assert user.is_superuser


def test_ensure_admin_leaves_existing_superuser_alone(django_user_model):
    django_user_model.objects.create_superuser("editor-in-chief", password="x")
    out = StringIO()

    call_command("ensure_admin", stdout=out)

    assert "password" not in out.getvalue()
    assert django_user_model.objects.count() == 1


# Every list can be searched and filtered, and every object opened on the site.


@pytest.mark.parametrize("model", OURS, ids=lambda m: m._meta.label)
def test_every_list_has_search_and_filters(model):
    model_admin = admin.site._registry[model]

    assert model_admin.search_fields
    assert model_admin.list_filter


@pytest.mark.parametrize("model", OURS, ids=lambda m: m._meta.label)
def test_every_admin_refuses_stale_edits(rf, admin_user, model):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = admin_user

    assert isinstance(model_admin, VersionedAdminMixin)
    assert issubclass(model_admin.form, VersionedForm)
    for inline in model_admin.get_inline_instances(request):
        if inline.has_add_permission(request, None) or inline.has_change_permission(
            request
        ):
            assert issubclass(inline.form, VersionedForm), inline
            assert isinstance(inline, VersionedInlineMixin), inline


@pytest.mark.parametrize(
    "model", [Layer, Section, Metric, Score, Page, Development], ids=str
)
def test_change_page_links_to_the_object_on_the_site(admin_client, model):
    make_content()
    obj = model._default_manager.first()

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert "View on site" in response.text


def test_search_finds_layers_by_summary(admin_client):
    make_layer(1, "Critical Minerals")
    Layer.objects.create(
        name="Chips", slug="chips", position=2, summary="Fabs.", measure="Nodes"
    )

    response = admin_client.get(admin_url(Layer, "changelist"), {"q": "refine"})

    assert "Critical Minerals" in response.text
    assert ">Chips<" not in response.text


def test_layer_list_filters_by_leader(admin_client):
    china_led = make_layer(1, "Critical Minerals")
    add_score(china_led, Side.US, "4.0")
    add_score(china_led, Side.CHINA, "8.0")
    us_led = make_layer(2, "Chips")
    add_score(us_led, Side.US, "8.0")
    add_score(us_led, Side.CHINA, "5.0")

    response = admin_client.get(admin_url(Layer, "changelist"), {"leader": "us"})

    assert ">Chips<" in response.text
    assert "Critical Minerals" not in response.text


def test_metric_range_the_wrong_way_round_is_explained(client, analyst):
    layer = make_content()
    metric = Metric.objects.get(layer=layer)
    url = admin_url(Metric, "change", metric.pk)
    client.force_login(analyst)
    data = change_form_data(client.get(url))
    (low,) = field_names(data, "-low")
    data[low] = ["20"]

    response = client.post(url, data)

    assert "The low end of the range is above the high end." in response.text
    assert "Constraint" not in response.text


def test_page_change_form_previews_markdown_sanitized(admin_client):
    page = Page.objects.create(
        slug="about", title="About", body="Read **this**.<script>alert(1)</script>"
    )

    response = admin_client.get(admin_url(Page, "change", page.pk))

    assert "Read <strong>this</strong>." in response.text
    assert "<script>alert(1)" not in response.text


# Scores: a new assessment is a new score; earlier ones stay.


def test_layer_page_shows_existing_scores_read_only(client, analyst):
    layer = make_content()
    client.force_login(analyst)

    response = client.get(admin_url(Layer, "change", layer.pk))

    data = change_form_data(response)
    assert not field_names(data, "-value")
    assert not field_names(data, "-DELETE")
    assert "Add another Score" in response.text


def test_analyst_adds_a_new_score_on_the_layer_page(client, analyst):
    layer = make_content()
    old = Score.objects.get(layer=layer, side=Side.US)
    url = admin_url(Layer, "change", layer.pk)
    client.force_login(analyst)
    data = change_form_data(client.get(url)) | new_score_row(
        side=Side.US, value="5.5", rationale="New fabs.", source="SIA 2026"
    )

    response = client.post(url, data)

    assert response.status_code == 302
    assert layer.current_score(Side.US).value == Decimal("5.5")
    assert Score.objects.get(pk=old.pk).value == old.value
    assert layer.scores.count() == 3


def test_new_score_without_a_source_is_refused_in_plain_words(client, analyst):
    layer = make_content()
    url = admin_url(Layer, "change", layer.pk)
    client.force_login(analyst)
    data = change_form_data(client.get(url)) | new_score_row(
        side=Side.US, value="5.5", rationale="New fabs.", source=" "
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert SOURCE_REQUIRED in response.text
    assert layer.scores.count() == 2


def test_new_score_off_the_scale_is_refused_in_plain_words(client, analyst):
    layer = make_content()
    url = admin_url(Layer, "change", layer.pk)
    client.force_login(analyst)
    data = change_form_data(client.get(url)) | new_score_row(
        side=Side.US, value="11", rationale="Too high.", source="Nobody"
    )

    response = client.post(url, data)

    assert SCORE_MESSAGE in response.text
    assert layer.scores.count() == 2


def test_score_add_page_needs_a_source(client, analyst):
    layer = make_layer()
    client.force_login(analyst)

    response = client.post(
        admin_url(Score, "add"),
        {
            "layer": layer.pk,
            "side": Side.US,
            "value": "5.0",
            "as_of": DAY.isoformat(),
            "rationale": "Why.",
            "source": "",
        },
    )

    assert SOURCE_REQUIRED in response.text
    assert not Score.objects.exists()


def test_existing_score_keeps_an_empty_source_when_corrected(client, analyst):
    score = add_score(make_layer(), Side.US, "4.0")
    client.force_login(analyst)

    response = client.post(
        admin_url(Score, "change", score.pk), score_post_data(score, value="4.1")
    )

    assert response.status_code == 302


def test_analyst_cannot_delete_a_score(client, analyst):
    score = add_score(make_layer(), Side.US, "4.0")
    client.force_login(analyst)

    get = client.get(admin_url(Score, "delete", score.pk))
    post = client.post(admin_url(Score, "delete", score.pk), {"post": "yes"})

    assert (get.status_code, post.status_code) == (403, 403)
    assert Score.objects.filter(pk=score.pk).exists()


def new_score_row(**values):
    """A filled-in "Add another Score" row on the layer page."""
    row = {f"scores-2-0-{name}": [value] for name, value in values.items()}
    row["scores-2-0-as_of"] = [DAY.isoformat()]
    return row | {"scores-2-TOTAL_FORMS": ["1"]}


# History: who changed what, and when, for every edit.


def test_layer_history_shows_who_changed_which_fields(client, analyst):
    layer = make_content()
    url = admin_url(Layer, "change", layer.pk)
    client.force_login(analyst)
    data = change_form_data(client.get(url))
    data["measure"] = ["Share of world refining"]
    client.post(url, data)

    response = client.get(admin_url(Layer, "history", layer.pk))

    row = history_rows(response.text)[0]
    assert "analyst" in row
    assert "Measure:" in row
    assert "Share of world refining" in row


def test_inline_section_edit_is_recorded_with_its_author(client, analyst):
    layer = make_content()
    section = Section.objects.get(layer=layer)
    url = admin_url(Layer, "change", layer.pk)
    client.force_login(analyst)
    data = change_form_data(client.get(url))
    (body,) = field_names(data, "-body")
    data[body] = ["Refining is concentrated."]
    client.post(url, data)

    response = client.get(admin_url(Section, "history", section.pk))

    assert section.history.first().history_user == analyst
    row = history_rows(response.text)[0]
    assert "analyst" in row
    assert "Body:" in row
    assert "Refining is concentrated." in row


def test_new_score_on_the_layer_page_is_recorded_with_its_author(client, analyst):
    layer = make_content()
    url = admin_url(Layer, "change", layer.pk)
    client.force_login(analyst)
    data = change_form_data(client.get(url)) | new_score_row(
        side=Side.CHINA, value="8.5", rationale="More plants.", source="USGS"
    )
    client.post(url, data)

    score = layer.current_score(Side.CHINA)
    assert score.history.get().history_user == analyst


def test_list_edit_is_recorded_with_its_author(admin_client, admin_user):
    make_content()
    development = Development.objects.get()
    listing = admin_url(Development, "changelist")
    data = changelist_data(admin_client.get(listing))
    data["form-0-status"] = [Development.Status.DRAFT]
    admin_client.post(listing, data)

    response = admin_client.get(admin_url(Development, "history", development.pk))

    row = history_rows(response.text)[0]
    assert "admin" in row
    assert "Status:" in row


def test_history_leaves_out_bookkeeping_fields(client, analyst):
    layer = make_content()
    url = admin_url(Layer, "change", layer.pk)
    client.force_login(analyst)
    data = change_form_data(client.get(url))
    data["measure"] = ["Share of world refining"]
    client.post(url, data)

    response = client.get(admin_url(Layer, "history", layer.pk))

    row = history_rows(response.text)[0]
    assert "Version:" not in row
    assert "Updated at:" not in row


def history_rows(html):
    """The rows of a history page's table, newest first, as text."""
    body = html.split('<table id="change-history"', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"<[^>]+>", " ", row) for row in body.split("<tr>")[2:]]


def test_the_new_score_form_lays_out_every_field_of_a_score():
    from layers.admin import NewScoreInline, ScoreForm

    laid_out = set()
    for _name, options in NewScoreInline.fieldsets:
        for line in options["fields"]:
            laid_out.update(line if isinstance(line, tuple) else [line])

    assert laid_out == set(ScoreForm.Meta.fields) - {"layer"}
