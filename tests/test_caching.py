"""The shared page cache (tracker/cache.py) and conditional requests: a save
reaches every worker at once, a scheduled item appears at its time, nothing
personal is ever shared, the site carries on without Redis, and hashed
static files are kept for a year."""

import datetime
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.core.cache.backends.redis import RedisCache
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone

from layers.models import Score, Side
from tests.adminforms import change_form_data
from tests.factories import add_development, add_scores, make_layer
from tracker import cache as page_cache

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
# CI sets REDIS_URL; on a developer's machine a spare database of the local
# Redis. Each test keeps its keys under a prefix of its own.
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
SECONDS = 300
NONCE = re.compile(r"'nonce-([^']+)'")


def redis_caches(prefix, location=REDIS_URL):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.fixture
def prefix():
    return f"tracker-test-{uuid.uuid4().hex}"


@pytest.fixture
def shared_cache(settings, prefix):
    """The page cache on, in Redis, under this test's own key prefix."""
    settings.CACHES = redis_caches(prefix)
    settings.PAGE_CACHE_SECONDS = SECONDS
    yield
    redis = RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})._cache.get_client(write=True)
    keys = list(redis.scan_iter(match=f"{prefix}:*"))
    if keys:
        redis.delete(*keys)


@pytest.fixture
def layer(db):
    layer = make_layer("Fabrication")
    add_scores(layer, "6.0", "4.0")
    return layer


@pytest.fixture
def staff_client(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("editor", is_staff=True))
    return client


