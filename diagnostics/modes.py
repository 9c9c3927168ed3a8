"""Failure modes, severities and recommended actions, with their zh-CN and en names."""

from __future__ import annotations

SEVERITIES = ("warning", "minor", "major", "critical")  # rising order
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
ACTIONS = ("ignore", "monitor", "schedule", "immediate")
SEVERITY_ACTION = {"warning": "monitor", "minor": "schedule", "major": "schedule",
                   "critical": "immediate"}  # fmt: skip

# failure mode -> (en, zh). Alerts are opened once per car and mode.
FAILURE_MODES: dict[str, tuple[str, str]] = {
    "battery": ("12 V battery", "蓄电池"),
    "charging": ("Charging system", "充电系统"),
    "cooling": ("Cooling system (thermostat, coolant)", "冷却系统(节温器、冷却液)"),
    "misfire": ("Ignition / misfire", "点火系统/失火"),
    "fuel_air": ("Fuel and air metering (vacuum leak, fuel delivery)",
                 "燃油与进气计量(真空泄漏、供油)"),
    "catalyst": ("Catalytic converter", "三元催化器"),
    "emission": ("Auxiliary emission controls", "辅助排放控制"),
    "speed_idle": ("Vehicle speed and idle control", "车速与怠速控制"),
    "computer": ("Engine computer and outputs", "发动机电脑与输出电路"),
    "transmission": ("Transmission", "变速器"),
    "hybrid": ("Hybrid propulsion", "混合动力系统"),
    "powertrain": ("Powertrain (other)", "动力总成(其他)"),
    "anomaly": ("Abnormal, cause unknown", "异常,原因未明"),
    "stale": ("Car stopped reporting", "车辆停止上报"),
}  # fmt: skip

# Simulator fault kinds (ground truth) to the failure mode an alert should name.
FAULT_KIND_MODES = {
    "battery": "battery",
    "thermostat": "cooling",
    "coolant_leak": "cooling",
    "misfire": "misfire",
    "vacuum_leak": "fuel_air",
    "catalyst": "catalyst",
}

SEVERITY_NAMES = {
    "critical": ("critical", "严重"),
    "major": ("major", "重要"),
    "minor": ("minor", "次要"),
    "warning": ("warning", "预警"),
}
ACTION_NAMES = {
    "ignore": ("no action needed", "无需处理"),
    "monitor": ("keep monitoring", "持续观察"),
    "schedule": ("schedule a service visit", "预约进店检修"),
    "immediate": ("stop driving and contact the dealer now", "立即停车并联系经销商"),
}


def higher(a: str, b: str) -> str:
    """The more severe of two severities."""
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b


def mode_name(mode: str, lang: str) -> str:
    """A failure mode's name in zh-CN or en (the mode id itself when unknown)."""
    en, zh = FAILURE_MODES.get(mode, (mode, mode))
    return zh if lang.startswith("zh") else en
