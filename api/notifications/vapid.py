"""VAPID keys for Web Push: from settings, or generated once under settings.home in development."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid

from core.settings import Settings, stored_secret

KEY_FILE = "vapid_private_key"  # under settings.home, readable by its owner only


class VapidKeysMissing(RuntimeError):
    """Web Push cannot be signed: no VAPID key is configured outside development."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_private_key() -> str:
    """A new VAPID private key as base64url of the raw 32 bytes (what PITSTOP_VAPID_... takes)."""
    vapid = Vapid()
    vapid.generate_keys()
    return _b64(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))


def public_key_of(vapid: Vapid) -> str:
    """The public key as browsers want it (applicationServerKey): base64url uncompressed point."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64(raw)


def vapid_keys(settings: Settings) -> tuple[Vapid, str]:
    """The signing key and its public key, or VapidKeysMissing saying how to set them."""
    if settings.vapid_private_key is not None:
        private = settings.vapid_private_key.get_secret_value()
    elif settings.environment == "development":
        private = stored_secret(settings.home / KEY_FILE, new_private_key)
    else:
        raise VapidKeysMissing(
            f"PITSTOP_VAPID_PRIVATE_KEY is not set, which is refused in {settings.environment}; "
            "generate one with: python -c 'from api.notifications.vapid import new_private_key; "
            "print(new_private_key())'"
        )
    try:
        vapid = Vapid.from_string(private_key=private)
    except Exception as error:
        raise VapidKeysMissing(
            f"PITSTOP_VAPID_PRIVATE_KEY is not a base64url P-256 private key ({error}); "
            "generate a new one with api.notifications.vapid.new_private_key()"
        ) from None
    public = public_key_of(vapid)
    if settings.vapid_public_key and settings.vapid_public_key.rstrip("=") != public:
        raise VapidKeysMissing(
            "PITSTOP_VAPID_PUBLIC_KEY does not belong to PITSTOP_VAPID_PRIVATE_KEY; unset it "
            "(it is derived from the private key) or set the matching one"
        )
    return vapid, public
