"""Production security: the deploy checks pass with production settings,
every kind of response carries the right headers, HTTPS works behind a
proxy, embedding is opt-in, and the error pages are the site's own."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path

from tracker import urls as tracker_urls
from tracker.security import embeddable

ROOT = Path(__file__).resolve().parent.parent

# Test URLs: a view for each error, a plain page, an embeddable page, and the
# site's own URLs, which the error pages link to.


def _raise(exception):
    def view(request):
        raise exception

    return view


def _plain(request):
    return HttpResponse("<p>Plain page</p>")


urlpatterns = [
    path("boom/400/", _raise(SuspiciousOperation("Forged input"))),
    path("boom/403/", _raise(PermissionDenied("Not for you"))),
    path("boom/404/", _raise(Http404("Nothing here"))),
    path("boom/500/", _raise(RuntimeError("Broken on purpose"))),
    path("plain/", _plain),
    path("embed/", embeddable(_plain)),
    *tracker_urls.urlpatterns,
]

errors_urls = pytest.mark.urls(__name__)

# Settings a production deployment sets (README.md, "Running in production").
PRODUCTION_ENV = {
    "DEBUG": "False",
    "ALLOWED_HOSTS": "tracker.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://tracker.example.org",
    "SECURE_SSL_REDIRECT": "True",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
    "SECURE_HSTS_PRELOAD": "True",
    "SECURE_COOKIES": "True",
    "BEHIND_PROXY": "True",
}


def manage(*args, env, tmp_path):
    """Run manage.py with env on top of this process's environment, less
    any security setting that env does not name."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in PRODUCTION_ENV and name not in ("SECRET_KEY", "PROXY_COUNT")
    }
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process.
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environment.pop(name, None)
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def csp(response):
    return dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )


# The deploy checks


def test_deploy_checks_pass_with_production_settings(tmp_path):
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50)}

    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


def test_deploy_checks_fail_with_a_weak_secret_key(tmp_path):
    env = {**PRODUCTION_ENV, "SECRET_KEY": "short-and-guessable"}

    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path
    )

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_make_run_settings_serve_plain_http(tmp_path):
    """`make run` sets only DEBUG=False and SECURE_COOKIES=False."""
    script = (
        "from django.conf import settings as s; import json; print(json.dumps("
        "[s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER]))"
    )
    env = {"DEBUG": "False", "SECURE_COOKIES": "False"}

    result = manage("shell", "--no-imports", "-c", script, env=env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        False,
        0,
        False,
        False,
        None,
    ]


# Headers on each kind of response


def assert_common_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def assert_strict_csp(response):
    policy = csp(response)
    assert policy["default-src"] == "'self'"
    # The nonce appears once a template has used it.
    assert re.fullmatch(r"'self'( 'nonce-[\w-]+={0,2}')?", policy["script-src"])
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_html_page_headers(client):
    response = client.get("/")

    assert response.status_code == 200
    assert_common_headers(response)
    assert_strict_csp(response)


@pytest.mark.django_db
def test_html_page_scripts_all_carry_the_nonce(client):
    response = client.get("/")

    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
    scripts = re.findall(r"<script\b[^>]*>", response.text)
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)


@pytest.mark.django_db
def test_each_response_gets_a_fresh_nonce(client):
    first = client.get("/")["Content-Security-Policy"]
    second = client.get("/")["Content-Security-Policy"]

    assert first != second


@pytest.mark.django_db
def test_admin_login_page_headers(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert_common_headers(response)
    assert_strict_csp(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/login/",
        "/admin/layers/layer/",
        "/admin/layers/layer/add/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/axes/accessattempt/",
    ],
)
def test_admin_inline_scripts_and_styles_all_carry_the_nonce(admin_client, url):
    response = admin_client.get(url, follow=True)

    assert response.status_code == 200
    assert_strict_csp(response)
    header = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", header)
    inline = re.findall(r"<(?:script|style)\b(?![^>]*\bsrc=)[^>]*>", response.text)
    for tag in inline:
        assert nonce and f'nonce="{nonce[1]}"' in tag, tag
    if nonce:
        assert f"'nonce-{nonce[1]}'" in csp(response)["style-src"]
    assert not re.search(r"\sstyle=\"", response.text)
    assert not re.search(r"\son[a-z]+=\"", response.text)


