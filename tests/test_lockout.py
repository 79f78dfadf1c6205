"""Admin sign-in lockout: five failed sign-ins lock that account from that
address for 15 minutes, the right password included; nobody else is
affected; and no account exists that anyone could guess."""

import datetime
import re
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN_URL = "/admin/login/"
PASSWORD = "correct horse battery staple"
WRONG = "not the password"
LOCKED_OUT = "Too many failed sign-ins. Try again in 15 minutes."


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(
        "editor", password=PASSWORD, is_staff=True
    )


def sign_in(client, username, password, **extra):
    return client.post(
        LOGIN_URL,
        {"username": username, "password": password, "next": "/admin/"},
        **extra,
    )


def signed_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail(client, times, username="editor", **extra):
    for _ in range(times):
        response = sign_in(client, username, WRONG, **extra)
    return response


def test_four_failed_sign_ins_only_show_the_form_again(client, editor):
    response = fail(client, 4)

    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.text


def test_fifth_failed_sign_in_locks_the_account(client, editor):
    response = fail(client, 5)

    assert response.status_code == 429
    assert LOCKED_OUT in response.text


def test_lockout_page_is_in_the_sites_design(client, editor):
    response = fail(client, 5)

    assert "<title>Too many failed sign-ins · The AI Stack Tracker</title>" in (
        response.text
    )
    assert '<header class="site-header">' in response.text
    assert '<footer class="site-footer">' in response.text
    assert response["Retry-After"] == "900"


def test_right_password_is_refused_during_the_lockout(client, editor):
    fail(client, 5)

    response = sign_in(client, "editor", PASSWORD)

    assert response.status_code == 429
    assert LOCKED_OUT in response.text
    assert "_auth_user_id" not in client.session


def test_sign_in_works_again_after_the_cool_off(client, editor):
    fail(client, 5)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        response = sign_in(client, "editor", PASSWORD)

    assert signed_in(response)


def test_sign_in_is_still_refused_just_before_the_cool_off_ends(client, editor):
    fail(client, 5)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=14)):
        response = sign_in(client, "editor", PASSWORD)

    assert response.status_code == 429


def test_each_try_during_the_lockout_restarts_the_wait(client, editor):
    fail(client, 5)
    start = timezone.now()

    with time_machine.travel(start + datetime.timedelta(minutes=10)):
        sign_in(client, "editor", WRONG)
    with time_machine.travel(start + datetime.timedelta(minutes=20)):
        refused = sign_in(client, "editor", PASSWORD)
    with time_machine.travel(start + datetime.timedelta(minutes=36)):
        accepted = sign_in(client, "editor", PASSWORD)

    assert refused.status_code == 429
    assert signed_in(accepted)


def test_lockout_leaves_other_accounts_at_the_same_address_alone(
    client, editor, django_user_model
):
    django_user_model.objects.create_user("analyst", password=PASSWORD, is_staff=True)
    fail(client, 5)

    assert signed_in(sign_in(client, "analyst", PASSWORD))


def test_lockout_leaves_the_same_account_from_another_address_alone(client, editor):
    fail(client, 5, REMOTE_ADDR="198.51.100.7")

    assert signed_in(sign_in(client, "editor", PASSWORD, REMOTE_ADDR="198.51.100.8"))


def test_successful_sign_in_clears_earlier_failures(client, editor):
    fail(client, 4)
    assert signed_in(sign_in(client, "editor", PASSWORD))
    client.logout()

    response = fail(client, 4)

    assert response.status_code == 200


def test_lockout_minutes_follow_the_setting(client, editor, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)

    response = fail(client, 5)

    assert "Try again in 30 minutes." in response.text


def test_lockout_is_listed_in_the_admin_for_lifting(client, editor, admin_client):
    fail(client, 5)

    response = admin_client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "editor"


# The client's address behind a proxy


def test_forwarded_for_is_ignored_without_a_proxy(client, editor):
    for number in range(5):
        sign_in(client, "editor", WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")

    response = sign_in(client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert response.status_code == 429


def test_behind_a_proxy_each_client_address_counts_apart(client, editor, settings):
    settings.PROXY_COUNT = 1
    fail(client, 5, HTTP_X_FORWARDED_FOR="203.0.113.9")

    response = sign_in(client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.10")

    assert signed_in(response)


def test_behind_a_proxy_forged_forwarded_entries_do_not_dodge_the_lockout(
    client, editor, settings
):
    settings.PROXY_COUNT = 1
    for number in range(5):
        forwarded = f"192.0.2.{number}, 203.0.113.9"
        sign_in(client, "editor", WRONG, HTTP_X_FORWARDED_FOR=forwarded)

    response = sign_in(
        client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.9"
    )

    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


def test_behind_a_proxy_a_garbled_forwarded_entry_falls_back_to_the_peer(
    client, editor, settings
):
    settings.PROXY_COUNT = 2
    fail(client, 5, HTTP_X_FORWARDED_FOR="not-an-address, 203.0.113.9")

    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


# No default or shared accounts


def test_no_account_exists_after_the_migrations():
    assert not get_user_model().objects.exists()


def test_ensure_admin_picks_a_new_random_password_each_time():
    passwords = []
    for _ in range(2):
        out = StringIO()
        call_command("ensure_admin", stdout=out)
        passwords.append(re.search(r"password: (\S+)", out.getvalue())[1])
        get_user_model().objects.all().delete()

    assert passwords[0] != passwords[1]
    assert all(len(password) >= 20 for password in passwords)


def test_ensure_admin_password_signs_in_over_the_admin_form():
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    password = re.search(r"password: (\S+)", out.getvalue())[1]

    assert signed_in(sign_in(Client(), "admin", password))
