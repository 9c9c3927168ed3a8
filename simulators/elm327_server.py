"""Serve a simulated car as an ELM327 adapter over TCP or a pseudo-terminal.

python-OBD connects with obd.OBD("socket://127.0.0.1:PORT") or obd.OBD("/dev/pts/N");
Torque-style apps use the TCP port as a Wi-Fi adapter. The car keeps driving in the
background (CarClock) at real time or faster.
"""

from __future__ import annotations

import logging
import os
import socketserver
import threading
import time

from simulators.car import Car
from simulators.elm327 import Elm327

log = logging.getLogger(__name__)

READ_CHUNK = 1024
CLOCK_TICK_S = 0.2  # how often the background clock moves the car


def _serve_stream(session: Elm327, read, write) -> None:
    """Read command lines ending in CR and write each answer, until the peer goes away."""
    buffer = b""
    while True:
        chunk = read()
        if not chunk:
            return
        buffer += chunk.replace(b"\n", b"")  # some tools send CR LF; LF alone means nothing
        while b"\r" in buffer:
            line, buffer = buffer.split(b"\r", 1)
            text = line.decode("ascii", "replace").replace("\x7f", "")
            write(session.respond(text).encode("ascii"))


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: Elm327TcpServer = self.server  # type: ignore[assignment]
        session = Elm327(server.car, server.lock)
        try:
            _serve_stream(session, lambda: self.request.recv(READ_CHUNK), self.request.sendall)
        except OSError as exc:
            log.debug("ELM327 client went away: %s", exc)


class Elm327TcpServer(socketserver.ThreadingTCPServer):
    """An ELM327 on a TCP port; each connection is a fresh adapter session on the same car."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, car: Car, lock: threading.Lock, host: str = "127.0.0.1", port: int = 0):
        self.car = car
        self.lock = lock
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> Elm327TcpServer:
        """Serve in a background thread; returns self."""
        threading.Thread(target=self.serve_forever, name="elm327-tcp", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def serve_pty(car: Car, lock: threading.Lock) -> str:
    """Serve the car on a new pseudo-terminal; returns its device path for python-OBD."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    session = Elm327(car, lock)

    def run() -> None:
        try:
            _serve_stream(
                session, lambda: os.read(master, READ_CHUNK), lambda b: os.write(master, b)
            )
        except OSError as exc:  # the other side closed the terminal
            log.debug("ELM327 pty closed: %s", exc)

    threading.Thread(target=run, name="elm327-pty", daemon=True).start()
    return path


class CarClock:
    """Moves a car's simulated time along with the wall clock, speed times faster."""

    def __init__(self, car: Car, lock: threading.Lock, speed: float = 1.0):
        self.car, self.lock, self.speed = car, lock, speed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="car-clock", daemon=True)

    def start(self) -> CarClock:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(CLOCK_TICK_S):
            now = time.monotonic()
            with self.lock:
                self.car.advance((now - last) * self.speed)
            last = now
