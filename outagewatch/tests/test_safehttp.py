"""outagewatch.safehttp against real HTTP and HTTPS servers on 127.0.0.1: what it
refuses to dial, that it dials what it checked, TLS for the name, redirects,
time limits and body size. DNS is the one outside party: a resolver we point."""

import ipaddress
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from outagewatch import safehttp

LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


class Server:
    """A real HTTP server on 127.0.0.1 that records what it was sent and answers
    with `status`, `body` and `headers`, dripping the body when `drip` is set."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.seen: list[dict] = []
        self.status, self.body, self.headers, self.drip = 200, b"ok", {}, 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                server.seen.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                        "sni": getattr(self.connection, "sni", None),
                    }
                )
                self.send_response(server.status)
                for name, value in server.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                if server.drip:
                    try:
                        for byte in server.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(server.drip)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client gave up, as it should
                else:
                    self.wfile.write(server.body)

            do_GET = do_POST = _answer  # the names http.server calls

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    server = Server()
    yield server
    server.close()


class Names:
    """A resolver we point: each name answers the addresses given, in turn (the last
    answer repeats), and every question is counted."""

    def __init__(self, **answers: list[list[str]]):
        self.answers = {name.replace("_", "."): list(steps) for name, steps in answers.items()}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        steps = self.answers.get(host)
        if not steps:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return steps.pop(0) if len(steps) > 1 else steps[0]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "::1", "0.0.0.0", "::", "10.0.0.5", "172.16.0.1", "192.168.1.1",
        "100.64.0.1", "169.254.169.254", "fe80::1", "fc00::1", "224.0.0.1", "ff02::1",
        "240.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1", "2001:db8::1",
        "::127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "64:ff9b::a00:5",
    ],
)  # fmt: skip
def test_it_refuses_every_address_that_is_not_public(address):
    assert safehttp.refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "64:ff9b::5db8:d70e"])
def test_it_lets_public_addresses_through_nat64_of_a_public_one_included(address):
    assert safehttp.refusal(address) is None


@pytest.mark.parametrize(
    "literal", ["[::127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::ffff:127.0.0.1]", "224.0.0.1"]
)
def test_a_url_naming_loopback_in_another_form_is_refused_before_anything_is_sent(server, literal):
    with pytest.raises(safehttp.Refused, match="only public addresses"):
        safehttp.request("POST", f"http://{literal}:{server.port}/hook", body=b"{}")

    assert server.seen == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(server):
    names = Names(hooks_example=[["93.184.215.14", "127.0.0.1"]])

    with pytest.raises(safehttp.Refused, match="127.0.0.1, a loopback address"):
        safehttp.request(
            "GET", f"http://hooks.example:{server.port}/", policy=safehttp.Policy(resolver=names)
        )

    assert server.seen == []


def test_it_resolves_once_and_dials_the_address_it_checked_keeping_the_host_name(server):
    # A rebinding name: loopback (allowed here) to the first question, anything
    # else after. The request must not ask twice.
    names = Names(hooks_example=[["127.0.0.1"], ["10.9.9.9"]])
    policy = safehttp.Policy(resolver=names, allowed_networks=LOOPBACK)

    response = safehttp.request(
        "POST", f"http://hooks.example:{server.port}/in?x=1", body=b"hi", policy=policy
    )

    assert (response.status, response.body, response.address) == (200, b"ok", "127.0.0.1")
    assert names.asked == ["hooks.example"]
    [seen] = server.seen
    assert seen["headers"]["Host"] == f"hooks.example:{server.port}"
    assert (seen["path"], seen["body"]) == ("/in?x=1", b"hi")


def test_dns_rebinding_between_two_requests_is_refused_on_the_second(server):
    names = Names(hooks_example=[["93.184.215.14"], ["127.0.0.1"]])
    policy = safehttp.Policy(resolver=names)
    safehttp.check_url(f"http://hooks.example:{server.port}/", policy)  # as when it was registered

    with pytest.raises(safehttp.Refused, match="loopback"):
        safehttp.request("POST", f"http://hooks.example:{server.port}/", body=b"{}", policy=policy)

    assert server.seen == []


def test_allow_private_lets_a_closed_deployment_reach_its_own_network(server):
    response = safehttp.request(
        "GET", f"http://127.0.0.1:{server.port}/", policy=safehttp.Policy(allow_private=True)
    )

    assert response.status == 200


@pytest.fixture
def tls_server():
    authority = trustme.CA()
    certificate = authority.issue_cert("receiver.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    names_seen: list[str] = []
    context.sni_callback = lambda sock, name, ctx: names_seen.append(name)
    server = Server(tls=context)
    client = ssl.create_default_context()
    authority.configure_trust(client)
    yield server, client, names_seen
    server.close()


def test_tls_is_verified_for_the_name_while_the_checked_address_is_dialled(tls_server):
    server, client, names_seen = tls_server
    names = Names(receiver_test=[["127.0.0.1"]])
    policy = safehttp.Policy(resolver=names, allowed_networks=LOOPBACK, tls_context=client)

    response = safehttp.request(
        "POST", f"https://receiver.test:{server.port}/hook", body=b"{}", policy=policy
    )

    assert response.status == 200
    assert names_seen == ["receiver.test"]
    assert server.seen[0]["headers"]["Host"] == f"receiver.test:{server.port}"


def test_a_certificate_for_another_name_is_refused(tls_server):
    server, client, _ = tls_server
    names = Names(impostor_test=[["127.0.0.1"]])
    policy = safehttp.Policy(resolver=names, allowed_networks=LOOPBACK, tls_context=client)

    with pytest.raises(ssl.SSLCertVerificationError):
        safehttp.request("GET", f"https://impostor.test:{server.port}/", policy=policy)


def test_a_redirect_is_answered_not_followed_by_default(server):
    server.status, server.headers = 302, {"Location": "http://10.0.0.5/admin"}

    response = safehttp.request(
        "POST",
        f"http://127.0.0.1:{server.port}/",
        body=b"{}",
        policy=safehttp.Policy(allowed_networks=LOOPBACK),
    )

    assert response.status == 302 and len(server.seen) == 1


def test_a_followed_redirect_is_checked_like_the_first_hop(server):
    server.status, server.headers = 302, {"Location": "http://internal.example/secrets"}
    names = Names(status_example=[["127.0.0.1"]], internal_example=[["10.0.0.5"]])
    policy = safehttp.Policy(resolver=names, allowed_networks=LOOPBACK, max_redirects=3)

    with pytest.raises(safehttp.Refused, match="10.0.0.5, a private address"):
        safehttp.request("GET", f"http://status.example:{server.port}/", policy=policy)

    assert names.asked == ["status.example", "internal.example"] and len(server.seen) == 1


def test_a_followed_redirect_to_an_allowed_place_is_fetched(server):
    server.status, server.headers = 301, {"Location": "/moved"}
    policy = safehttp.Policy(allowed_networks=LOOPBACK, max_redirects=1)

    response = safehttp.request("GET", f"http://127.0.0.1:{server.port}/", policy=policy)

    assert response.url.endswith("/moved") and [s["path"] for s in server.seen] == ["/", "/moved"]


def test_a_body_larger_than_the_limit_is_refused(server):
    server.body = b"x" * 5000
    policy = safehttp.Policy(allowed_networks=LOOPBACK, max_body_bytes=4096)

    with pytest.raises(safehttp.TooLarge, match="4096 bytes"):
        safehttp.request("GET", f"http://127.0.0.1:{server.port}/", policy=policy)


def test_a_server_dripping_its_answer_is_cut_off_at_the_total_time_limit(server):
    server.body, server.drip = b"x" * 50, 0.05  # 2.5 s in all, each byte well within read_timeout
    policy = safehttp.Policy(allowed_networks=LOOPBACK, read_timeout=1.0, total_timeout=0.5)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        safehttp.request("GET", f"http://127.0.0.1:{server.port}/", policy=policy)

    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/", "https://"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http:///path", "no host"),
        ("http://example.com:99999/", "port"),
        ("http://does-not-exist.invalid/", "cannot be resolved"),
    ],
)
def test_urls_that_cannot_be_dialled_are_refused_with_a_reason(url, message):
    with pytest.raises(safehttp.Refused, match=message):
        safehttp.check_url(url, safehttp.Policy(resolver=Names()))
