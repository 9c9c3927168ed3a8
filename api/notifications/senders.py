"""The channels: email over SMTP, Web Push (VAPID, RFC 8291 aes128gcm). Each raises SendFailed."""

from __future__ import annotations

import json
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

import requests
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from api.notifications.constants import PUSH_TIMEOUT_S, PUSH_TTL_S, SMTP_TIMEOUT_S
from api.notifications.outbound import NoRedirects

GONE_STATUSES = (404, 410)  # the push service forgot the subscription: it will never work again
MAX_PUSH_BODY_CHARS = 600  # keeps the encrypted payload under the 4 KB push services accept


class SendFailed(Exception):
    """A delivery attempt failed. permanent: retrying cannot help; gone: drop the subscription."""

    def __init__(self, why: str, *, permanent: bool = False, gone: bool = False) -> None:
        super().__init__(why)
        self.permanent = permanent
        self.gone = gone


def send_email(
    smtp_url: str | None,
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    language: str,
    reference: str,
) -> str:
    """Send a text + HTML email through the SMTP server of smtp_url; returns its Message-ID."""
    if not smtp_url:
        raise SendFailed("PITSTOP_SMTP_URL is not set; set it to smtp://host:port to send email")
    url = urlsplit(smtp_url)
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise SendFailed(f"smtp_url must look like smtp://host:port or smtps://host:port, "
                         f"not {url.scheme}://...", permanent=True)  # fmt: skip
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="pitstop.local")
    message["Content-Language"] = language
    message["X-Pitstop-Notification"] = reference
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    secure = url.scheme == "smtps"
    port = url.port or (465 if secure else 25)
    try:
        if secure:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                url.hostname, port, timeout=SMTP_TIMEOUT_S, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(url.hostname, port, timeout=SMTP_TIMEOUT_S)
        with client:
            client.ehlo()
            if not secure and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        raise SendFailed(f"the mail server refused {to}: {error.recipients}",
                         permanent=all(c >= 500 for c in codes)) from None  # fmt: skip
    except smtplib.SMTPResponseException as error:
        reply = error.smtp_error.decode(errors="replace") if isinstance(
            error.smtp_error, bytes) else str(error.smtp_error)  # fmt: skip
        raise SendFailed(f"the mail server answered {error.smtp_code} {reply}",
                         permanent=error.smtp_code >= 500) from None  # fmt: skip
    except (OSError, smtplib.SMTPException) as error:
        raise SendFailed(
            f"could not talk to the mail server {url.hostname}:{port}: {error}"
        ) from None
    return str(message["Message-ID"])


def push_payload(
    *, notification_id: int, kind: str, title: str, text: str, url: str | None, urgent: bool
) -> str:
    """The JSON the service worker shows: title, the message's first paragraph, the click URL."""
    body = text.split("\n\n", 1)[0]
    if len(body) > MAX_PUSH_BODY_CHARS:
        body = body[: MAX_PUSH_BODY_CHARS - 1] + "…"
    data = {"id": notification_id, "kind": kind, "title": title, "body": body, "url": url,
            "urgent": urgent}  # fmt: skip
    return json.dumps(data, ensure_ascii=False)


def send_push(
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    payload: str,
    vapid: Vapid,
    subject: str,
    urgent: bool,
) -> int:
    """Encrypt (aes128gcm) and POST the payload to the push service; returns its HTTP status."""
    subscription = {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}
    try:
        response = webpush(
            subscription,
            data=payload,
            vapid_private_key=vapid,
            vapid_claims={"sub": subject},  # a fresh dict: webpush adds aud and exp to it
            content_encoding="aes128gcm",
            timeout=PUSH_TIMEOUT_S,
            ttl=PUSH_TTL_S,
            headers={"Urgency": "high" if urgent else "normal"},
            requests_session=NoRedirects(),
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in GONE_STATUSES:
            raise SendFailed(f"the push service answered {status}: the subscription expired "
                             "and was removed", permanent=True, gone=True) from None  # fmt: skip
        raise SendFailed(f"the push service refused the message: {error}") from None
    except requests.RequestException as error:
        raise SendFailed(f"could not reach the push service: {error}") from None
    except (ValueError, TypeError) as error:
        # Keys the browser sent that do not decode: this subscription can never work.
        raise SendFailed(f"the subscription's keys are unusable: {error}",
                         permanent=True, gone=True) from None  # fmt: skip
    return int(getattr(response, "status_code", 201))
