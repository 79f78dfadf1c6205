"""Where each development comes from: its source, edited in the admin and
shown to readers on its page, in the lists, in the feeds and on import."""

import datetime
import re
import xml.etree.ElementTree as ET

import feedparser
import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from layers.importer import ParseError, import_document, parse_document
from news.models import Development
from tests.adminforms import change_form_data
from tests.conftest import CONTENT_DOCUMENT, STACK_AS_OF
from tests.factories import add_development, make_layer

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.UTC)
REUTERS = "https://www.reuters.com/markets/gallium-licences/"
REFUSED_LINK = "starting with https:// or http://"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def layer():
    return make_layer("Critical Minerals", position=1)


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# The model


def test_source_reads_as_its_name_when_it_has_one(layer):
    development = add_development(layer, source="Reuters", source_url=REUTERS)

    assert development.source_label == "Reuters"


def test_a_link_without_a_name_reads_as_its_domain(layer):
    development = add_development(layer, source_url=REUTERS)

    assert development.source_label == "reuters.com"


@pytest.mark.parametrize(
    "url", ["ftp://files.example.org/report.pdf", "javascript:alert(1)"]
)
def test_model_refuses_a_link_that_is_not_http(layer, url):
    development = add_development(layer, source="Files", source_url=url)

    with pytest.raises(ValidationError) as caught:
        development.full_clean()

    assert REFUSED_LINK in " ".join(caught.value.message_dict["source_url"])


# The admin


def post_development(client, layer, **fields):
    url = reverse("admin:news_development_add")
    data = change_form_data(client.get(url)) | {
        "layer": [str(layer.pk)],
        "title": ["Gallium licences tightened"],
        "slug": ["gallium-licences-tightened"],
        "category": ["Trade"],
        "body": ["Beijing tightened licences."],
        "published_at_0": ["2026-12-02"],
        "published_at_1": ["09:00"],
    }
    return client.post(url, data | fields, follow=True)


def test_admin_saves_a_source_with_its_link(editor, layer):
    response = post_development(editor, layer, source=["Reuters"], source_url=[REUTERS])

    assert response.status_code == 200
    development = Development.objects.get()
    assert (development.source, development.source_url) == ("Reuters", REUTERS)


def test_admin_saves_a_link_without_a_name(editor, layer):
    post_development(editor, layer, source=[""], source_url=[REUTERS])

    assert Development.objects.get().source_label == "reuters.com"


@pytest.mark.parametrize(
    "url",
    ["ftp://files.example.org/report.pdf", "javascript:alert(1)", "not a link"],
)
def test_admin_refuses_a_link_that_is_not_http_in_plain_words(editor, layer, url):
    response = post_development(editor, layer, source=["Files"], source_url=[url])

    assert response.status_code == 200
    assert REFUSED_LINK in response.text
    assert not Development.objects.exists()


def test_admin_list_shows_which_items_have_a_source(editor, layer):
    add_development(layer, "Sourced item", source="Reuters")
    add_development(layer, "Unsourced item")

    response = editor.get(reverse("admin:news_development_changelist"))

    assert '<th scope="col" class="column-has_source">' in response.text
    rows = re.findall(r"<tr>.*?</tr>", response.text, re.DOTALL)
    marks = {
        title: re.search(r'field-has_source"><img [^>]*alt="(\w+)"', row)[1]
        for row in rows
        for title in ("Sourced item", "Unsourced item")
        if f">{title}<" in row
    }
    assert marks == {"Sourced item": "True", "Unsourced item": "False"}


@pytest.mark.parametrize(
    ("choice", "shown", "hidden"),
    [("yes", "Sourced item", "Unsourced item"), ("no", "Unsourced item", "Sourced")],
)
def test_admin_list_filters_by_whether_a_source_is_given(
    editor, layer, choice, shown, hidden
):
    add_development(layer, "Sourced item", source_url=REUTERS)
    add_development(layer, "Unsourced item")

    response = editor.get(
        reverse("admin:news_development_changelist"), {"has_source": choice}
    )

    assert shown in response.text
    assert f">{hidden}" not in response.text


# What readers see


def test_development_page_links_its_source(client, layer):
    development = add_development(layer, source="Reuters", source_url=REUTERS)

    html = html_of(client, development.get_absolute_url())

    assert '<span class="development__source">Source:' in html
    assert f'<a href="{REUTERS}" rel="noopener external">Reuters</a>' in html


