import datetime
import os
import tempfile
from pathlib import Path

import pytest

from layers.importer import import_document, parse_document

CONTENT_DOCUMENT = (
    Path(__file__).resolve().parent.parent / "content" / "ai-stack-tracker.md"
)
STACK_AS_OF = datetime.date(2026, 12, 2)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite, test in a file rather than in memory.

    The live server of the browser tests answers on several threads. With an
    in-memory database they would all share the test's one connection, which
    SQLite cannot use from two threads at once; with a file each thread opens
    its own.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = f"tracker-test-{os.getpid()}.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(
            Path(tempfile.gettempdir()) / name
        )


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # The hashed static storage needs collectstatic first; pages don't.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    # Many tests make a user; a slow password hash would cost a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The page cache outlives a test's rollback and adds a query to a page it
    # stores; tests/test_caching.py turns it on where it is the subject.
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture(scope="session")
def stack_document():
    """The real content document, parsed once per test run."""
    return parse_document(CONTENT_DOCUMENT.read_text(encoding="utf-8"))


@pytest.fixture
def stack(db, stack_document):
    """Import the real content document as of 2026-12-02; return the report."""
    return import_document(stack_document, as_of=STACK_AS_OF)
