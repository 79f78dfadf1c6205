"""The widgets as a reader meets them: scrolled to, moved, shared, and with
JavaScript turned off."""

import re

import pytest
from playwright.sync_api import expect

from layers import compute
from layers.models import Layer
from tests.browser.conftest import scroll_to_the_end

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def score(value):
    return f"{value:.1f}"


def expected_stack():
    return list(Layer.objects.with_current_scores().order_by("-position"))


def test_scrolling_the_stack_fills_in_every_comparison_and_the_weakest_link(page, site):
    page.goto(site + "/")
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    assert page.locator(".compare--pending").count() > 0

    scroll_to_the_end(page)

    expect(page.locator(".compare--pending")).to_have_count(0)
    expect(page.locator(".weakest--filled")).to_have_count(1)
    for layer in expected_stack():
        compare = page.locator(f"#compare-{layer.slug}")
        expect(compare).to_have_class(re.compile("compare--filled"))
        values = compare.locator(".bar__value")
        expect(values.nth(0)).to_contain_text(score(layer.us_score))
        expect(values.nth(1)).to_contain_text(score(layer.china_score))
        expect(compare.locator(".leader__name")).to_have_text(layer.leader)
    verdicts = page.locator(".weakest__verdict")
    expect(verdicts.nth(0)).to_contain_text("Power Infrastructure, 3.0 out of 10")
    expect(verdicts.nth(1)).to_contain_text("Semiconductor Equipment, 2.0 out of 10")


def test_scrolling_the_accelerators_page_builds_effective_compute(page, site):
    page.goto(site + "/layer/ai-accelerators/")

    scroll_to_the_end(page)

    expect(page.locator(".ecm__step--pending")).to_have_count(0)
    expect(page.locator(".ecm__step--filled")).to_have_count(4)
    steps = page.locator(".ecm__step")
    us, china = (
        steps.nth(0).locator(".ecm__side--us"),
        steps.nth(0).locator(".ecm__side--china"),
    )
    expect(us.locator(".ecm__total")).to_have_text("3.6 million accelerators a year")
    expect(china.locator(".ecm__total")).to_have_text("250,000 accelerators a year")
    expect(china.locator(".ecm__what")).to_have_text(
        "range 200,000–300,000 accelerators a year"
    )
    expect(steps.nth(1)).to_contain_text("7.8–8.0 × 10¹⁴ FLOP/s (dense BF16/FP16)")
    expect(steps.nth(1)).to_contain_text("H100/H200 989 TFLOP/s; MI300X 1.31 PFLOP/s")
    expect(steps.nth(1).locator(".ecm__side--china .ecm__what")).to_have_text(
        "peak compute added a year; range 160–240 EFLOP/s"
    )
    expect(steps.nth(2)).to_contain_text("3.3 ZFLOP/s")
    expect(steps.nth(2)).to_contain_text("3.3 × 10²¹ FLOP/s")
    expect(steps.nth(2)).to_contain_text("59 EFLOP/s")
    expect(steps.nth(3).locator(".ecm__ratio")).to_have_text("55×")
    assert not re.search(r"\d[eE][-+]?\d", page.locator("main").inner_text())

    result = page.locator(".metric", has_text="Effective compute produced")
    expect(result.locator(".figure__value")).to_have_text(["3.3 ZFLOP/s", "59 EFLOP/s"])
    expect(result).to_contain_text("US & Allies ahead 55×")
    result.get_by_role("link", name="see it step by step").click()
    expect(page).to_have_url(re.compile(r"#effective-compute$"))


def test_sliders_update_the_score_and_the_link_reproduces_it(page, site, browser):
    page.goto(site + "/weigh/")
    verdict = page.locator("#weigh-result .weigh__verdict")
    expect(verdict).to_contain_text("US & Allies lead by 2.3")

    # By keyboard: Talent up to 10, Power Infrastructure down to 0.
    page.locator("#w-talent").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.locator("#w-power-infrastructure").focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")

    expect(page).to_have_url(
        re.compile(r"/weigh/\?w-talent=10&w-power-infrastructure=0$")
    )
    expect(page.locator("#weight-talent .weigh__weight-value")).to_have_text("10")
    expect(verdict).to_contain_text("US & Allies lead by 2.8")
    expect(page.locator("#weigh-result")).to_have_attribute("aria-live", "polite")

    shared = browser.new_page()
    shared.goto(page.url)
    expect(shared.locator("#weigh-result .weigh__verdict")).to_have_text(
        verdict.inner_text()
    )
    expect(shared.locator("#w-talent")).to_have_value("10")
    shared.close()


