"""The admin login throttle counts an attempt before the password is checked, so
concurrent attempts cannot overrun it; an operator locked out can be unlocked."""

import threading

import pytest
from django.contrib.auth.signals import user_login_failed
from django.core.management import call_command
from django.db import connection
from django.test import Client

LOGIN = "/admin/login/"


@pytest.mark.django_db(transaction=True)
def test_concurrent_failed_logins_on_one_name_get_no_more_password_checks_than_the_limit(
    django_user_model, settings
):
    settings.ADMIN_LOGIN_RATE = (10, 3600)
    django_user_model.objects.create_superuser("ops", "ops@example.org", "a long passphrase")
    checked = []

    def password_checked(sender, credentials, **kwargs) -> None:
        checked.append(credentials["username"])

    user_login_failed.connect(password_checked, weak=False, dispatch_uid="count-password-checks")
    start = threading.Barrier(24)
    statuses = []

    def attempt(n: int) -> None:
        client = Client(REMOTE_ADDR=f"198.51.100.{n}")  # many addresses: the name's limit is under test
        start.wait()
        statuses.append(client.post(LOGIN, {"username": "ops", "password": f"guess {n}"}).status_code)
        connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(24)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        user_login_failed.disconnect(dispatch_uid="count-password-checks")

    assert len(checked) == 10
    assert sorted(statuses) == [200] * 10 + [429] * 14


def test_a_locked_out_name_is_unlocked_by_the_command(client, django_user_model, settings, capsys):
    settings.ADMIN_LOGIN_RATE = (1, 3600)
    django_user_model.objects.create_superuser("ops", "ops@example.org", "a long passphrase")
    client.post(LOGIN, {"username": "ops", "password": "wrong"})
    locked = Client(REMOTE_ADDR="198.51.100.20").post(
        LOGIN, {"username": "ops", "password": "a long passphrase"}
    )

    call_command("unlock_admin_login", "OPS")
    unlocked = Client(REMOTE_ADDR="198.51.100.21").post(
        LOGIN, {"username": "ops", "password": "a long passphrase"}
    )

    assert locked.status_code == 429 and "unlock_admin_login" in locked.content.decode()
    assert "Unlocked user 'OPS'" in capsys.readouterr().out
    assert unlocked.status_code == 302


def test_a_locked_out_address_is_unlocked_by_the_command(client, db, settings):
    settings.ADMIN_LOGIN_RATE = (1, 3600)
    client.post(LOGIN, {"username": "a", "password": "wrong"})
    assert client.post(LOGIN, {"username": "b", "password": "wrong"}).status_code == 429

    call_command("unlock_admin_login", address="127.0.0.1")

    assert client.post(LOGIN, {"username": "c", "password": "wrong"}).status_code == 200
