"""Request body size, enforced before the body is read (ASGI middleware)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.i18n import pick_language, register, translate

register(
    {
        "request_too_large": {
            "en": "the request body is larger than {limit} bytes; send less (split the request)",
            "zh-CN": "请求体超过 {limit} 字节,请减少内容(拆分请求)",
        },
        "too_many_requests": {
            "en": "too many requests: {why}; retry after {retry_after} s",
            "zh-CN": "请求过多:{why};请在 {retry_after} 秒后重试",
        },
    }
)


class BodyTooLarge(Exception):
    """Raised inside receive() when a streamed body passes the limit."""


class BodySizeLimit:
    """Answer 413 when Content-Length or the bytes streamed so far pass max_bytes."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        seen = 0
        overflowed = started = False

        async def counted_receive() -> Message:
            nonlocal seen, overflowed
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    overflowed = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if not overflowed:  # the app's answer to a cut-off body is replaced by ours
                started = started or message["type"] == "http.response.start"
                await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counted_receive, guarded_send)
        if overflowed and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        language = pick_language(headers.get(b"accept-language", b"").decode("latin-1") or None)
        body: dict[str, Any] = {
            "code": "request_too_large",
            "message": translate("request_too_large", language, limit=self.max_bytes),
            "details": {"limit": self.max_bytes},
        }
        payload = json.dumps(body, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
