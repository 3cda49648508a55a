"""The typed environment readers refuse nonsense with a message naming the variable."""

import pytest

from outagewatch.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_rate, env_url


def test_booleans_accept_the_usual_spellings():
    assert env_bool("DEBUG", environ={"DEBUG": "yes"}) is True
    assert env_bool("DEBUG", environ={"DEBUG": "0"}) is False
    assert env_bool("DEBUG", True, environ={}) is True


def test_a_misspelt_boolean_is_refused():
    with pytest.raises(ImproperlyConfiguredEnv, match="DEBUG='ture' is not a boolean"):
        env_bool("DEBUG", environ={"DEBUG": "ture"})


def test_integers_are_checked_against_their_bounds():
    assert env_int("N", 5, environ={"N": " 7 "}) == 7
    with pytest.raises(ImproperlyConfiguredEnv, match="N='seven' is not a whole number"):
        env_int("N", 5, environ={"N": "seven"})
    with pytest.raises(ImproperlyConfiguredEnv, match="below the minimum of 0"):
        env_int("N", 5, minimum=0, environ={"N": "-1"})


def test_lists_are_comma_separated():
    assert env_list("HOSTS", ["a"], environ={"HOSTS": "x.org, y.org,"}) == ["x.org", "y.org"]
    assert env_list("HOSTS", ["a"], environ={}) == ["a"]


def test_urls_must_have_an_expected_scheme():
    assert env_url("DATABASE_URL", schemes=("postgres",), environ={"DATABASE_URL": "postgres://h/db"})
    with pytest.raises(ImproperlyConfiguredEnv, match="DATABASE_URL must start with one of postgres://"):
        env_url("DATABASE_URL", schemes=("postgres",), environ={"DATABASE_URL": "mysql://h/db"})


def test_rates_read_as_count_per_period():
    assert env_rate("R", "30/m", environ={}) == (30, 60)
    assert env_rate("R", "30/m", environ={"R": "5/hour"}) == (5, 3600)
    with pytest.raises(ImproperlyConfiguredEnv, match="COUNT/PERIOD"):
        env_rate("R", "30/m", environ={"R": "fast"})
    with pytest.raises(ImproperlyConfiguredEnv, match="at least 1"):
        env_rate("R", "30/m", environ={"R": "0/m"})


def test_url_paths_get_one_trailing_slash_and_refuse_odd_characters():
    from outagewatch.env import env_url_path

    assert env_url_path("ADMIN_PATH", "admin/", environ={}) == "admin/"
    assert env_url_path("ADMIN_PATH", "admin/", environ={"ADMIN_PATH": "/backstage/ops"}) == "backstage/ops/"
    with pytest.raises(ImproperlyConfiguredEnv, match="ADMIN_PATH='back stage' is not a URL path"):
        env_url_path("ADMIN_PATH", "admin/", environ={"ADMIN_PATH": "back stage"})
    with pytest.raises(ImproperlyConfiguredEnv, match="is not a URL path"):
        env_url_path("ADMIN_PATH", "admin/", environ={"ADMIN_PATH": "/"})


def test_mail_addresses_may_carry_a_display_name_and_must_have_a_domain():
    from outagewatch.env import env_email

    assert env_email("FROM", "a@b.org", environ={}) == "a@b.org"
    named = "outagewatch <alerts@example.org>"
    assert env_email("FROM", "a@b.org", environ={"FROM": named}) == named
    for bad in ["alerts", "alerts@localhost", "<>", "a b@example.org"]:
        with pytest.raises(ImproperlyConfiguredEnv, match="is not a mail address"):
            env_email("FROM", "a@b.org", environ={"FROM": bad})
