"""What every JetStream user of Pitstop shares: the cluster's URLs, and creating a stream on a
cluster that may not know its peers yet (ingest's uplink stream, the internal events stream)."""

from __future__ import annotations

import asyncio
import logging

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import StreamConfig

log = logging.getLogger(__name__)

NO_SUITABLE_PEERS = 10005  # JetStream's error code while it cannot place the replicas yet
PLACEMENT_WAIT_S = 60.0  # a cluster that just formed, or just lost a node, may need this long
RETRY_S = 1.0


def parse_urls(urls: str, *, setting: str = "PITSTOP_NATS_URLS") -> list[str]:
    """The comma-separated nats:// URLs; ValueError says what is wrong and what to set."""
    servers = [u.strip() for u in urls.split(",") if u.strip()]
    if not servers:
        raise ValueError(
            f"no NATS URLs: set {setting} to the cluster's nodes, e.g. "
            "nats://10.0.0.1:4222,nats://10.0.0.2:4222,nats://10.0.0.3:4222"
        )
    for url in servers:
        if not url.startswith(("nats://", "tls://")):
            raise ValueError(f"NATS URL {url!r} in {setting} must start with nats:// or tls://")
    return servers


async def ensure_stream(
    js: JetStreamContext, config: StreamConfig, *, wait_s: float = PLACEMENT_WAIT_S
) -> bool:
    """Create the stream unless it exists (processes racing agree on its config); True when
    this call created it. Retries while the cluster cannot place the replicas yet; on a single
    server that can never hold them, falls back to one replica."""
    try:
        await js.stream_info(config.name or "")
        return False
    except nats.js.errors.NotFoundError:
        pass
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        try:
            await js.add_stream(config)
            log.info("created the JetStream stream %s (%s replicas)", config.name,
                     config.num_replicas)  # fmt: skip
            return True
        except nats.js.errors.BadRequestError as exc:
            if exc.err_code == NO_SUITABLE_PEERS and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(RETRY_S)
                continue
            if "replicas" not in str(exc).lower() or config.num_replicas == 1:
                raise
            log.warning("one NATS server: the stream %s has one replica (%s)", config.name, exc)
            config.num_replicas = 1