def test_development_page_names_a_source_without_a_link(client, layer):
    development = add_development(layer, source="US Department of Energy release")

    html = html_of(client, development.get_absolute_url())

    assert "US Department of Energy release" in html
    assert 'rel="noopener external"' not in html


def test_development_page_without_a_source_has_no_source_line(client, layer):
    development = add_development(layer)

    html = html_of(client, development.get_absolute_url())

    assert "development__source" not in html


def test_source_name_is_escaped_on_the_page(client, layer):
    development = add_development(layer, source='<b>Wire</b> & "Co"')

    html = html_of(client, development.get_absolute_url())

    assert "&lt;b&gt;Wire&lt;/b&gt; &amp; &quot;Co&quot;" in html
    assert "<b>Wire</b>" not in html


def test_news_list_and_layer_page_show_the_source(client, layer):
    add_development(layer, source="Reuters", source_url=REUTERS)

    for url in (reverse("news:list"), layer.get_absolute_url()):
        html = html_of(client, url)
        assert f'<a href="{REUTERS}" rel="noopener external">Reuters</a>' in html


# Feeds


def test_rss_item_ends_with_its_linked_source(client, layer):
    add_development(
        layer, body="Licences tightened.", source="Reuters", source_url=REUTERS
    )

    root = ET.fromstring(html_of(client, reverse("feeds:rss")))
    description = root.find("./channel/item").findtext("description")

    assert description.endswith(f'<p>Source: <a href="{REUTERS}">Reuters</a></p>')


def test_atom_entry_names_a_source_by_its_domain_without_a_name(client, layer):
    add_development(layer, source_url=REUTERS)

    entry = feedparser.parse(html_of(client, reverse("feeds:atom"))).entries[0]

    assert f'<p>Source: <a href="{REUTERS}">reuters.com</a></p>' in entry.summary


def test_feed_source_is_escaped(client, layer):
    add_development(layer, source="<script>alert(1)</script> Wire")

    root = ET.fromstring(html_of(client, reverse("feeds:rss")))
    description = root.find("./channel/item").findtext("description")

    assert "<script" not in description
    assert "<p>Source: &lt;script&gt;alert(1)&lt;/script&gt; Wire</p>" in description


def test_feed_item_without_a_source_has_no_source_line(client, layer):
    add_development(layer)

    root = ET.fromstring(html_of(client, reverse("feeds:rss")))

    assert "Source:" not in root.find("./channel/item").findtext("description")


# The importer


def document_with(source_line):
    """The content document with ``source_line`` in its first development."""
    text = CONTENT_DOCUMENT.read_text(encoding="utf-8")
    body = "\nChina controls approximately 70% of global rare earth"
    return text.replace(body, f"\n{source_line}\n{body}", 1)


def test_shipped_document_names_no_source(stack):
    assert not Development.objects.exclude(source="", source_url="").exists()


@pytest.mark.parametrize(
    ("line", "source", "source_url"),
    [
        ("Source: Reuters", "Reuters", ""),
        (
            "**Source:** [Reuters](https://www.reuters.com/x)",
            "Reuters",
            "https://www.reuters.com/x",
        ),
        ("Source: https://www.usgs.gov/report", "", "https://www.usgs.gov/report"),
    ],
)
def test_import_reads_a_source_line_out_of_the_text(line, source, source_url):
    import_document(parse_document(document_with(line)), as_of=STACK_AS_OF)

    development = Development.objects.get(slug="china-dominates-rare-earth-processing")
    assert (development.source, development.source_url) == (source, source_url)
    assert "Source:" not in development.body
    assert development.body.startswith("China controls approximately 70%")


def test_import_refuses_two_source_lines_for_one_development():
    text = document_with("Source: Reuters\n\nSource: AP")

    with pytest.raises(ParseError) as caught:
        parse_document(text)

    assert "one 'Source:' line for each development" in str(caught.value)


def test_reimport_leaves_a_source_added_in_the_admin_unremarked(stack_document):
    import_document(stack_document, as_of=STACK_AS_OF)
    Development.objects.filter(slug="china-dominates-rare-earth-processing").update(
        source="Reuters"
    )

    report = import_document(stack_document, as_of=STACK_AS_OF)

    assert not [item for item in report.left_alone if "source" in item]
    assert Development.objects.filter(source="Reuters").count() == 1
