"""Who may use the MQTT broker: per-car accounts, service accounts, and the ACL.

Mosquitto reads two files from one directory: `passwd` (user:PBKDF2-SHA512 hash, the format
of `mosquitto_passwd`, written here so the product does not need that binary) and `acl`.
A car's username is its VIN; the ACL lets it publish only under pitstop/v1/{its VIN}/ and
read only its own config topic. Mosquitto rereads both files on SIGHUP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from core import wire
from core.vin import validate_vin

# Mosquitto's default. Passwords are 192 random bits, so stretching adds nothing, and a
# whole fleet reconnecting after a broker restart must not cost seconds of CPU per car.
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12
PASSWORD_BYTES = 24  # 192 random bits: no dictionary to guess from

INGEST_USER = "pitstop-ingest"  # reads every car's uplink
API_USER = "pitstop-api"  # sends cars their config and watches their status
MONITOR_USER = "pitstop-monitor"  # health checks read the broker's statistics
FLEET_USER = "pitstop-fleet"  # the simulated demo fleet only: it speaks for every car
SERVICE_USERS = (INGEST_USER, API_USER, MONITOR_USER)
ROOT = wire.TOPIC_ROOT


def acl_text(*, demo_fleet: bool = False) -> str:
    """The Mosquitto ACL; %u is the connecting username, a car's VIN."""
    blocks = [
        [f"user {INGEST_USER}", *(f"topic read {ROOT}/+/{k}" for k in wire.UPLINK_KINDS)],
        [f"user {API_USER}", f"topic readwrite {ROOT}/+/config", f"topic read {ROOT}/+/status"],
        *([[f"user {FLEET_USER}", f"topic readwrite {ROOT}/#"]] if demo_fleet else []),
        [f"user {MONITOR_USER}", "topic read $SYS/#"],
        [
            "# Cars: the user name is the VIN, and a car reaches only its own subtree.",
            f"pattern write {ROOT}/%u/telemetry",
            f"pattern write {ROOT}/%u/dtc",
            f"pattern readwrite {ROOT}/%u/status",
            f"pattern read {ROOT}/%u/config",
        ],
    ]
    header = "# Written by `pitstop cars` (core/broker_auth.py); topics: docs/wire-protocol.md."
    return "\n\n".join("\n".join(block) for block in [[header], *blocks]) + "\n"


def acl_rules(text: str) -> list[str]:
    """The rule lines of an ACL, without comments and blank lines, in order."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


class AccountError(ValueError):
    """A username the broker accounts cannot take, or one that does not exist."""


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Mosquitto's `$7$` password hash: PBKDF2-HMAC-SHA512, base64 salt and digest."""
    salt = salt or os.urandom(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ITERATIONS)
    encoded = (base64.b64encode(part).decode() for part in (salt, digest))
    return f"$7${PBKDF2_ITERATIONS}${next(encoded)}${next(encoded)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether the password matches a `$7$` hash (as Mosquitto checks it)."""
    _, kind, iterations, salt, digest = stored.split("$")
    if kind != "7":
        return False
    computed = hashlib.pbkdf2_hmac(
        "sha512", password.encode(), base64.b64decode(salt), int(iterations)
    )
    return hmac.compare_digest(computed, base64.b64decode(digest))


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def url(self, broker_url: str) -> str:
        """The broker URL with these credentials, e.g. mqtts://VIN:secret@host:8883."""
        scheme, rest = broker_url.split("://", 1)
        return f"{scheme}://{self.username}:{self.password}@{rest.rsplit('@', 1)[-1]}"


class BrokerAccounts:
    """The password and ACL files in one directory, as the broker reads them."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.password_file = self.directory / "passwd"
        self.acl_file = self.directory / "acl"

    def ensure(self) -> BrokerAccounts:
        """Create the directory, the ACL and an empty password file where missing."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.acl_file.exists():  # an operator's own ACL is kept
            self.acl_file.write_text(acl_text())
        if not self.password_file.exists():
            self._write({})
        return self

    def mosquitto_config(self) -> str:
        """The lines of mosquitto.conf that turn these files on."""
        self.ensure()
        return (
            f"allow_anonymous false\npassword_file {self.password_file}\nacl_file {self.acl_file}\n"
        )

    def provision_car(self, vin: str) -> Credentials:
        """A new random password for the car (replacing any old one); the VIN is the user."""
        try:
            username = validate_vin(vin)
        except ValueError as exc:
            raise AccountError(f"cannot provision {vin!r}: {exc}") from None
        return self._set(username)

    def provision_service(self, username: str) -> Credentials:
        """A new random password for ingest, the API or the health check."""
        if username not in SERVICE_USERS:
            raise AccountError(f"{username!r} is not a service account; use one of {SERVICE_USERS}")
        return self._set(username)

    def revoke(self, username: str) -> None:
        """Remove the account; the broker refuses it after its next reload (SIGHUP)."""
        entries = self._read()
        if entries.pop(username, None) is None:
            raise AccountError(f"no broker account {username!r}; nothing was revoked")
        self._write(entries)

    def usernames(self) -> list[str]:
        return sorted(self._read())

    def _set(self, username: str) -> Credentials:
        self.ensure()
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        entries = self._read()
        entries[username] = hash_password(password)
        self._write(entries)
        return Credentials(username, password)

    def _read(self) -> dict[str, str]:
        if not self.password_file.exists():
            return {}
        lines = self.password_file.read_text().splitlines()
        return dict(line.split(":", 1) for line in lines if ":" in line)

    def _write(self, entries: dict[str, str]) -> None:
        staging = self.password_file.with_suffix(".new")
        staging.write_text("".join(f"{user}:{hashed}\n" for user, hashed in entries.items()))
        staging.chmod(0o600)
        staging.replace(self.password_file)
