"""VehicleLink over python-OBD: any ELM327 on a serial device, a pty or socket://host:port."""

from __future__ import annotations

import logging
import re
from typing import Any, cast

# pint (through python-OBD) warns that python-OBD redefines 'percent' on every start.
logging.getLogger("pint.util").setLevel(logging.ERROR)

import obd  # noqa: E402
from obd import OBDCommand, OBDStatus  # noqa: E402
from obd.protocols import ECU  # noqa: E402
from obd.protocols.protocol import Message  # noqa: E402

from core.signals import BY_NAME, SIGNAL_NAMES  # noqa: E402
from edge_agent.link import AdapterInfo, DtcReading, LinkError  # noqa: E402

log = logging.getLogger(__name__)

# An ELM327 answers a PID in tens of milliseconds; a clone that has not answered in 2 s will
# not, and waiting longer only stalls every other signal.
READ_TIMEOUT_S = 2.0
# Baud rate for ports that have none (TCP): python-OBD's auto-baud probe garbles sockets.
SOCKET_BAUDRATE = 38400
# After this many queries in a row without any answer, the adapter is treated as gone.
MAX_SILENT_QUERIES = 8


def _odometer(messages: list[Message]) -> obd.Unit.Quantity:
    # 4 bytes, 0 to 429,496,729.5 km (SAE J1979 PID A6)
    data = messages[0].data[2:6]
    return int.from_bytes(data, "big") / 10 * obd.Unit.kilometer


def _vin(messages: list[Message]) -> str | None:
    # python-OBD 0.7.3 strips the characters '0', '1', '2' and 'x' from both ends of the VIN
    # (it passes a byte string to strip() as if it were a prefix), so decode it here: the
    # printable characters after the mode and PID bytes, last 17 of them.
    data = b"".join(bytes(m.data[2:]) for m in messages)
    text = re.sub(r"[^A-Za-z0-9]", "", data.decode("ascii", "ignore"))
    return text[-17:] if len(text) >= 17 else (text or None)


def _pid_bitmap(messages: list[Message]) -> list[bool]:
    data = messages[0].data[2:6]
    return [bool(byte >> (7 - bit) & 1) for byte in data for bit in range(8)]


ODOMETER = OBDCommand("ODOMETER", "Total distance travelled", b"01A6", 6, _odometer,
                      ECU.ENGINE, True)  # fmt: skip
PIDS_A1_C0 = OBDCommand("PIDS_A1_C0", "Supported PIDs [A1-C0]", b"01A0", 6, _pid_bitmap,
                        ECU.ENGINE, True)  # fmt: skip
VIN = OBDCommand("VIN", "Vehicle Identification Number", b"0902", 0, _vin, ECU.ENGINE, True)
CUSTOM = {"ODOMETER": ODOMETER}


def command(name: str) -> OBDCommand:
    """The python-OBD command that reads a catalogue signal."""
    return CUSTOM.get(name) or obd.commands[name]


