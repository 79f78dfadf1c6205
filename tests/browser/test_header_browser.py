"""The site header at the widths readers use: one row on a desktop, a
second row for the navigation on a tablet, nothing wider than a phone."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ("/", "/layer/memory/", "/news/")


def header_boxes(page):
    return {
        part: page.locator(selector).bounding_box()
        for part, selector in {
            "brand": ".site-header .brand",
            "nav": ".site-header .site-nav",
            "search": ".site-header .site-search",
        }.items()
    }


def side_by_side(boxes):
    """Each part's middle lies within the height of the others."""
    middles = [box["y"] + box["height"] / 2 for box in boxes]
    return all(
        box["y"] <= middle <= box["y"] + box["height"]
        for box in boxes
        for middle in middles
    )


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_desktop_header_is_one_row_with_a_search_box(browser, site, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    for path in PAGES:
        page.goto(site + path)

        boxes = header_boxes(page)

        assert side_by_side(boxes.values()), path
        assert boxes["brand"]["x"] < boxes["nav"]["x"] < boxes["search"]["x"]
        # A box to type in, not just its button.
        expect(page.locator("#site-search-q")).to_be_visible()
        assert page.locator("#site-search-q").bounding_box()["width"] > 90
    context.close()


def test_small_desktop_header_keeps_search_on_the_row_as_a_button(browser, site):
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.goto(site + "/news/")

    boxes = header_boxes(page)

    assert side_by_side(boxes.values())
    page.get_by_role("button", name="Search").focus()
    assert page.locator("#site-search-q").bounding_box()["width"] > 200
    context.close()


@pytest.mark.parametrize("width", [820, 390])
def test_narrow_header_puts_the_navigation_under_the_brand(browser, site, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    for path in PAGES:
        page.goto(site + path)

        boxes = header_boxes(page)

        assert side_by_side([boxes["brand"], boxes["search"]]), path
        assert boxes["nav"]["y"] >= boxes["brand"]["y"] + boxes["brand"]["height"]
        for link in page.locator(".site-nav a").all():
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, path
        assert page.evaluate("document.documentElement.scrollWidth") == width
    context.close()
