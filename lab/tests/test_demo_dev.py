"""`python3 dev.py run --demo`: its arguments, the processes it starts and their environment."""

from __future__ import annotations

import pytest

import dev


def test_run_takes_no_demo_by_default():
    options = dev.parse_run([])

    assert not options.demo and not options.reset


def test_run_takes_the_demo_and_its_reset():
    options = dev.parse_run(["--demo", "--reset"])

    assert options.demo and options.reset


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--reset"], "--reset deletes data for a fresh demo and goes only with --demo"),
        (["--dmeo"], "--dmeo"),
    ],
    ids=["reset without demo", "misspelt flag"],
)
def test_run_refuses_what_it_does_not_know_with_its_usage(capsys, argv, message):
    with pytest.raises(SystemExit) as stopped:
        dev.parse_run(argv)

    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "usage: python3 dev.py run [-h] [--demo] [--reset]" in error and message in error


def test_the_demo_adds_a_feeder_posting_to_the_web_servers_address():
    commands = dev.process_commands("127.0.0.1:8765", demo=True)

    assert list(commands) == ["web", "worker", "beat", "feeder"]
    assert commands["web"][-2] == "127.0.0.1:8765"
    assert commands["feeder"][1:] == ["manage.py", "demo", "feed", "--url", "http://127.0.0.1:8765"]
    assert "feeder" not in dev.process_commands("127.0.0.1:8765", demo=False)


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("0.0.0.0:8000", "http://127.0.0.1:8000"),
        ("8001", "http://127.0.0.1:8001"),
        ("localhost:8002", "http://localhost:8002"),
        ("[::]:8003", "http://[::1]:8003"),
        ("[::1]:8004", "http://[::1]:8004"),
    ],
)
def test_the_feeder_reaches_the_server_wherever_listen_puts_it(listen, url):
    assert dev.local_url(listen) == url


@pytest.mark.parametrize(
    ("listen", "loopback"),
    [("127.0.0.1:8000", True), ("8000", True), ("localhost:8000", True), ("[::1]:8000", True)]
    + [("0.0.0.0:8000", False), ("[::]:8000", False), ("192.168.1.5:8000", False)],
)
def test_it_knows_when_the_demo_server_can_be_reached_from_elsewhere(listen, loopback):
    assert dev.is_loopback(listen) is loopback


def test_the_demo_trusts_its_feeder_as_one_proxy_and_quiets_the_logs_unless_told_otherwise():
    assert dev.demo_environment({"PATH": "/bin"}) == {
        "PATH": "/bin",
        "NUM_PROXIES": "1",
        "LOG_REQUESTS": "0",
        "LOG_LEVEL": "WARNING",
    }
    assert dev.demo_environment({"NUM_PROXIES": "2", "LOG_LEVEL": "INFO"})["NUM_PROXIES"] == "2"
    assert dev.demo_environment({"LOG_LEVEL": "INFO"})["LOG_LEVEL"] == "INFO"


def test_an_unknown_command_prints_the_usage(capsys):
    assert dev.main(["serve"]) == 2
    assert "python3 dev.py run --demo" in capsys.readouterr().out
