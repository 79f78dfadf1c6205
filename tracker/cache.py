"""The page cache: whole responses for anonymous readers, shared by every
worker and instance through the default cache (Redis in production).

Correctness comes first:

- Every key holds a content generation read from the shared cache, and any
  save, delete or relation change on the tracker's own models replaces it,
  once at once and once after the transaction commits, so one save reaches
  every worker and no worker can file a page rendered from the old rows
  under the new generation.
- An entry lives no longer than PAGE_CACHE_SECONDS, than the next scheduled
  development's publish time, or than the next local midnight (pages show
  today's date), whichever comes first.
- Every key also holds the release: a digest of the code, templates and
  static manifest this process runs, so a deploy never serves pages that
  the previous release rendered, even before any content changes.
- Only anonymous GET and HEAD requests are served from the cache, and only
  a 200 that sets no cookie, varies on nothing but the htmx headers, is
  not marked private or uncacheable, and was not rendered for a signed-in
  user is stored. A page with a CSRF token sets the CSRF cookie and varies
  on Cookie, so it is never stored; previews are marked never-cache.

Every response carries a nonce'd Content-Security-Policy, so no two bodies
are alike. An entry keeps the nonce it was rendered with; a reader served
from the cache gets the body and the policy with that nonce replaced by a
fresh one, so each response still has its own nonce, matching its own
header. The ETag is weak and hashes the body without its nonce, so
ConditionalGetMiddleware (just outside this middleware) answers a reader's
If-None-Match with 304, whether the page came from the cache or not; a 304
carries no policy header, so the browser keeps the body and policy it has.

If the cache stops answering, pages are served uncached: the failure is
logged once, the cache is left alone for a few seconds, then tried again.
"""

import datetime
import functools
import hashlib
import logging
import math
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import split_directive_names, split_header_value

logger = logging.getLogger(__name__)

GENERATION_KEY = "page-cache:generation"
# Part of every page's key: change it when the stored entry changes shape.
ENTRY_FORMAT = 1
# Apps whose rows never appear on a public page. Sign-ins, sessions and the
# lockout records change often and must not empty the cache.
UNSHOWN_APPS = frozenset({"admin", "auth", "axes", "contenttypes", "sessions"})
# Responses vary on these request headers, which are part of the key.
KEYED_HEADERS = frozenset({"hx-request", "hx-history-restore-request"})
MAX_BODY_BYTES = 4 * 1024 * 1024
# After a failure the cache is left alone this long before the next try.
RETRY_AFTER_SECONDS = 5
SAFE_METHODS = ("GET", "HEAD")


class _Unavailable(Exception):
    """The shared cache did not answer."""


class _Health:
    """Whether the cache answers, per process; the first failure is logged."""

    clock = staticmethod(time.monotonic)

    def __init__(self):
        self.retry_at = 0.0
        self.reported = False
        self.bump_pending = False

    def call(self, operation, *args, **kwargs):
        if self.clock() < self.retry_at:
            raise _Unavailable
        try:
            result = operation(*args, **kwargs)
        except Exception as error:
            # Any failure of an optional cache (connection, timeout, a value
            # it cannot read) must cost the reader nothing but speed.
            self.retry_at = self.clock() + RETRY_AFTER_SECONDS
            if not self.reported:
                self.reported = True
                logger.warning(
                    "The page cache is unavailable; serving pages uncached: %s",
                    error,
                )
            raise _Unavailable from error
        if self.reported:
            self.reported = False
            self.retry_at = 0.0
            logger.info("The page cache answers again.")
        return result


_health = _Health()


def _cache():
    return caches["default"]


def _seconds():
    return settings.PAGE_CACHE_SECONDS


# The content generation


def current_generation():
    """Return the generation every key holds now, making one if none exists."""
    cache = _cache()
    if _health.bump_pending:
        _health.call(cache.set, GENERATION_KEY, secrets.token_hex(8), None)
        _health.bump_pending = False
    generation = _health.call(cache.get, GENERATION_KEY)
    if generation is None:
        fresh = secrets.token_hex(8)
        if _health.call(cache.add, GENERATION_KEY, fresh, None):
            return fresh
        generation = _health.call(cache.get, GENERATION_KEY)
    return generation


