"""The API's documentation and the score admin in Chromium, under the
enforced Content Security Policy: both work and trip no violation."""

import pytest
from playwright.sync_api import expect

from layers.models import Score

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unguessable passphrase"


def is_violation(text):
    return "Content Security Policy" in text or "Refused to" in text


def watch(page):
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if is_violation(message.text) else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_api_docs_list_every_endpoint_and_answer_a_request(page, site):
    problems = watch(page)

    page.goto(site + "/api/v1/docs")

    # The index of the API, then its four endpoints.
    expect(page.locator(".opblock")).to_have_count(5)
    expect(page.locator(".opblock-summary-path").first).to_have_text("/api/v1/")
    expect(page.locator("#swagger-ui")).to_contain_text("/api/v1/layers/{slug}")
    page.locator(".opblock-summary").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(
        page.locator(".live-responses-table td.response-col_status:not(.col_header)")
    ).to_contain_text("200")
    assert problems == []


def test_score_admin_searches_developments_without_violations(
    page, site, django_user_model
):
    django_user_model.objects.create_superuser("chief", password=PASSWORD)
    problems = watch(page)
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")

    score = Score.objects.get(layer__slug="critical-minerals", side="us")
    page.goto(f"{site}/admin/layers/score/{score.pk}/change/")
    page.locator(".field-developments .select2-selection").click()
    page.keyboard.type("rare earth")

    expect(page.locator(".select2-results__option").first).to_contain_text("Rare Earth")
    assert problems == []
