"""The charts as a reader meets them: scrolled to on the three layers and the
fabrication page, on a phone, and with JavaScript turned off."""

import pytest
from playwright.sync_api import expect

from charts.loader import import_charts, parse_charts
from tests.conftest import CONTENT_DOCUMENT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TESTING_CHARTS = {
    "Internal Safety Departments": [
        "system-card-habits",
        "inference-overhead",
        "pre-release-testing",
        "safety-dashboard",
    ],
    "External Safety & Testing Metrics": [
        "safety-talent-tiers",
        "safety-funding-flows",
        "incident-board",
    ],
}


@pytest.fixture
def charted(site):
    """The live site with the charts that ship with the content."""
    text = CONTENT_DOCUMENT.with_name("charts.md").read_text(encoding="utf-8")
    import_charts(parse_charts(text))
    return site


def scroll_to_the_end(page):
    """Scroll down the way a reader does, a screen at a time."""
    while not page.evaluate(
        "window.scrollY + window.innerHeight >= document.body.scrollHeight - 2"
    ):
        page.mouse.wheel(0, 700)
        page.wait_for_timeout(50)


def expect_drawn(page, slug, text):
    plot = page.locator(f"#chart-{slug}-plot")
    expect(plot).to_have_class("chart__plot chart__plot--filled")
    expect(plot.locator(".chart__svg--wide")).to_be_visible()
    expect(plot.locator(".chart__svg--wide")).to_contain_text(text)


def test_scrolling_the_equipment_layer_draws_the_critical_path(page, charted):
    page.goto(charted + "/layer/semiconductor-equipment/")
    expect(page.locator("#chart-critical-path-plot")).to_have_class(
        "chart__plot chart__plot--pending"
    )

    scroll_to_the_end(page)

    expect_drawn(page, "critical-path", "Lithography")
    expect(page.locator("#chart-critical-path")).to_contain_text("Sources")


def test_the_fabrication_layer_leads_to_its_podium_and_wafer_stack(page, charted):
    page.goto(charted + "/layer/fabrication/")
    scroll_to_the_end(page)

    page.get_by_role("link", name="Who makes the leading edge").click()

    expect(page).to_have_url(charted + "/layer/fabrication/capacity/")
    scroll_to_the_end(page)
    expect_drawn(page, "leading-edge-podium", "69%")
    expect_drawn(page, "leading-edge-wafer-stack", "Not given: South Korea")
    podium = page.locator("#chart-leading-edge-podium")
    podium.get_by_text("The figures behind the chart").click()
    expect(podium.locator(".chart__table tbody tr")).to_have_count(8)


def test_scrolling_the_testing_layer_draws_its_seven_charts_by_branch(page, charted):
    page.goto(charted + "/layer/testing-and-safety-science/")

    scroll_to_the_end(page)

    expect(page.locator(".chart__plot--pending")).to_have_count(0)
    expect(page.locator(".chart__plot--filled")).to_have_count(7)
    for heading, slugs in TESTING_CHARTS.items():
        branch = page.locator("section.branch").filter(
            has=page.get_by_role("heading", name=heading, exact=True)
        )
        expect(branch.locator("figure.chart")).to_have_count(len(slugs))
        for slug in slugs:
            expect(branch.locator(f"#chart-{slug} .chart__svg--wide")).to_be_visible()


def test_a_phone_gets_the_narrow_drawing(browser, charted):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(charted + "/layer/fabrication/capacity/")
        scroll_to_the_end(page)

        stack = page.locator("#chart-leading-edge-wafer-stack-plot")
        expect(stack).to_have_class("chart__plot chart__plot--filled")
        expect(stack.locator(".chart__svg--narrow")).to_be_visible()
        expect(stack.locator(".chart__svg--wide")).to_be_hidden()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
    finally:
        context.close()


def test_without_javascript_every_chart_is_complete(no_js_page, charted):
    no_js_page.goto(charted + "/layer/testing-and-safety-science/")

    plots = no_js_page.locator(".chart__plot")
    expect(plots).to_have_count(7)
    for index in range(7):
        svg = plots.nth(index).locator(".chart__svg--wide")
        expect(svg).to_be_visible()
        assert svg.evaluate("element => getComputedStyle(element).opacity") == "1"