def bump_generation():
    """Start a new generation, so every worker stops using what it cached.

    A random token, never reused, rather than a counter: a generation lost
    to eviction or a restarted Redis then never comes back to life.
    """
    if not _seconds():
        return
    try:
        _health.call(_cache().set, GENERATION_KEY, secrets.token_hex(8), None)
    except _Unavailable:
        # If Redis comes back with its entries, this process bumps before
        # it reads any of them.
        _health.bump_pending = True


def content_changed(using=DEFAULT_DB_ALIAS):
    """Bump now, for readers in this transaction, and again after it commits,
    for the other workers: until then they could still read the old rows.
    """
    if connections[using].in_atomic_block:
        bump_generation()
    transaction.on_commit(bump_generation, using=using)


def _model_saved(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    if _is_shown(sender):
        content_changed(using)


def _relation_changed(sender, action, using=DEFAULT_DB_ALIAS, **kwargs):
    if action.startswith("post_") and _is_shown(sender):
        content_changed(using)


def _migrated(**kwargs):
    # A migration may rewrite rows that pages show.
    bump_generation()


def _is_shown(model):
    from simple_history.models import HistoricalChanges

    # A historical row is written with the save that already bumped.
    return model._meta.app_label not in UNSHOWN_APPS and not issubclass(
        model, HistoricalChanges
    )


def _cache_setting_changed(setting, **kwargs):
    # Tests point the cache elsewhere; a failure of the old one says nothing.
    if setting in ("CACHES", "PAGE_CACHE_SECONDS"):
        _health.__init__()
    if setting == "ROOT_URLCONF":
        _admin_prefix.cache_clear()
    if setting in ("BASE_DIR", "STATIC_ROOT"):
        release.cache_clear()


def connect_signals():
    """Bump the generation whenever a model that pages show changes."""
    post_save.connect(_model_saved, dispatch_uid="page_cache_save")
    post_delete.connect(_model_saved, dispatch_uid="page_cache_delete")
    m2m_changed.connect(_relation_changed, dispatch_uid="page_cache_m2m")
    post_migrate.connect(_migrated, dispatch_uid="page_cache_migrate")
    setting_changed.connect(_cache_setting_changed, dispatch_uid="page_cache_settings")


# How long a page may be kept


def _expiry(generation, started):
    """The moment an entry rendered at ``started`` (a timestamp) must go."""
    moments = [started + _seconds(), _next_midnight(started)]
    next_publish = _next_publish(generation, started)
    if next_publish:
        moments.append(next_publish)
    return min(moments)


def _next_publish(generation, now):
    """When the next scheduled development goes live, as a timestamp, or 0.

    Asked once per generation (a save that schedules one bumps it) and again
    once that moment has passed.
    """
    from news.models import Development

    key = f"page-cache:{generation}:next-publish"
    cache = _cache()
    moment = _health.call(cache.get, key)
    if moment is None or 0 < moment <= now:
        published_at = (
            Development.objects.filter(
                status=Development.Status.LIVE,
                published_at__gt=datetime.datetime.fromtimestamp(now, datetime.UTC),
            )
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        moment = published_at.timestamp() if published_at else 0
        _health.call(cache.set, key, moment, _seconds())
    return moment


def _next_midnight(now):
    today = timezone.localtime(datetime.datetime.fromtimestamp(now, datetime.UTC))
    tomorrow = today.date() + datetime.timedelta(days=1)
    midnight = datetime.datetime.combine(tomorrow, datetime.time(), today.tzinfo)
    return midnight.timestamp()


# Which requests and responses qualify


@functools.cache
def _admin_prefix():
    """Where the admin starts, within the site; looked up once per process."""
    from django.urls import get_script_prefix, reverse

    # request.path_info leaves out the script prefix that reverse() puts in.
    return "/" + reverse("admin:index").removeprefix(get_script_prefix())


def _is_anonymous_read(request):
    """A GET or HEAD with no session, messages or credentials."""
    if request.method not in SAFE_METHODS:
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    if "HTTP_AUTHORIZATION" in request.META:
        return False
    return not request.path_info.startswith(_admin_prefix())


def _is_shareable(request, response):
    """Whether ``response`` is the same for every anonymous reader."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if len(response.content) > MAX_BODY_BYTES:
        return False
    varies = {name.lower() for name in split_header_value(response.get("Vary", ""))}
    if not varies <= KEYED_HEADERS:
        return False
    directives = set(split_directive_names(response.get("Cache-Control", "")))
    if directives & {"private", "no-store", "no-cache"}:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


# What renders a page: any change to these files makes a new release.
RELEASE_PATTERNS = ("*/*.py", "*/templatetags/*.py", "templates/**/*.html")


@functools.cache
def release():
    """A digest of the files that render pages, read once per process.

    Workers of one release agree on it without talking to each other; two
    releases side by side during a rolling deploy keep apart.
    """
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    files = {path for pattern in RELEASE_PATTERNS for path in root.glob(pattern)}
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        # Pages name static files by their hashes.
        files.add(manifest)
    for path in sorted(files):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        name = path.relative_to(root) if path.is_relative_to(root) else path.name
        digest.update(str(name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key(request, generation):
    # HEAD is answered from what GET stored: the view renders the same body.
    htmx = request.headers.get("HX-Request") == "true"
    restore = request.headers.get("HX-History-Restore-Request") == "true"
    address = request.build_absolute_uri()
    raw = f"{address}\n{htmx:d}{restore:d}".encode("utf-8", "backslashreplace")
    digest = hashlib.sha256(raw).hexdigest()
    return f"page-cache:{ENTRY_FORMAT}:{release()}:{generation}:{digest}"


def _nonce(request):
    nonce = getattr(request, "_csp_nonce", None)
    # A LazyNonce is true only once something has asked for it.
    return str(nonce) if nonce else None


def _etag(body, nonce):
    if nonce:
        body = body.replace(nonce.encode(), b"")
    return f'W/"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'


def _mark_shareable(request, response):
    """Give a shareable response its ETag and ask browsers to revalidate."""
    nonce = _nonce(request)
    if not response.has_header("ETag") and not response.has_header("Last-Modified"):
        response["ETag"] = _etag(response.content, nonce)
    if not response.has_header("Cache-Control"):
        # Keep it, but ask each time: a save must show at once.
        patch_cache_control(response, no_cache=True)
    return nonce


# The stored entry: a plain tuple, which any version of this module can read.


def _entry(response, nonce, expires):
    headers = [
        (name, value)
        for name, value in response.items()
        if name.lower() != "content-length"
    ]
    return (response.status_code, headers, response.content, nonce, expires)


def _response_from(entry, request):
    """Rebuild a stored response for ``request``, with a nonce of its own."""
    status, headers, body, nonce, _expires = entry
    if nonce:
        fresh = secrets.token_urlsafe(16)
        body = body.replace(nonce.encode(), fresh.encode())
        headers = [(name, value.replace(nonce, fresh)) for name, value in headers]
    response = HttpResponse(b"" if request.method == "HEAD" else body, status=status)
    for name, value in headers:
        response[name] = value
    response["Content-Length"] = str(len(body))
    return response


class _LastSeen:
    """The generation this process last read: a guess, checked on each use."""

    generation = None


def _look_up(request):
    """Return the current generation, the page's key and its entry or None.

    While the generation is the one this process saw last, which is nearly
    always, one round trip reads both it and the entry filed under it.
    """
    cache = _cache()
    guess = _LastSeen.generation
    if guess is not None and not _health.bump_pending:
        guessed_key = _key(request, guess)
        found = _health.call(cache.get_many, [GENERATION_KEY, guessed_key])
        if found.get(GENERATION_KEY) == guess:
            return guess, guessed_key, found.get(guessed_key)
    generation = current_generation()
    _LastSeen.generation = generation
    key = _key(request, generation)
    return generation, key, _health.call(cache.get, key)


class PageCacheMiddleware:
    """Serve and store anonymous pages; see the module's docstring.

    Place it after SecurityMiddleware and WhiteNoiseMiddleware (HTTPS
    redirects and static files come first), right after
    ConditionalGetMiddleware, and before the session: a page served from the
    cache needs no session, user or CSRF work.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_anonymous_read(request):
            return self.get_response(request)
        started = time.time()
        generation = None
        if _seconds():
            try:
                generation, key, entry = _look_up(request)
            except _Unavailable:
                generation = None
            else:
                if entry is not None and entry[4] > time.time():
                    return _response_from(entry, request)

        response = self.get_response(request)
        if not _is_shareable(request, response):
            return response
        nonce = _mark_shareable(request, response)
        if generation is None:
            return response
        try:
            expires = _expiry(generation, started)
            timeout = math.floor(expires - time.time())
            if timeout >= 1:
                entry = _entry(response, nonce, expires)
                _health.call(_cache().set, key, entry, timeout)
        except _Unavailable:
            pass
        return response
