"""/healthz: 200 while the database answers, 503 while it does not, never
cached, and reachable whatever the host and HTTPS settings say."""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_answers_ok_while_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_healthz_answers_head(client):
    assert client.head("/healthz").status_code == 200


@pytest.mark.django_db
def test_healthz_is_never_cached(client):
    response = client.get("/healthz")

    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_healthz_asks_the_database_one_cheap_query(client, django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        client.get("/healthz")

    assert queries.captured_queries[0]["sql"] == "SELECT 1"


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client):
    down = OperationalError("connection refused")

    with mock.patch.object(connection, "cursor", side_effect=down):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "database unavailable"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_ignores_allowed_hosts_and_the_https_redirect(client, settings):
    settings.ALLOWED_HOSTS = ["tracker.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 200


@pytest.mark.django_db
def test_healthz_takes_no_session_and_sets_no_cookie(client):
    response = client.get("/healthz")

    assert not response.cookies


@pytest.mark.django_db
def test_other_methods_on_healthz_are_not_answered_by_the_probe(client):
    assert client.post("/healthz").status_code == 404


# A real unreachable database, in a fresh process so its connection settings
# are the ones Django starts with.
PROBE = """
import django, json
django.setup()
from django.test import Client
response = Client().get("/healthz")
print(json.dumps([response.status_code, response.json()]))
"""


@pytest.mark.parametrize(
    "database_url",
    [
        "postgres://tracker@127.0.0.1:1/tracker",
        "sqlite:////nonexistent-h7-folder/tracker.sqlite3",
    ],
    ids=["postgres-refused", "sqlite-missing-folder"],
)
def test_healthz_is_503_with_an_unreachable_database(database_url):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "DEBUG": "False",
    }

    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body == {"status": "database unavailable"}
