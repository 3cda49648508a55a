"""The typed environment readers refuse nonsense with a message naming the variable,
and .env.example lists every variable they are asked for."""

import ast
import re
from pathlib import Path

import pytest

from outagewatch.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_int,
    env_list,
    env_rate,
    env_secret,
    env_url,
)

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_secret_may_come_from_the_file_its_FILE_variable_names(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("s3cret-from-a-docker-secret\n")

    assert env_secret("SECRET_KEY", environ={"SECRET_KEY_FILE": str(secret)}) == "s3cret-from-a-docker-secret"
    assert env_secret("SECRET_KEY", environ={"SECRET_KEY": "plain"}) == "plain"
    assert env_secret("SECRET_KEY", "fallback", environ={"SECRET_KEY_FILE": ""}) == "fallback"


def test_a_url_with_a_password_may_come_from_a_file_and_is_still_checked(tmp_path):
    url = tmp_path / "database_url"
    url.write_text("postgres://app:pw@db/app")
    mysql = tmp_path / "mysql_url"
    mysql.write_text("mysql://h/db")

    environ = {"DATABASE_URL_FILE": str(url)}
    assert (
        env_url("DATABASE_URL", schemes=("postgres",), environ=environ, secret=True)
        == "postgres://app:pw@db/app"
    )
    assert env_url("DATABASE_URL", schemes=("postgres",), environ=environ) == ""  # not a secret: no file
    with pytest.raises(ImproperlyConfiguredEnv, match="DATABASE_URL must start with one of postgres://"):
        env_url("DATABASE_URL", schemes=("postgres",), environ={"DATABASE_URL_FILE": str(mysql)}, secret=True)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SECRET_KEY": "a", "SECRET_KEY_FILE": "{dir}/key"}, "Both SECRET_KEY and SECRET_KEY_FILE are set"),
        ({"SECRET_KEY_FILE": "{dir}/missing"}, r"SECRET_KEY_FILE='.*/missing' cannot be read: No such file"),
        ({"SECRET_KEY_FILE": "{dir}"}, "cannot be read: Is a directory"),
        ({"SECRET_KEY_FILE": "{dir}/empty"}, "is an empty file"),
        ({"SECRET_KEY_FILE": "{dir}/binary"}, "cannot be read: not a text file"),
    ],
    ids=["both", "missing", "a directory", "empty", "binary"],
)
def test_a_secret_file_that_cannot_serve_is_refused_with_the_reason(tmp_path, environ, message):
    (tmp_path / "key").write_text("k")
    (tmp_path / "empty").write_text("\n")
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00")

    with pytest.raises(ImproperlyConfiguredEnv, match=message):
        env_secret("SECRET_KEY", environ={k: v.format(dir=tmp_path) for k, v in environ.items()})


def test_every_variable_the_code_reads_is_listed_in_env_example():
    read = set()
    for path in [ROOT / "gunicorn.conf.py", *sorted(ROOT.glob("*/**/*.py"))]:
        if ".venv" in path.parts or "tests" in path.parts or "benchmarks" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "").startswith("env_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                read.add(node.args[0].value)
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))

    assert "SECRET_KEY" in read and "WEB_TIMEOUT" in read
    assert read - listed == set()


def test_mail_addresses_may_carry_a_display_name_and_must_have_a_domain():
    from outagewatch.env import env_email

    assert env_email("FROM", "a@b.org", environ={}) == "a@b.org"
    named = "outagewatch <alerts@example.org>"
    assert env_email("FROM", "a@b.org", environ={"FROM": named}) == named
    for bad in ["alerts", "alerts@localhost", "<>", "a b@example.org"]:
        with pytest.raises(ImproperlyConfiguredEnv, match="is not a mail address"):
            env_email("FROM", "a@b.org", environ={"FROM": bad})
