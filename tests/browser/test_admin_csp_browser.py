"""The admin in Chromium under the enforced Content Security Policy: signing
in, opening pages and folding fieldsets trip no violation."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unguessable passphrase"
ADMIN_PAGES = [
    "/admin/",
    "/admin/layers/layer/",
    "/admin/layers/layer/add/",
    "/admin/news/development/",
    "/admin/news/development/add/",
    "/admin/auth/user/",
    "/admin/auth/user/add/",
    "/admin/password_change/",
    "/admin/axes/accessattempt/",
]


def is_violation(text):
    return "Content Security Policy" in text or "Refused to" in text


def test_admin_runs_without_policy_violations(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("chief", password=PASSWORD)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append((page.url, message.text))
            if is_violation(message.text)
            else None
        ),
    )

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    for url in ADMIN_PAGES:
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
    # Scripts that run on clicks: a folded fieldset opens.
    page.goto(f"{live_server.url}/admin/layers/layer/add/")
    page.locator("fieldset details summary").first.click()
    page.wait_for_timeout(200)

    assert violations == []


def test_policy_violations_are_caught(page, live_server):
    """The listener above would notice a refused inline script."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if is_violation(message.text) else None
        ),
    )

    page.goto(f"{live_server.url}/admin/login/")
    page.evaluate(
        "const s = document.createElement('script');"
        "s.textContent = '1'; document.body.append(s)"
    )
    page.wait_for_timeout(200)

    assert violations