class ObdLink:
    """A car behind an ELM327 adapter, read through python-OBD."""

    def __init__(self, port: str, *, baudrate: int | None = None, protocol: str | None = None,
                 timeout: float = READ_TIMEOUT_S):  # fmt: skip
        self.port = port
        self.baudrate = baudrate or (SOCKET_BAUDRATE if "://" in port else None)
        self.protocol = protocol
        self.timeout = timeout
        self._conn: obd.OBD | None = None
        self._supported: set[str] = set()
        self._silent = 0
        # stored codes -> (freeze frame values, the code that stored them)
        self._freeze_cache: tuple[tuple[str, ...], dict[str, float] | None, str | None] = (
            (),
            None,
            None,
        )

    def connect(self) -> AdapterInfo:
        """Open the port, find the protocol and the supported PIDs; LinkError when no car."""
        self.close()
        try:
            conn = obd.OBD(self.port, baudrate=self.baudrate, protocol=self.protocol, fast=False,
                           timeout=self.timeout)  # fmt: skip
        except Exception as exc:  # python-OBD reports most failures as a status, not all
            raise LinkError(f"cannot open {self.port}: {exc}") from exc
        if conn.status() != OBDStatus.CAR_CONNECTED:
            status = conn.status()
            conn.close()
            raise LinkError(
                f"no car on {self.port} (adapter status: {status}); check the port, "
                "that the adapter is plugged in and that the ignition is on"
            )
        self._set_read_timeout(conn)
        self._conn = conn
        self._silent = 0
        self._supported = self._discover(conn)
        adapter = self._query(obd.commands.ELM_VERSION, force=True)
        log.info("connected to %s: %s, %d signals supported", self.port, conn.protocol_name(),
                 len(self._supported))  # fmt: skip
        return AdapterInfo(adapter=str(adapter or "ELM327"), protocol=conn.protocol_name())

    def _set_read_timeout(self, conn: obd.OBD) -> None:
        # python-OBD only applies its timeout while probing the baud rate; reads keep the
        # 10 s serial timeout, so a silent clone would stall the agent. Shorten it.
        port = getattr(conn.interface, "_ELM327__port", None)
        if port is not None:
            port.timeout = self.timeout

    def _discover(self, conn: obd.OBD) -> set[str]:
        names = {n for n in SIGNAL_NAMES if n not in CUSTOM and conn.supports(obd.commands[n])}
        bitmap = self._query(PIDS_A1_C0, force=True)
        if bitmap and bitmap[0xA6 - 0xA1]:
            names.add("ODOMETER")
        return names

    def close(self) -> None:
        """Release the port."""
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception as exc:  # the port may already be gone; closing must not fail
                log.debug("closing %s: %s", self.port, exc)
            self._conn = None

    def _query(self, cmd: OBDCommand, *, force: bool = False) -> Any:
        """The decoded value, or None; LinkError when the adapter is gone or stays silent."""
        conn = self._conn
        if conn is None or conn.status() == OBDStatus.NOT_CONNECTED:
            raise LinkError(f"the adapter on {self.port} is not connected")
        if not force and not conn.supports(cmd):
            return None  # unsupported: not a sign of a silent adapter
        try:
            response = conn.query(cmd, force=force)
        except Exception as exc:  # pyserial and the decoders raise many kinds
            raise LinkError(f"reading {cmd.name} from {self.port} failed: {exc}") from exc
        if conn.status() == OBDStatus.NOT_CONNECTED:
            self._conn = None
            raise LinkError(f"the adapter on {self.port} dropped the connection")
        if response.is_null():
            self._silent += 1
            if self._silent >= MAX_SILENT_QUERIES:
                raise LinkError(f"the adapter on {self.port} stopped answering")
            return None
        self._silent = 0
        return response.value

    def read_vin(self) -> str | None:
        """The VIN from mode 09 PID 02, or None when the car reports none."""
        return cast("str | None", self._query(VIN, force=True))

    def supported_signals(self) -> set[str]:
        """Catalogue signal names the car answers."""
        return set(self._supported)

    def read(self, signal: str) -> float | None:
        """One value in the catalogue unit, or None when the car did not answer."""
        if signal not in self._supported:
            return None
        # python-OBD only lets through what it knows; the custom commands are checked above.
        return _magnitude(signal, self._query(command(signal), force=signal in CUSTOM))

    def read_dtcs(self) -> DtcReading:
        """Stored (mode 03) and pending (mode 07) codes, MIL, and the mode 02 freeze frame."""
        stored = self._codes(obd.commands.GET_DTC)
        pending = self._codes(obd.commands.GET_CURRENT_DTC)
        status = self._query(obd.commands.STATUS)
        mil = bool(status.MIL) if status is not None else None
        frame, frame_dtc = self._freeze_frame(tuple(stored))
        return DtcReading(stored=stored, pending=pending, mil=mil, freeze_frame=frame,
                          freeze_frame_dtc=frame_dtc)  # fmt: skip

    def _codes(self, cmd: OBDCommand) -> list[str]:
        value = self._query(cmd)
        # Keep the car's order: the first confirmed code is the one the freeze frame belongs to.
        return list(dict.fromkeys(code for code, _description in value or ()))

    def _freeze_frame(self, stored: tuple[str, ...]) -> tuple[dict[str, float] | None, str | None]:
        # A freeze frame only changes when a new code is stored; reading it costs a dozen
        # queries, so it is read again only when the stored codes change.
        if not stored:
            self._freeze_cache = ((), None, None)
            return None, None
        if self._freeze_cache[0] == stored:
            return self._freeze_cache[1], self._freeze_cache[2]
        conn = self._conn
        frame_dtc = None
        if conn is not None and conn.supports(obd.commands.DTC_FREEZE_DTC):
            answer = self._query(obd.commands.DTC_FREEZE_DTC)
            frame_dtc = answer[0] if answer else None
        values: dict[str, float] = {}
        for name in SIGNAL_NAMES:
            if not obd.commands.has_name(f"DTC_{name}"):
                continue
            cmd = obd.commands[f"DTC_{name}"]
            if conn is not None and conn.supports(cmd):
                value = _magnitude(name, self._query(cmd))
                if value is not None:
                    values[name] = value
        # Without PID 02 the frame belongs, by J1979, to the first confirmed code.
        frame_dtc = frame_dtc or stored[0]
        result = (values or None, frame_dtc if values else None)
        self._freeze_cache = (stored, *result)
        return result


def _magnitude(signal: str, value: Any) -> float | None:
    """A python-OBD value as a float in the catalogue unit; None when it has none."""
    if value is None:
        return None
    if hasattr(value, "to"):
        try:
            return float(value.to(BY_NAME[signal].unit).magnitude)
        except Exception as exc:  # an odd unit from a clone must not stop the loop
            log.warning("cannot convert %s=%r to %s: %s", signal, value, BY_NAME[signal].unit, exc)
            return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
