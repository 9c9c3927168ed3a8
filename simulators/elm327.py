"""The ELM327 command interpreter for a simulated car: text in, text out, no transport.

Values are encoded as the inverse of python-OBD's decoders and framed as ISO 15765-4 CAN
with 11-bit identifiers (the engine answers as 7E8). Frames look like python-OBD's own
protocol notes:  7E8 06 41 00 BE 3F A8 13
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from core.signals import BY_NAME
from simulators.car import Car

ELM_VERSION = "ELM327 v1.5"
DEVICE_DESCRIPTION = "Pitstop simulated OBD-II adapter"
ENGINE_HEADER = "7E8"
PROTOCOL_NUMBER = "6"  # ISO 15765-4 CAN, 11-bit ID, 500 kbaud
PROTOCOL_DESCRIPTION = "ISO 15765-4 (CAN 11/500)"
PID_GETTERS = (0x00, 0x20, 0x40, 0x60, 0x80, 0xA0, 0xC0)
O2_SENSORS_PRESENT = 0x03  # bank 1 sensors 1 and 2
STATUS_MONITORS = (0x07, 0xE5, 0x00)  # spark ignition; misfire, fuel, components tested


def _pct(v: float) -> int:  # 0 to 100 %
    return round(v * 255 / 100)


def _centered(v: float) -> int:  # -100 to 99.2 %
    return round(v * 128 / 100 + 128)


def _temp(v: float) -> int:  # -40 to 215 C
    return round(v + 40)


# signal -> (data bytes, encoder from the catalogue unit to an unsigned integer)
ENCODERS: dict[str, tuple[int, Callable[[float], int]]] = {
    "ENGINE_LOAD": (1, _pct),
    "COOLANT_TEMP": (1, _temp),
    "SHORT_FUEL_TRIM_1": (1, _centered),
    "LONG_FUEL_TRIM_1": (1, _centered),
    "RPM": (2, lambda v: round(v * 4)),
    "SPEED": (1, round),
    "INTAKE_TEMP": (1, _temp),
    "MAF": (2, lambda v: round(v * 100)),
    "THROTTLE_POS": (1, _pct),
    # O2 sensors: voltage in 5 mV steps, then 0xFF: "not used for trim"
    "O2_B1S1": (2, lambda v: round(v * 200) << 8 | 0xFF),
    "O2_B1S2": (2, lambda v: round(v * 200) << 8 | 0xFF),
    "RUN_TIME": (2, round),
    "FUEL_LEVEL": (1, _pct),
    "DISTANCE_SINCE_DTC_CLEAR": (2, round),
    "CONTROL_MODULE_VOLTAGE": (2, lambda v: round(v * 1000)),
    "AMBIANT_AIR_TEMP": (1, _temp),
    "ODOMETER": (4, lambda v: round(v * 10)),
}
PIDS: dict[int, str] = {int(BY_NAME[name].pid[2:], 16): name for name in ENCODERS}


def encode_value(signal: str, value: float) -> bytes:
    """The data bytes of one mode 01 answer, clamped to what the bytes can hold."""
    size, encoder = ENCODERS[signal]
    raw = max(0, min(encoder(value), 256**size - 1))
    return raw.to_bytes(size, "big")


def encode_dtc(code: str) -> bytes:
    """Two bytes of a trouble code, e.g. P0301 -> 03 01."""
    first = "PCBU".index(code[0]) << 6 | int(code[1]) << 4 | int(code[2], 16)
    return bytes((first, int(code[3:], 16)))


def pid_bitmask(base: int, supported: set[int]) -> bytes:
    """The 4-byte answer to a 'supported PIDs' request (PIDs base+1 .. base+0x20)."""
    bits = 0
    for pid in range(base + 1, base + 0x21):
        if pid in supported or (pid == base + 0x20 and any(p > pid for p in supported)):
            bits |= 1 << (base + 0x20 - pid)
    return bits.to_bytes(4, "big")


def can_frames(data: bytes) -> list[bytes]:
    """ISO-TP frames (with PCI bytes) carrying one message."""
    if len(data) <= 7:
        return [bytes((len(data),)) + data]
    frames = [bytes((0x10 | len(data) >> 8, len(data) & 0xFF)) + data[:6]]
    rest, seq = data[6:], 1
    while rest:
        frames.append(bytes((0x20 | seq & 0x0F,)) + rest[:7])
        rest, seq = rest[7:], seq + 1
    return frames


class Elm327:
    """One adapter session: settings (echo, headers, ...) and the car it talks to."""

    def __init__(self, car: Car, lock: threading.Lock | None = None):
        self.car = car
        self.lock = lock or threading.Lock()
        self.last_command = ""
        self.reset()

    def reset(self) -> None:
        """Power-on defaults (ATZ)."""
        self.echo, self.headers, self.spaces, self.linefeeds = True, False, True, False
        self.auto_protocol = True

    def respond(self, raw: str) -> str:
        """Everything the adapter sends back for one command line, prompt included."""
        command = raw.replace(" ", "").upper()
        if not command:
            command = self.last_command  # a bare CR repeats the last command
        else:
            self.last_command = command
        echo = raw + "\r" if self.echo else ""
        lines = self._execute(command)
        sep = "\r\n" if self.linefeeds else "\r"
        return echo + sep.join(lines) + sep + sep + ">"

    def _execute(self, command: str) -> list[str]:
        if command.startswith("AT"):
            return [self._at(command[2:])]
        if not command or any(c not in "0123456789ABCDEF" for c in command) or len(command) < 2:
            return ["?"]
        with self.lock:
            data = self._obd(command)
        if data is None:
            return ["NO DATA"]
        return self._format(data)

    def _at(self, at: str) -> str:
        toggles = {"E": "echo", "H": "headers", "S": "spaces", "L": "linefeeds"}
        if at in ("Z", "WS", "D"):
            self.reset()
            return ELM_VERSION if at != "D" else "OK"
        if len(at) == 2 and at[0] in toggles and at[1] in "01":
            setattr(self, toggles[at[0]], at[1] == "1")
            return "OK"
        if at == "I":
            return ELM_VERSION
        if at == "@1":
            return DEVICE_DESCRIPTION
        if at == "RV":
            with self.lock:
                return f"{self.car.values()['ELM_VOLTAGE']:.1f}V"
        if at == "DPN":
            return ("A" if self.auto_protocol else "") + PROTOCOL_NUMBER
        if at == "DP":
            return ("AUTO, " if self.auto_protocol else "") + PROTOCOL_DESCRIPTION
        if at.startswith(("SP", "TP")):
            self.auto_protocol = at[2:] in ("0", "A0", "A6", "")
            return "OK"
        if at.startswith(("SH", "ST", "AT", "CAF", "CRA", "CFC", "M", "AL", "NL", "LP", "PC")):
            return "OK"
        return "?"

    def _obd(self, command: str) -> bytes | None:
        mode = int(command[:2], 16)
        if mode == 0x03:
            return self._dtc_message(0x43, self.car.ecu.stored)
        if mode == 0x07:
            return self._dtc_message(0x47, self.car.ecu.pending)
        if mode == 0x04:
            self.car.clear_dtcs()
            return b"\x44"
        if len(command) < 4:
            return None
        pid = int(command[2:4], 16)
        # A 2-digit tail is a J1979 frame number (mode 02); 1 digit is python-OBD's
        # "expected responses" hint, which changes nothing here.
        frame = bytes((int(command[4:6], 16),)) if len(command) == 6 else b""
        if mode == 0x01:
            return self._current(pid)
        if mode == 0x02:
            answer = self._freeze_frame(pid)
            return None if answer is None else b"\x42" + bytes((pid,)) + frame + answer
        if mode == 0x09:
            return self._vehicle_info(pid)
        return None

    def _current(self, pid: int) -> bytes | None:
        head = bytes((0x41, pid))
        if pid in PID_GETTERS:
            return head + pid_bitmask(pid, {0x01, 0x02, 0x13, *PIDS})
        if pid == 0x01:
            stored = self.car.ecu.stored
            first = (0x80 if self.car.ecu.mil else 0) | min(len(stored), 0x7F)
            return head + bytes((first, *STATUS_MONITORS))
        if pid == 0x02:  # the code that stored the freeze frame; 00 00 when there is none
            code = self.car.ecu.freeze_frame_dtc
            return head + (encode_dtc(code) if code else b"\x00\x00")
        if pid == 0x13:
            return head + bytes((O2_SENSORS_PRESENT,))
        if pid in PIDS:
            return head + encode_value(PIDS[pid], self.car.values()[PIDS[pid]])
        return None

    def _freeze_frame(self, pid: int) -> bytes | None:
        ecu = self.car.ecu
        if ecu.freeze_frame is None:
            return None
        if pid in PID_GETTERS:
            return pid_bitmask(pid, {0x02, *(p for p, s in PIDS.items() if s in ecu.freeze_frame)})
        if pid == 0x02:
            return encode_dtc(ecu.freeze_frame_dtc)
        if pid in PIDS and PIDS[pid] in ecu.freeze_frame:
            return encode_value(PIDS[pid], ecu.freeze_frame[PIDS[pid]])
        return None

    def _vehicle_info(self, pid: int) -> bytes | None:
        if pid == 0x00:
            return bytes((0x49, 0x00)) + pid_bitmask(0x00, {0x01, 0x02})
        if pid == 0x01:
            return bytes((0x49, 0x01, 0x01))
        if pid == 0x02:
            return bytes((0x49, 0x02, 0x01)) + self.car.vin.encode("ascii")
        return None

    @staticmethod
    def _dtc_message(service: int, codes: list[str]) -> bytes:
        return bytes((service, len(codes))) + b"".join(encode_dtc(c) for c in codes)

    def _format(self, data: bytes) -> list[str]:
        joiner = " " if self.spaces else ""
        frames = can_frames(data)
        if self.headers:
            return [joiner.join([ENGINE_HEADER, *(f"{b:02X}" for b in f)]) for f in frames]
        if len(frames) == 1:
            return [joiner.join(f"{b:02X}" for b in data)]
        lines = [f"{len(data):03X}"]  # the ELM's own multi-frame layout without headers
        for i, f in enumerate(frames):
            body = f[2:] if i == 0 else f[1:]
            lines.append(f"{i:X}:{joiner}" + joiner.join(f"{b:02X}" for b in body))
        return lines
