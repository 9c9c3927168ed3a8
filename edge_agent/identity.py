"""Which VIN the agent publishes under: the car's own when valid, else the configured one."""

from __future__ import annotations

from typing import Literal, NamedTuple

from core.vin import InvalidVin, validate_vin


class NoValidVin(RuntimeError):
    """Neither the car nor the configuration gives a valid VIN."""


class Identity(NamedTuple):
    vin: str
    source: Literal["ecu", "configured"]
    note: str | None  # why the configured VIN was used, or ignored


def resolve_vin(reported: str | None, configured: str | None) -> Identity:
    """The VIN to use; NoValidVin says how to fix it when there is none."""
    ecu_problem = "the car reports no VIN over mode 09"
    if reported:
        try:
            vin = validate_vin(reported)
        except InvalidVin as exc:
            ecu_problem = f"the car reports an invalid VIN: {exc}"
        else:
            note = None
            if configured and configured.strip().upper() != vin:
                note = f"configured VIN {configured} ignored: the car reports {vin}"
            return Identity(vin, "ecu", note)
    if not configured:
        raise NoValidVin(
            f"no valid VIN: {ecu_problem}, and none is configured. "
            "Pass the VIN printed on the car: pitstop edge --port PORT --vin <17 characters>"
        )
    try:
        vin = validate_vin(configured)
    except InvalidVin as exc:
        raise NoValidVin(
            f"no valid VIN: {ecu_problem}, and the configured one is invalid: {exc}. "
            "Pass the VIN printed on the car with --vin"
        ) from None
    return Identity(vin, "configured", f"using the configured VIN because {ecu_problem}")