def test_dragging_a_slider_on_a_slow_line_logs_no_error(page, site):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Each answer takes longer than the pause between moves, so a request is
    # still on its way when the next one starts.
    page.context.new_cdp_session(page).send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 400,
            "downloadThroughput": -1,
            "uploadThroughput": -1,
        },
    )
    page.goto(site + "/weigh/")

    box = page.locator("#w-talent").bounding_box()
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, middle)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + box["width"] * (0.5 + step / 20), middle, steps=3)
        page.wait_for_timeout(300)
    page.mouse.up()

    stack = expected_stack()
    weights = {layer.slug: compute.DEFAULT_WEIGHT for layer in stack}
    weighing = compute.weigh(stack, compute.Weights({**weights, "talent": 10}))
    verb = "leads" if weighing.leader == "China" else "lead"
    expect(page).to_have_url(re.compile(r"/weigh/\?w-talent=10$"))
    expect(page.locator("#weight-talent .weigh__weight-value")).to_have_text("10")
    expect(page.locator("#weigh-result .weigh__verdict")).to_have_text(
        f"{weighing.leader} {verb} by {score(weighing.gap)}"
    )
    assert errors == []


def test_back_after_leaving_the_weights_shows_the_whole_page(page, site):
    page.goto(site + "/weigh/")
    page.locator("#w-talent").focus()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"w-talent=6$"))

    page.get_by_role("link", name="Stack", exact=True).click()
    expect(page).to_have_url(re.compile(r"/#stack$"))
    page.go_back()

    expect(page).to_have_url(re.compile(r"/weigh/\?w-talent=6$"))
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(page.locator("footer.site-footer")).to_have_count(1)
    expect(page.locator("#w-talent")).to_have_value("6")
    expect(page.locator("#weigh-result .weigh__verdict")).to_be_visible()


def test_without_javascript_every_number_is_already_there(no_js_page, site):
    page = no_js_page
    page.goto(site + "/")
    for layer in expected_stack():
        compare = page.locator(f"#compare-{layer.slug}")
        values = compare.locator(".bar__value")
        expect(values.nth(0)).to_contain_text(score(layer.us_score))
        expect(values.nth(1)).to_contain_text(score(layer.china_score))
        expect(compare.locator(".bar__fill").first).to_be_visible()
    expect(page.locator(".weakest__verdict").first).to_contain_text(
        "Power Infrastructure"
    )

    page.goto(site + "/layer/ai-accelerators/")
    module = page.locator("#effective-compute")
    for text in ("3.3 ZFLOP/s", "59 EFLOP/s", "55×", "range 160–240 EFLOP/s"):
        expect(module).to_contain_text(text)
    result = page.locator(".metric", has_text="Effective compute produced")
    expect(result.locator(".figure__value")).to_have_text(["3.3 ZFLOP/s", "59 EFLOP/s"])

    page.goto(site + "/weigh/?w-talent=10&w-power-infrastructure=0")
    expect(page.locator(".weigh__verdict")).to_contain_text("US & Allies lead by 2.8")
    page.locator("#w-talent").fill("0")
    page.get_by_role("button", name="Show the overall score").click()
    expect(page).to_have_url(re.compile(r"w-talent=0"))
    expect(page.locator(".weigh__verdict")).to_be_visible()


@pytest.mark.parametrize(
    ("motion", "animated"), [("no-preference", True), ("reduce", False)]
)
def test_bars_animate_in_unless_the_reader_asks_for_less_motion(
    page, site, motion, animated
):
    page.emulate_media(reduced_motion=motion)
    page.goto(site + "/layer/talent/comparison/")

    name = page.locator(".compare--filled .bar__fill").first.evaluate(
        "element => getComputedStyle(element).animationName"
    )

    assert (name != "none") is animated