def get(client, url, **headers):
    """GET ``url``; the response records how many queries it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    response.queries = len(queries)
    return response


def nonces(response):
    """The nonce in the policy header and every nonce in the body."""
    header = NONCE.search(response["Content-Security-Policy"])[1]
    return header, set(re.findall(r'nonce="([^"]+)"', response.text))


# Conditional requests


def test_page_carries_a_weak_etag_and_asks_browsers_to_revalidate(
    client, shared_cache, layer
):
    response = client.get("/")

    assert response["ETag"].startswith('W/"')
    assert response["Cache-Control"] == "no-cache"


def test_reader_with_the_current_etag_gets_304(client, shared_cache, layer):
    etag = client.get(layer.get_absolute_url())["ETag"]

    response = client.get(layer.get_absolute_url(), headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_etag_ignores_the_nonce_of_pages_rendered_afresh(client, settings, layer):
    settings.PAGE_CACHE_SECONDS = 0
    first, second = client.get("/"), client.get("/")

    assert nonces(first)[0] != nonces(second)[0]
    assert first["ETag"] == second["ETag"]
    assert client.get("/", headers={"If-None-Match": first["ETag"]}).status_code == 304


def test_fragment_answers_if_none_match_with_304(client, shared_cache, layer):
    url = f"{layer.get_absolute_url()}comparison/"
    etag = client.get(url, headers={"HX-Request": "true"})["ETag"]

    response = client.get(url, headers={"HX-Request": "true", "If-None-Match": etag})

    assert response.status_code == 304


def test_a_save_gives_the_page_a_new_etag(client, shared_cache, layer):
    etag = client.get(layer.get_absolute_url())["ETag"]
    add_scores(layer, "7.0", "4.0", as_of=datetime.date(2026, 12, 3))

    response = client.get(layer.get_absolute_url(), headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_feed_answers_if_modified_since_with_304(client, shared_cache, layer):
    add_development(layer, "Fab opens")
    last_modified = client.get("/feeds/developments.rss")["Last-Modified"]

    response = client.get(
        "/feeds/developments.rss", headers={"If-Modified-Since": last_modified}
    )

    assert response.status_code == 304


# Serving from the cache


def test_second_reader_is_served_from_the_cache_without_a_query(
    client, shared_cache, layer
):
    first = get(client, layer.get_absolute_url())

    second = get(Client(), layer.get_absolute_url())

    assert first.queries > 0
    assert second.queries == 0
    assert second.status_code == 200
    assert second["ETag"] == first["ETag"]


def test_each_response_from_the_cache_has_a_nonce_of_its_own(
    client, shared_cache, layer
):
    responses = [get(client, "/") for _ in range(3)]

    assert [r.queries > 0 for r in responses] == [True, False, False]
    seen = set()
    for response in responses:
        header, in_body = nonces(response)
        assert in_body == {header}
        seen.add(header)
    assert len(seen) == 3


def test_full_page_and_fragment_are_kept_apart(client, shared_cache, layer):
    url = f"{layer.get_absolute_url()}comparison/"
    htmx = {"HX-Request": "true"}
    restore = {**htmx, "HX-History-Restore-Request": "true"}
    for headers in ({}, htmx, restore):
        get(client, url, **headers)

    page, fragment, restored = (get(client, url, **h) for h in ({}, htmx, restore))

    assert (page.queries, fragment.queries, restored.queries) == (0, 0, 0)
    assert "<html" in page.text
    assert "<html" not in fragment.text
    assert "<html" in restored.text


def test_garbage_htmx_headers_share_the_full_page(client, shared_cache, layer):
    url = f"{layer.get_absolute_url()}comparison/"
    get(client, url)

    response = get(client, url, **{"HX-Request": "yes please" * 50})

    assert response.queries == 0
    assert "<html" in response.text


def test_head_is_answered_from_what_get_stored(client, shared_cache, layer):
    body = client.get("/").content

    with CaptureQueriesContext(connection) as queries:
        response = client.head("/")

    assert len(queries) == 0
    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(len(body))


def test_each_host_gets_its_own_copy(client, shared_cache, settings, layer):
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example"]
    client.get("/sitemap.xml")

    mirrored = client.get("/sitemap.xml", headers={"Host": "mirror.example"})

    assert "http://mirror.example/" in mirrored.text
    assert "http://testserver/" not in mirrored.text


def test_a_page_from_the_cache_runs_no_query_at_ten_times_the_data(
    client, shared_cache, layer
):
    for number in range(10):
        other = make_layer(f"Layer {number} of ten")
        add_scores(other, "5.0", "5.0")
        add_development(other, f"News {number}")
    get(client, "/")

    assert get(Client(), "/").queries == 0


def test_entries_last_no_longer_than_page_cache_seconds(client, shared_cache, layer):
    start = timezone.now().replace(hour=9, minute=0)
    with time_machine.travel(start, tick=False) as traveller:
        get(client, "/")
        traveller.shift(datetime.timedelta(seconds=SECONDS - 1))
        assert get(client, "/").queries == 0
        traveller.shift(datetime.timedelta(seconds=2))
        assert get(client, "/").queries > 0


def test_entries_end_at_midnight_when_the_date_on_the_page_changes(
    client, shared_cache, layer
):
    late = datetime.datetime(
        2026, 12, 3, 23, 59, 30, tzinfo=timezone.get_current_timezone()
    )
    with time_machine.travel(late, tick=False) as traveller:
        get(client, "/")
        traveller.shift(datetime.timedelta(seconds=40))
        assert get(client, "/").queries > 0


# One save reaches every worker


class Worker:
    """A web worker of its own: its own client and connection pool to Redis."""

    def __init__(self, prefix, client=None):
        self.cache = RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})
        self.client = client or Client()

    def get(self, url):
        with mock.patch.object(page_cache, "_cache", lambda: self.cache):
            return get(self.client, url)

    def post(self, url, data):
        with mock.patch.object(page_cache, "_cache", lambda: self.cache):
            return self.client.post(url, data)


def test_an_admin_save_on_one_worker_reaches_another(
    shared_cache, prefix, admin_client, layer
):
    reader_worker, admin_worker = Worker(prefix), Worker(prefix, admin_client)
    score = layer.scores.get(side=Side.US)
    assert reader_worker.get(layer.get_absolute_url()).queries > 0
    assert admin_worker.get(layer.get_absolute_url()).queries > 0  # staff: uncached
    assert Worker(prefix).get(layer.get_absolute_url()).queries == 0

    change_url = f"/admin/layers/score/{score.pk}/change/"
    data = change_form_data(admin_worker.get(change_url))
    data["value"] = ["9.1"]
    assert admin_worker.post(change_url, data).status_code == 302

    page = reader_worker.get(layer.get_absolute_url())
    assert page.queries > 0
    assert "9.1" in page.text
    assert reader_worker.cache is not admin_worker.cache


def test_a_bump_in_another_process_reaches_this_one(
    client, shared_cache, prefix, layer
):
    get(client, "/")
    assert get(client, "/").queries == 0

    other_process = subprocess.run(
        [sys.executable, "-c", BUMP_IN_ANOTHER_PROCESS, prefix],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": REDIS_URL, "PAGE_CACHE_SECONDS": "300"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert other_process.returncode == 0, other_process.stderr
    assert other_process.stdout.strip() == prefix
    assert get(client, "/").queries > 0


BUMP_IN_ANOTHER_PROCESS = """
import sys
import django
from django.conf import settings

