"""Every kind of page is valid HTML, as the Nu HTML Checker reads it."""

import json
import subprocess

import pytest

from layers.importer import import_figures, parse_figures
from news.models import Development
from tests.checkers import VNU, java, require
from tests.conftest import CONTENT_DOCUMENT

pytestmark = pytest.mark.django_db

# htmx's attributes (hx-get, hx-trigger…) are not in the HTML standard, so the
# checker reports each one; the site uses them on purpose (STYLE.md, habit 6).
HTMX_ATTRIBUTES = r".*Attribute “hx-[a-z-]+” not allowed on element.*"


def page_paths():
    development = Development.objects.published().select_related("layer").first()
    # The shipped content names no source; this one gets a linked source so
    # its line on the development and news pages is checked too.
    development.source = "Example Newswire"
    development.source_url = "https://news.example.org/story"
    development.save()
    return {
        "home": "/",
        "layer": "/layer/ai-accelerators/",
        "layer-with-branches": "/layer/testing-and-safety-science/",
        "news": "/news/",
        "news-filtered": "/news/?layer=memory&category=manufacturing",
        "development": development.get_absolute_url(),
        "search": "/search/?q=chips",
        "methodology": "/methodology/",
    }


def test_every_kind_of_page_is_valid_html(client, stack, tmp_path):
    require(VNU.exists(), f"The Nu HTML Checker ({VNU})")
    command = java()
    figures = CONTENT_DOCUMENT.with_name("figures.md").read_text(encoding="utf-8")
    import_figures(parse_figures(figures))
    files = []
    for name, path in page_paths().items():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        file = tmp_path / f"{name}.html"
        file.write_bytes(response.content)
        files.append(str(file))

    # One run for every page: the checker takes seconds to start.
    result = subprocess.run(
        [command, "-jar", str(VNU), "--errors-only", "--format", "json"]
        + ["--filterpattern", HTMX_ATTRIBUTES, *files],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] in ("error", "non-document-error")
    ]
    assert errors == []