def test_static_file_headers(client, settings):
    settings.WHITENOISE_USE_FINDERS = True

    response = client.get("/static/css/site.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert_common_headers(response)


@pytest.mark.django_db
def test_healthz_headers(client):
    response = client.get("/healthz")

    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_not_found_page_headers(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert_common_headers(response)
    assert_strict_csp(response)


@pytest.mark.django_db
def test_plain_http_gets_no_hsts_and_no_redirect_by_default(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000

    response = client.get("/")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response


@pytest.mark.django_db
def test_https_responses_carry_hsts(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = client.get("/", secure=True)

    assert response["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


# Cookies


@pytest.mark.django_db
def test_cookies_are_secure_http_only_and_same_site(client, settings, admin_user):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    client.get("/admin/login/", secure=True)
    response = client.post(
        "/admin/login/",
        {"username": "admin", "password": "password", "next": "/admin/"},
        secure=True,
    )

    assert response.status_code == 302
    for name in ("sessionid", "csrftoken"):
        cookie = client.cookies[name]
        assert cookie["secure"], name
        assert cookie["httponly"], name
        assert cookie["samesite"] == "Lax", name


# Behind a TLS-terminating proxy


@pytest.fixture
def behind_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600


@pytest.mark.django_db
def test_behind_a_proxy_forwarded_https_counts_as_secure(client, behind_proxy):
    response = client.get("/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200
    assert "Strict-Transport-Security" in response


@pytest.mark.django_db
def test_behind_a_proxy_plain_http_is_redirected_to_https(client, behind_proxy):
    response = client.get("/layer/x/?q=1", HTTP_X_FORWARDED_PROTO="http")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/layer/x/?q=1"


@pytest.mark.django_db
def test_without_the_proxy_setting_forwarded_https_is_not_believed(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 301


# Embedding is opt-in


@errors_urls
def test_pages_cannot_be_framed_by_default(client):
    response = client.get("/plain/")

    assert csp(response)["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


@errors_urls
def test_embeddable_view_may_be_framed_by_the_allowed_sites(client, settings):
    settings.EMBED_FRAME_ANCESTORS = [
        "https://news.example.com",
        "https://*.example.net",
    ]

    response = client.get("/embed/")

    policy = csp(response)
    assert policy["frame-ancestors"] == "https://news.example.com https://*.example.net"
    assert "X-Frame-Options" not in response
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"


# The site's own error pages, with DEBUG=False


@pytest.fixture
def lenient_client():
    return Client(raise_request_exception=False)


def assert_site_design(response):
    assert '<header class="site-header">' in response.text
    assert '<footer class="site-footer">' in response.text
    assert 'class="error-page"' in response.text


@errors_urls
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status", "title"),
    [
        ("/boom/400/", 400, "The tracker could not read this request"),
        ("/boom/403/", 403, "This page is not open to you"),
        ("/boom/404/", 404, "This page is not in the stack"),
        ("/boom/500/", 500, "Something went wrong on our side"),
    ],
)
def test_error_page_is_the_sites_own(lenient_client, settings, url, status, title):
    assert settings.DEBUG is False

    response = lenient_client.get(url)

    assert response.status_code == status
    assert title in response.text
    assert_site_design(response)
    assert "Traceback" not in response.text
    assert_strict_csp(response)


@pytest.mark.django_db
def test_unknown_host_gets_the_bad_request_page(client):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "The tracker could not read this request" in response.text
    assert_site_design(response)


@pytest.mark.django_db
def test_form_without_csrf_token_gets_the_sites_own_page(admin_user):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "admin", "password": "x"})

    assert response.status_code == 403
    assert "The form could not be accepted" in response.text
    assert_site_design(response)


def test_server_error_page_needs_no_request_and_no_database():
    # Without the django_db mark, any query would fail this test.
    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert '<header class="site-header">' in html


@pytest.mark.django_db
def test_sign_in_name_longer_than_any_account_is_a_form_error(client):
    response = client.post(
        "/admin/login/", {"username": "a" * 500, "password": "whatever"}
    )

    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in response.text