django.setup()
settings.CACHES["default"]["KEY_PREFIX"] = sys.argv[1]
from django.core.cache import caches
from tracker.cache import bump_generation

bump_generation()
print(caches["default"].key_prefix)
"""


def test_deleting_a_development_takes_it_off_the_page(client, shared_cache, layer):
    development = add_development(layer, "Fab opens")
    assert "Fab opens" in client.get(layer.get_absolute_url()).text

    development.delete()

    assert "Fab opens" not in client.get(layer.get_absolute_url()).text


def test_relating_two_layers_shows_at_once(client, shared_cache, layer):
    other = make_layer("Memory")
    add_scores(other, "5.0", "5.0")
    client.get(layer.get_absolute_url())
    generation = page_cache.current_generation()

    layer.related.add(other)

    assert page_cache.current_generation() != generation


def test_sign_ins_and_sessions_leave_the_cache_alone(
    client, shared_cache, django_user_model, layer
):
    generation = page_cache.current_generation()

    Client().force_login(django_user_model.objects.create_user("reader"))

    assert page_cache.current_generation() == generation


def test_scheduled_development_appears_at_its_time_though_the_page_was_cached(
    client, shared_cache, layer
):
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        add_development(
            layer, "Fab opens", published_at=start + datetime.timedelta(minutes=1)
        )
        assert "Fab opens" not in get(client, layer.get_absolute_url()).text
        traveller.shift(datetime.timedelta(seconds=59))
        early = get(client, layer.get_absolute_url())
        assert early.queries == 0
        assert "Fab opens" not in early.text

        traveller.shift(datetime.timedelta(seconds=1))
        assert "Fab opens" in get(client, layer.get_absolute_url()).text
        assert "Fab opens" in get(client, "/feeds/developments.rss").text


def test_import_command_empties_the_cache(client, shared_cache, tmp_path):
    client.get("/")
    generation = page_cache.current_generation()

    call_command(
        "import_stack",
        str(ROOT / "content" / "ai-stack-tracker.md"),
        "--as-of",
        "2026-12-02",
        "--no-figures",
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )

    assert page_cache.current_generation() != generation


# Nothing personal is shared


def test_staff_preview_never_reaches_a_reader(client, shared_cache, staff_client):
    development = add_development(make_layer(), "Scheduled item", days_ago=-1)
    url = development.get_absolute_url()
    assert "Not yet public" in staff_client.get(url).text

    response = client.get(url)

    assert response.status_code == 404
    assert "Not yet public" not in response.text


def test_a_page_seen_by_staff_is_not_kept_for_readers(
    client, shared_cache, staff_client, layer
):
    staff_client.get(layer.get_absolute_url())

    assert get(client, layer.get_absolute_url()).queries > 0


def test_staff_are_never_served_from_the_cache(
    client, shared_cache, staff_client, layer
):
    get(client, layer.get_absolute_url())

    assert get(staff_client, layer.get_absolute_url()).queries > 0


def form_with_csrf_token(request):
    """A page with a POST form; the tracker's public pages have none yet."""
    form = engines["django"].from_string(
        '<form method="post">{% csrf_token %}<button>Send</button></form>'
    )
    return HttpResponse(form.render({}, request))


urlpatterns = [
    path("form/", form_with_csrf_token),
    path("", include("tracker.urls")),
]


@pytest.mark.urls(__name__)
def test_a_page_with_a_csrf_form_is_never_kept(shared_cache):
    first, second = Client().get("/form/"), Client().get("/form/")

    for response in (first, second):
        assert "csrftoken" in response.cookies
        assert "Cookie" in response["Vary"]
    assert first.text != second.text


