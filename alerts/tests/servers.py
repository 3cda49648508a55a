"""The outside parties of the alerts, for real, on 127.0.0.1 in the test process:

- an SMTP server (aiosmtpd) that keeps every message it accepts, and refuses
  the recipients the test scripts (550 "no such user", 451 "try later");
- a push service that holds browsers' keys, checks the VAPID signature and
  DECRYPTS every message (RFC 8291, aes128gcm) as the browser would, answering
  with scripted statuses (201, or 410 for a browser that unsubscribed);
- a chat-service receiver for the newsroom channels (any JSON POST).
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from aiosmtpd.controller import Controller
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SMTP -----------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    to: list[str]
    message: EmailMessage
    peer: tuple

    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class SMTPServer:
    """`refuse` maps a recipient to the reply its RCPT TO gets ("550 ...")."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, session.peer))
            self.arrived.notify_all()
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        assert len(self.messages) >= count, f"{len(self.messages)} mails arrived, {count} awaited"
        return self.messages

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.to]


def start_smtp() -> tuple[SMTPServer, Controller]:
    server = SMTPServer(port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    return server, controller


# --- Web Push ---------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signed_by(jwt: str, key: str) -> bool:
    """Whether the VAPID JWT carries an ES256 signature by `key` (RFC 8292)."""
    try:
        signed, _, signature = jwt.rpartition(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
        r, s = int.from_bytes(_unb64(signature)[:32], "big"), int.from_bytes(_unb64(signature)[32:], "big")
        public.verify(encode_dss_signature(r, s), signed.encode(), ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature):
        return False
    return True


@dataclass
class Browser:
    """A browser's push subscription: its own key pair and auth secret, as
    PushManager.subscribe() makes them."""

    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))
    status: int = 201
    shown: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)

    def subscription(self) -> dict:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": _b64(point), "auth": _b64(self.auth)}}


@dataclass
class PushService:
    url: str = ""
    browsers: dict[str, Browser] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def browser(self, name: str, status: int = 201) -> Browser:
        browser = Browser(name, f"{self.url}/push/{name}", status=status)
        self.browsers[name] = browser
        return browser

    def receive(self, name: str, headers: dict[str, str], body: bytes) -> int:
        headers = {key.lower(): value for key, value in headers.items()}
        browser = self.browsers.get(name)
        if browser is None:
            return 404
        if browser.status >= 300:
            return browser.status
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        parts = dict(item.split("=", 1) for item in credentials.split(",") if "=" in item)
        if scheme != "vapid" or not _signed_by(parts.get("t", ""), parts.get("k", "")):
            self.problems.append(f"bad VAPID header {headers.get('authorization')!r}")
            return 403
        if headers.get("content-encoding") != "aes128gcm":
            self.problems.append("not aes128gcm")
            return 400
        plain = http_ece.decrypt(
            body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
        )
        browser.shown.append(json.loads(plain))
        browser.headers.append({**headers, "vapid_key": parts["k"], "jwt": parts["t"]})
        return 201


def serve(handle) -> tuple[str, ThreadingHTTPServer]:
    """An HTTP server on 127.0.0.1 in a thread; `handle(path, headers, body)`
    returns the status of each POST."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(handle(self.path, dict(self.headers), body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def start_push() -> tuple[PushService, ThreadingHTTPServer]:
    service = PushService()
    service.url, server = serve(
        lambda path, headers, body: service.receive(path.rsplit("/", 1)[-1], headers, body)
    )
    return service, server


# --- chat services ------------------------------------------------------------------------


@dataclass
class ChatService:
    """Takes JSON POSTs as Slack, Discord and Teams do; `status` is its answer."""

    url: str = ""
    status: int = 200
    posts: list[tuple[dict, dict]] = field(default_factory=list)  # (headers, parsed body)
    raw: list[bytes] = field(default_factory=list)


def start_chat() -> tuple[ChatService, ThreadingHTTPServer]:
    chat = ChatService()

    def take(path: str, headers: dict, body: bytes) -> int:
        chat.raw.append(body)
        chat.posts.append((headers, json.loads(body)))
        return chat.status

    url, server = serve(take)
    chat.url = url + "/hook"
    return chat, server
