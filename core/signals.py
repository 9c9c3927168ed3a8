"""The signal catalogue: one row per OBD-II signal, named as python-OBD names its command.

Each row maps the signal to its COVESA VSS 6.0 path, the unit python-OBD decodes it to, a
plausible range (values outside it are rejected at ingest), a default sampling period, and
the telemetry column that stores it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signal:
    name: str  # python-OBD command name
    pid: str  # mode and PID as sent to the ELM327
    unit: str  # python-OBD (pint) unit after decoding
    vss_path: str
    minimum: float
    maximum: float
    period_s: float  # default sampling period on the car
    en: str
    zh: str

    @property
    def column(self) -> str:
        return self.name.lower()


# fmt: off
SIGNALS: tuple[Signal, ...] = (
    Signal("RPM", "010C", "revolutions_per_minute",
           "Vehicle.Powertrain.CombustionEngine.Speed", 0, 16383.75, 1,
           "Engine speed", "发动机转速"),
    Signal("SPEED", "010D", "kilometer_per_hour", "Vehicle.Speed", 0, 255, 1,
           "Vehicle speed", "车速"),
    Signal("ENGINE_LOAD", "0104", "percent", "Vehicle.OBD.EngineLoad", 0, 100, 1,
           "Calculated engine load", "发动机负荷"),
    Signal("COOLANT_TEMP", "0105", "degree_Celsius",
           "Vehicle.Powertrain.CombustionEngine.ECT", -40, 215, 5,
           "Engine coolant temperature", "冷却液温度"),
    Signal("SHORT_FUEL_TRIM_1", "0106", "percent", "Vehicle.OBD.ShortTermFuelTrim1",
           -100, 99.2, 1, "Short-term fuel trim, bank 1", "短期燃油修正(第1排)"),
    Signal("LONG_FUEL_TRIM_1", "0107", "percent", "Vehicle.OBD.LongTermFuelTrim1",
           -100, 99.2, 10, "Long-term fuel trim, bank 1", "长期燃油修正(第1排)"),
    Signal("INTAKE_TEMP", "010F", "degree_Celsius", "Vehicle.OBD.IntakeTemp", -40, 215, 10,
           "Intake air temperature", "进气温度"),
    Signal("MAF", "0110", "gps", "Vehicle.OBD.MAF", 0, 655.35, 1,
           "Mass air flow", "空气流量"),
    Signal("THROTTLE_POS", "0111", "percent", "Vehicle.OBD.ThrottlePosition", 0, 100, 1,
           "Throttle position", "节气门开度"),
    Signal("O2_B1S1", "0114", "volt", "Vehicle.OBD.O2.Sensor1.Voltage", 0, 1.275, 1,
           "Upstream O2 sensor voltage (bank 1, sensor 1)", "前氧传感器电压"),
    Signal("O2_B1S2", "0115", "volt", "Vehicle.OBD.O2.Sensor2.Voltage", 0, 1.275, 1,
           "Downstream O2 sensor voltage (bank 1, sensor 2)", "后氧传感器电压"),
    Signal("RUN_TIME", "011F", "second", "Vehicle.OBD.RunTime", 0, 65535, 10,
           "Run time since engine start", "发动机运行时间"),
    Signal("FUEL_LEVEL", "012F", "percent", "Vehicle.OBD.FuelLevel", 0, 100, 30,
           "Fuel tank level", "燃油液位"),
    Signal("DISTANCE_SINCE_DTC_CLEAR", "0131", "kilometer",
           "Vehicle.OBD.DistanceSinceDTCClear", 0, 65535, 60,
           "Distance since DTCs cleared", "清码后行驶里程"),
    Signal("CONTROL_MODULE_VOLTAGE", "0142", "volt", "Vehicle.OBD.ControlModuleVoltage",
           0, 65.535, 5, "Control module voltage", "控制模块电压"),
    Signal("AMBIANT_AIR_TEMP", "0146", "degree_Celsius",
           "Vehicle.Exterior.AirTemperature", -40, 215, 60,
           "Ambient air temperature", "环境温度"),
    Signal("ODOMETER", "01A6", "kilometer", "Vehicle.TraveledDistance", 0, 429496729.5, 60,
           "Odometer", "总里程"),
    Signal("ELM_VOLTAGE", "ATRV", "volt", "Vehicle.LowVoltageBattery.CurrentVoltage", 0, 30,
           5, "Battery voltage at the OBD port (adapter reading)", "蓄电池电压(诊断口)"),
)
# fmt: on

BY_NAME: dict[str, Signal] = {s.name: s for s in SIGNALS}
SIGNAL_NAMES: tuple[str, ...] = tuple(BY_NAME)
COLUMNS: tuple[str, ...] = tuple(s.column for s in SIGNALS)


def signal(name: str) -> Signal:
    """The catalogue row for a signal name; KeyError names the known signals."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown signal {name!r}; known: {', '.join(SIGNAL_NAMES)}") from None


def out_of_range(name: str, value: float) -> str | None:
    """Why a value is implausible for its signal, or None when it is plausible."""
    s = BY_NAME[name]
    if not s.minimum <= value <= s.maximum:
        return f"{name}={value} outside plausible range {s.minimum}..{s.maximum} {s.unit}"
    return None
