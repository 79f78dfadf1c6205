"""The admin: every page opens, only staff get in, and analysts keep scores."""

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

from layers.admin import ScoreInline
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

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 2)
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
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

    scores = ScoreInline(Layer, admin.site).get_queryset(request)

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
    user = authenticate(username="admin", password=password)
    assert user is not None
    assert user.is_superuser


def test_ensure_admin_leaves_existing_superuser_alone(django_user_model):
    django_user_model.objects.create_superuser("editor-in-chief", password="x")
    out = StringIO()

    call_command("ensure_admin", stdout=out)

    assert "password" not in out.getvalue()
    assert django_user_model.objects.count() == 1
