"""Real peers for the notification tests: an SMTP server (aiosmtpd), a local Web Push endpoint,
and a browser's side of a push subscription (its key pair and auth secret, and decryption).

The push endpoint stands in for a browser vendor's push service, which cannot run here: it
receives the encrypted POST exactly as FCM or Mozilla's autopush would.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every message; reply='451 ...' makes it refuse them."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.reply = reply
        self.messages: list[EmailMessage] = []
        self.refused: list[str] = []  # the recipients of each refused message

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if not self.reply.startswith("250"):
            self.refused += envelope.rcpt_tos
            return self.reply
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return self.reply


@contextmanager
def smtp_server(mailbox: Mailbox) -> Iterator[str]:
    """A real SMTP server on localhost for the duration; yields its smtp:// URL."""
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML parts of an email."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "the email needs a text and an HTML part"
    return text.get_content(), html.get_content()


@dataclass
class PushEndpoint:
    """A local push service: records each POST and answers with `status`."""

    status: int = 201
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def serve(self) -> ThreadingHTTPServer:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                endpoint.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(endpoint.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@contextmanager
def push_endpoint(status: int = 201) -> Iterator[PushEndpoint]:
    """A running local push endpoint."""
    endpoint = PushEndpoint(status=status)
    server = endpoint.serve()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Browser:
    """What a browser makes for pushManager.subscribe(): a P-256 key pair and an auth secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        """PushSubscription.toJSON()."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": _b64(public), "auth": _b64(self.auth_secret)},
        }

    def decrypt(self, body: bytes) -> dict[str, Any]:
        """The payload of an RFC 8291 aes128gcm push message, as the browser would read it."""
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return json.loads(plain)