@pytest.mark.parametrize(
    "url", ["/", "/changes/", "/weigh/", "/weakest-link/", "/search/?q=fab"]
)
def test_pages_from_the_cache_carry_no_cookie_or_csrf_token(
    client, shared_cache, layer, url
):
    client.get(url)

    response = get(Client(), url)

    assert response.queries == 0
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.text
    assert "Cookie" not in response.get("Vary", "")


# Without Redis


@pytest.fixture
def redis_down(settings):
    settings.CACHES = redis_caches("tracker-test", "redis://127.0.0.1:1/0")
    settings.PAGE_CACHE_SECONDS = SECONDS


def test_pages_are_served_while_redis_is_down(client, layer, redis_down, caplog):
    urls = ["/", layer.get_absolute_url(), f"{layer.get_absolute_url()}comparison/"]

    with caplog.at_level(logging.WARNING, logger="tracker.cache"):
        responses = [client.get(url) for url in urls * 2]

    assert [r.status_code for r in responses] == [200] * 6
    warnings = [r for r in caplog.records if r.name == "tracker.cache"]
    assert len(warnings) == 1
    assert "serving pages uncached" in warnings[0].getMessage()
    etag = responses[0]["ETag"]
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304


def test_saves_succeed_while_redis_is_down(layer, redis_down):
    score = layer.scores.get(side=Side.US)
    score.value = "7.5"

    score.save()

    assert Score.objects.get(pk=score.pk).value == 7.5


def test_a_save_while_redis_was_unreachable_counts_once_it_answers(
    client, shared_cache, prefix, layer
):
    client.get("/")
    generation = page_cache.current_generation()
    broken = RedisCache("redis://127.0.0.1:1/0", {"KEY_PREFIX": prefix})
    with mock.patch.object(page_cache, "_cache", lambda: broken):
        add_scores(layer, "9.0", "4.0", as_of=datetime.date(2026, 12, 3))
    later = page_cache._health.clock() + page_cache.RETRY_AFTER_SECONDS

    with mock.patch.object(page_cache._health, "clock", lambda: later):
        page = get(client, layer.get_absolute_url())

    assert page_cache.current_generation() != generation
    assert "9.0" in page.text


def test_the_cache_is_tried_again_a_few_seconds_after_a_failure(
    client, shared_cache, prefix, layer
):
    broken = RedisCache("redis://127.0.0.1:1/0", {"KEY_PREFIX": prefix})
    with mock.patch.object(page_cache, "_cache", lambda: broken):
        assert client.get("/").status_code == 200
    later = page_cache._health.clock() + page_cache.RETRY_AFTER_SECONDS

    get(client, "/")
    assert get(client, "/").queries > 0
    with mock.patch.object(page_cache._health, "clock", lambda: later):
        get(client, "/")
        assert get(client, "/").queries == 0


# Static files


def test_hashed_static_files_are_kept_for_a_year_and_compressed(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]

    response = Client().get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})

    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"])[1])
    assert max_age >= 365 * 24 * 3600
    assert "immutable" in response["Cache-Control"]
    assert response["Content-Encoding"] in ("gzip", "br")


# Releases


def test_a_new_release_does_not_serve_the_pages_of_the_last_one(
    client, shared_cache, settings, layer, tmp_path
):
    url = layer.get_absolute_url()
    assert get(client, url).queries > 0
    assert get(client, url).queries == 0

    # A deploy with a changed template: the same content, rendered anew.
    (tmp_path / "templates").mkdir()
    template = tmp_path / "templates" / "page.html"
    template.write_text("<p>Before</p>")
    settings.BASE_DIR = tmp_path
    before = page_cache.release()
    template.write_text("<p>After</p>")
    page_cache.release.cache_clear()

    assert page_cache.release() != before
    assert get(client, url).queries > 0


def test_every_worker_of_one_release_files_pages_under_the_same_release():
    page_cache.release.cache_clear()
    first = page_cache.release()
    page_cache.release.cache_clear()

    assert page_cache.release() == first
    assert re.fullmatch(r"[0-9a-f]{16}", first)
