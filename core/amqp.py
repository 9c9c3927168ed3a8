"""What every AMQP user of Pitstop shares: the RabbitMQ cluster's node URLs, and which
errors mean that a node, a connection or a channel is gone (move on to the next node)."""

from __future__ import annotations

import logging

import pika
import pika.exceptions

logging.getLogger("pika").setLevel(logging.WARNING)  # it logs every channel at INFO

HEARTBEAT_S = 30
CONNECT_TIMEOUT_S = 10.0
CONNECTION_ERRORS = (pika.exceptions.AMQPError, OSError)


def parse_urls(urls: str) -> list[pika.URLParameters]:
    """Connection parameters of each comma-separated amqp:// URL (PITSTOP_AMQP_URLS); a
    ValueError says what is wrong."""
    found = [url.strip() for url in urls.split(",") if url.strip()]
    if not found:
        raise ValueError(
            "no RabbitMQ node given: set PITSTOP_AMQP_URLS to its nodes' URLs, e.g. "
            "amqp://pitstop:secret@10.0.0.1:5672/%2F,amqp://pitstop:secret@10.0.0.2:5672/%2F"
        )
    parameters = []
    for url in found:
        if not url.startswith(("amqp://", "amqps://")):
            raise ValueError(f"{url!r} is not an amqp:// or amqps:// URL")
        params = pika.URLParameters(url)
        params.heartbeat = HEARTBEAT_S
        params.socket_timeout = CONNECT_TIMEOUT_S
        params.blocked_connection_timeout = 3 * HEARTBEAT_S
        params.connection_attempts = 1
        parameters.append(params)
    return parameters


def connect(params: pika.URLParameters, name: str) -> pika.BlockingConnection:
    """A connection to one node, named for the broker's listings; refused credentials raise a
    RuntimeError that says what to fix (retrying cannot help), any other failure pika's."""
    params.client_properties = {"connection_name": name}
    try:
        return pika.BlockingConnection(params)
    except pika.exceptions.ProbableAuthenticationError as exc:
        raise RuntimeError(
            f"RabbitMQ at {params.host}:{params.port} refused the credentials of "
            f"PITSTOP_AMQP_URLS ({exc!r}); give a user with read, write and configure "
            f"rights on the virtual host {params.virtual_host!r}"
        ) from exc
