"""Every kind of page passes axe-core's checks, in light and in dark, the
layers with charts and a page of charts among them."""

import pytest

from news.models import Development
from tests.browser.conftest import DESKTOP, scroll_to_the_end
from tests.checkers import AXE, require

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUN_AXE = """
() => axe.run(document, {resultTypes: ["violations"]}).then((results) =>
  results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }))
)
"""


NOTHING_PENDING = "() => !document.querySelector('[class*=\"--pending\"]')"
FINISH_ANIMATIONS = """
() => Promise.all(
  document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
    .map((a) => a.finished.catch(() => null))
)
"""


def page_paths():
    development = Development.objects.published().select_related("layer").first()
    # The shipped content names no source; this one gets a linked source so
    # its line on the development and news pages is checked too.
    development.source = "Example Newswire"
    development.source_url = "https://news.example.org/story"
    development.save()
    return [
        "/",
        "/layer/ai-accelerators/",
        "/layer/testing-and-safety-science/",
        "/layer/semiconductor-equipment/",
        "/layer/fabrication/capacity/",
        "/news/",
        development.get_absolute_url(),
        "/search/?q=chips",
        "/methodology/",
        "/embed/layer/critical-minerals/",
        "/data/",
        "/feeds/",
        "/changes/",
        "/weigh/",
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_kind_of_page_passes_axe(browser, charted, scheme):
    require(AXE.exists(), f"axe-core ({AXE})")
    axe = AXE.read_text(encoding="utf-8")
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    try:
        for path in page_paths():
            page.goto(charted + path, wait_until="networkidle")
            # Evaluated by the browser itself, so the page's CSP does not apply.
            page.evaluate(axe)
            # As the page first shows, widgets still waiting to fill in, then
            # once every one has scrolled into view and filled in.
            for moment in ("on load", "scrolled"):
                if moment == "scrolled":
                    scroll_to_the_end(page)
                    page.wait_for_function(NOTHING_PENDING)
                page.evaluate(FINISH_ANIMATIONS)
                problems += [
                    f"{path} {moment}: {v['id']} ({v['impact']}), {v['help']}: "
                    f"{v['nodes']}"
                    for v in page.evaluate(RUN_AXE)
                ]
    finally:
        context.close()

    assert problems == []


# Swagger UI builds these itself: each operation's summary is a button that
# holds a copy button, and its tag headings skip a level. The rest of axe's
# checks hold on the API documentation too.
SWAGGER_OWN = {"nested-interactive", "heading-order"}


def test_the_api_documentation_passes_axe_but_for_swagger_uis_own_markup(browser, site):
    require(AXE.exists(), f"axe-core ({AXE})")
    page = browser.new_context(viewport=DESKTOP).new_page()
    try:
        page.goto(site + "/api/v1/docs")
        page.wait_for_selector(".opblock")
        page.evaluate(AXE.read_text(encoding="utf-8"))
        problems = [v for v in page.evaluate(RUN_AXE) if v["id"] not in SWAGGER_OWN]
        home = page.get_by_role("link", name="The AI Stack Tracker")
        assert home.get_attribute("href") == "/"
    finally:
        page.context.close()

    assert problems == []
