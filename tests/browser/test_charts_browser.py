"""The charts as a reader meets them: scrolled to on the three layers and the
fabrication page, on a phone, with the keyboard, in both colour schemes and
with JavaScript turned off."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
CHART_PAGES = [
    "/layer/semiconductor-equipment/",
    "/layer/testing-and-safety-science/",
    "/layer/fabrication/capacity/",
]
# Each text of the drawings shown, its colour and the colour under it: the
# nearest filled shape drawn before it that covers its middle, else the
# chart's own background.
TEXT_ON_FILLS = """
() => {
  const rgb = (value) => value.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const out = [];
  for (const svg of document.querySelectorAll(".chart__svg")) {
    if (!svg.checkVisibility()) continue;
    const ground = rgb(getComputedStyle(svg.closest(".chart")).backgroundColor);
    const shapes = [...svg.querySelectorAll("rect, path, polygon, ellipse, circle")];
    for (const text of svg.querySelectorAll("text")) {
      const box = text.getBBox();
      if (!box.width || !text.textContent.trim()) continue;
      const middle = new DOMPoint(box.x + box.width / 2, box.y + box.height / 2);
      let under = ground;
      for (const shape of shapes.slice().reverse()) {
        if (!(shape.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING)) {
          continue;
        }
        const style = getComputedStyle(shape);
        const alpha = Number(style.fillOpacity);
        if (style.fill === "none" || !alpha || !shape.isPointInFill(middle)) continue;
        const fill = rgb(style.fill);
        under = fill.map((c, i) => c * alpha + ground[i] * (1 - alpha));
        break;
      }
      const style = getComputedStyle(text);
      out.push({
        text: text.textContent,
        ink: rgb(style.fill),
        under,
        size: parseFloat(style.fontSize),
        weight: Number(style.fontWeight),
      });
    }
  }
  return out;
}
"""


def luminance(colour):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one, other):
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


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


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_in_the_charts_is_readable_on_what_it_sits_on(
    browser, charted, scheme
):
    """WCAG AA: 4.5:1, or 3:1 for large text (18.66 px bold, or 24 px)."""
    problems, checked = [], 0
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(
            viewport=viewport, color_scheme=scheme, java_script_enabled=False
        )
        page = context.new_page()
        try:
            for path in CHART_PAGES:
                page.goto(charted + path)
                for text in page.evaluate(TEXT_ON_FILLS):
                    checked += 1
                    large = text["size"] >= 24 or (
                        text["size"] >= 18.66 and text["weight"] >= 700
                    )
                    ratio = contrast(text["ink"], text["under"])
                    if ratio < (3 if large else 4.5):
                        problems.append(
                            f"{path} at {viewport['width']} px: '{text['text']}' "
                            f"{ratio:.2f}:1 ({text['ink']} on {text['under']})"
                        )
        finally:
            context.close()

    assert checked > 300
    assert problems == []


def test_a_table_wider_than_a_phone_scrolls_from_the_keyboard(browser, charted):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(charted + "/layer/fabrication/capacity/")
        podium = page.locator("#chart-leading-edge-podium")
        podium.get_by_text("The figures behind the chart").click()
        page.keyboard.press("Tab")

        region = podium.get_by_role(
            "region",
            name="The podium: leading-edge logic capacity by region: the figures",
        )
        expect(region).to_be_focused()
        assert region.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
        assert region.evaluate("e => e.scrollWidth > e.clientWidth")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.activeElement.scrollLeft > 0", timeout=3_000
        )
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
