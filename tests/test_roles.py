"""Analysts keep the stack, editors write the news, and neither runs accounts."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from layers.models import Layer, Metric, MetricValue, Page, Score, Section, Side
from news.models import Development
from tests import factories
from tests.adminforms import change_form_data, field_names

pytestmark = pytest.mark.django_db

ANALYSTS_WORK = [Layer, Section, Metric, Score, Page]
EDITORS_WORK = [Development]
ACCOUNTS = [User, Group]


def admin_url(model, view, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def member_of(django_user_model, group):
    user = django_user_model.objects.create_user(group.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def analyst(client, django_user_model):
    client.force_login(member_of(django_user_model, "Analysts"))
    return client


@pytest.fixture
def editor(client, django_user_model):
    client.force_login(member_of(django_user_model, "Editors"))
    return client


@pytest.fixture
def content():
    layer = factories.make_layer("Critical Minerals")
    factories.add_section(layer, "Refining")
    metric = factories.add_metric(layer, "Refining share")
    factories.add_value(metric, Side.US, 10, unit="%")
    factories.add_scores(layer, 3, 8)
    factories.add_development(layer, "Export controls on gallium")
    factories.make_state_of_the_stack()
    return layer


def any_object(model):
    return model._default_manager.order_by("pk").first()


def post_form(client, url, **changes):
    """Open an admin form, change some fields, and save it."""
    data = change_form_data(client.get(url))
    data.update({name: [value] for name, value in changes.items()})
    return client.post(url, data)


# Analysts


@pytest.mark.parametrize("model", ANALYSTS_WORK, ids=str)
def test_analyst_opens_add_and_change_pages(analyst, content, model):
    add = analyst.get(admin_url(model, "add"))
    change = analyst.get(admin_url(model, "change", any_object(model).pk))

    assert (add.status_code, change.status_code) == (200, 200)
    assert 'name="_save"' in change.text


def test_analyst_adds_a_layer(analyst, content):
    response = post_form(
        analyst,
        admin_url(Layer, "add"),
        name="Chips",
        slug="chips",
        position="2",
        summary="Who makes them.",
        measure="Leading-edge output",
    )

    assert response.status_code == 302
    assert Layer.objects.filter(slug="chips").exists()


def test_analyst_changes_a_layer_with_its_sections_and_metrics(analyst, content):
    url = admin_url(Layer, "change", content.pk)
    data = change_form_data(analyst.get(url))
    data["summary"] = ["Who refines the minerals."]
    (body,) = field_names(data, "-body")
    (formula,) = field_names(data, "-formula")
    data[body], data[formula] = ["Concentrated."], ["Refined / mined"]

    assert analyst.post(url, data).status_code == 302

    content.refresh_from_db()
    assert content.summary == "Who refines the minerals."
    assert Section.objects.get().body == "Concentrated."
    assert Metric.objects.get().formula == "Refined / mined"


def test_analyst_adds_a_section(analyst, content):
    response = post_form(
        analyst,
        admin_url(Section, "add"),
        layer=str(content.pk),
        heading="Stockpiles",
        body="Who holds them.",
    )

    assert response.status_code == 302
    assert Section.objects.filter(heading="Stockpiles").exists()


def test_analyst_adds_a_metric_and_changes_its_figures(analyst, content):
    response = post_form(
        analyst, admin_url(Metric, "add"), layer=str(content.pk), name="Reserves"
    )
    metric = Metric.objects.get(name="Refining share")
    changed = post_form(
        analyst,
        admin_url(Metric, "change", metric.pk),
        **{"values-0-low": "12", "values-0-high": "14"},
    )

    assert (response.status_code, changed.status_code) == (302, 302)
    assert Metric.objects.filter(name="Reserves").exists()
    assert (MetricValue.objects.get().low, MetricValue.objects.get().high) == (12, 14)


def test_analyst_adds_and_corrects_a_score(analyst, content):
    added = post_form(
        analyst,
        admin_url(Score, "add"),
        layer=str(content.pk),
        side=Side.US,
        value="3.5",
        as_of="2026-12-03",
        rationale="New refinery.",
        source="Company filing",
    )
    score = Score.objects.get(as_of="2026-12-03")
    corrected = post_form(analyst, admin_url(Score, "change", score.pk), value="3.4")

    assert (added.status_code, corrected.status_code) == (302, 302)
    score.refresh_from_db()
    assert str(score.value) == "3.4"


def test_analyst_adds_and_changes_a_page(analyst, content):
    added = post_form(
        analyst, admin_url(Page, "add"), slug="method", title="Method", body="How."
    )
    page = Page.objects.get(slug=Page.STATE_OF_THE_STACK)
    changed = post_form(analyst, admin_url(Page, "change", page.pk), body="Close.")

    assert (added.status_code, changed.status_code) == (302, 302)
    page.refresh_from_db()
    assert page.body == "Close."


@pytest.mark.parametrize("model", [Layer, Score], ids=str)
def test_analyst_cannot_delete_layers_or_scores(analyst, content, model):
    obj = any_object(model)

    response = analyst.post(admin_url(model, "delete", obj.pk), {"post": "yes"})

    assert response.status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", EDITORS_WORK, ids=str)
def test_analyst_cannot_add_or_change_developments(analyst, content, model):
    obj = any_object(model)
    change_url = admin_url(model, "change", obj.pk)

    assert analyst.get(admin_url(model, "add")).status_code == 403
    assert analyst.post(admin_url(model, "add"), {"title": "x"}).status_code == 403
    assert analyst.post(change_url, {"title": "x"}).status_code == 403
    # Analysts may read developments; the page offers no way to save.
    assert 'name="_save"' not in analyst.get(change_url).text
    obj.refresh_from_db()
    assert obj.title != "x"


# Editors


def test_editor_opens_add_and_change_pages(editor, content):
    development = any_object(Development)

    add = editor.get(admin_url(Development, "add"))
    change = editor.get(admin_url(Development, "change", development.pk))

    assert (add.status_code, change.status_code) == (200, 200)


def test_editor_adds_a_development_on_a_layer_they_choose(editor, content):
    other = factories.make_layer("Chips")

    response = post_form(
        editor,
        admin_url(Development, "add"),
        layer=str(other.pk),
        title="New fab opens",
        slug="new-fab-opens",
        category="Industry",
        body="A fab opened.",
        published_at_0="2026-12-01",
        published_at_1="09:00",
    )

    assert response.status_code == 302
    assert Development.objects.get(slug="new-fab-opens").layer == other


def test_editor_changes_a_development(editor, content):
    development = any_object(Development)

    response = post_form(
        editor,
        admin_url(Development, "change", development.pk),
        title="Gallium export ban",
    )

    assert response.status_code == 302
    development.refresh_from_db()
    assert development.title == "Gallium export ban"


@pytest.mark.parametrize("model", ANALYSTS_WORK, ids=str)
def test_editor_cannot_add_or_change_the_stack(editor, content, model):
    obj = any_object(model)
    change_url = admin_url(model, "change", obj.pk)

    assert editor.get(admin_url(model, "add")).status_code == 403
    assert editor.post(admin_url(model, "add"), {"name": "x"}).status_code == 403
    assert editor.post(change_url, {"name": "x"}).status_code == 403


def test_editor_reads_layers_without_a_way_to_save(editor, content):
    response = editor.get(admin_url(Layer, "change", content.pk))

    assert response.status_code == 200
    assert 'name="_save"' not in response.text


@pytest.mark.parametrize("model", [Section, Metric, Score, Page], ids=str)
def test_editor_cannot_open_the_rest_of_the_stack(editor, content, model):
    response = editor.get(admin_url(model, "change", any_object(model).pk))

    assert response.status_code == 403


# Neither role runs accounts.


@pytest.mark.parametrize("role", ["analyst", "editor"])
@pytest.mark.parametrize("model", ACCOUNTS, ids=str)
def test_roles_cannot_see_or_change_accounts(request, role, model):
    client = request.getfixturevalue(role)
    obj = any_object(model)

    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", obj.pk),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(admin_url(model, "change", obj.pk), {}).status_code == 403


@pytest.mark.parametrize("role", ["analyst", "editor"])
def test_roles_cannot_promote_themselves(request, role):
    client = request.getfixturevalue(role)
    user = User.objects.get()

    response = client.post(
        admin_url(User, "change", user.pk),
        {"username": user.username, "is_superuser": "on", "is_staff": "on"},
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_superuser
