"""Generic SAE J2012 powertrain trouble codes: description (en, zh-CN), system, severity, action.

English descriptions come from python-OBD's table (obd.codes.DTC). Everything else is derived
from data below: the system from the code's range, the severity from specific codes first,
then from patterns in the description, then from the system. Chinese text is composed from a
phrase table; a phrase it does not know stays in English rather than being guessed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache

from diagnostics.modes import SEVERITIES, SEVERITY_ACTION, SEVERITY_RANK

CODE_RE = re.compile(r"^P[0-3][0-9A-F]{3}$")


@cache
def _obd_codes() -> dict[str, str]:
    """python-OBD's code table, without the warning pint logs as python-OBD loads."""
    logging.getLogger("pint.util").setLevel(logging.ERROR)
    from obd.codes import DTC

    return DTC


# (first code, last code, failure mode) by SAE J2012 range; the first match wins.
RANGES: tuple[tuple[str, str, str], ...] = (
    ("P0217", "P0217", "cooling"), ("P0115", "P0119", "cooling"), ("P0125", "P0128", "cooling"),
    ("P0480", "P0485", "cooling"), ("P0597", "P0599", "cooling"),
    ("P0170", "P0175", "fuel_air"), ("P0300", "P0312", "misfire"), ("P0316", "P0316", "misfire"),
    ("P0420", "P0439", "catalyst"), ("P0560", "P0563", "charging"), ("P0620", "P0625", "charging"),
    ("P0000", "P0299", "fuel_air"), ("P0300", "P0399", "misfire"), ("P0400", "P0499", "emission"),
    ("P0500", "P0599", "speed_idle"), ("P0600", "P0699", "computer"),
    ("P0700", "P0999", "transmission"), ("P0A00", "P0AFF", "hybrid"),
    ("P2000", "P2299", "fuel_air"), ("P2300", "P2399", "misfire"), ("P2400", "P2499", "emission"),
    ("P2500", "P2599", "speed_idle"), ("P2600", "P2699", "computer"),
    ("P2700", "P2999", "transmission"), ("P2A00", "P2AFF", "fuel_air"),
    ("P3400", "P3499", "powertrain"),
)  # fmt: skip

# Specific codes whose severity the patterns would get wrong.
CODE_SEVERITY: dict[str, str] = {
    "P0217": "critical", "P0218": "critical", "P0219": "critical", "P0524": "critical",
    "P0520": "major", "P0171": "major", "P0172": "major", "P0174": "major", "P0175": "major",
    "P0420": "minor", "P0430": "minor", "P0128": "minor", "P0455": "minor", "P0456": "warning",
    "P0442": "warning", "P0457": "warning", "P0562": "major", "P0563": "major",
    "P0000": "warning",
}  # fmt: skip
# (pattern in the English description, severity); the first match wins.
PATTERNS: tuple[tuple[str, str], ...] = (
    (r"over ?temperature|overheat|oil pressure too low|overspeed", "critical"),
    (r"misfire", "major"),
    (r"too lean|too rich|fuel pressure|fuel pump", "major"),
    (r"internal|processor|memory|checksum|control module", "major"),
    (r"intermittent", "warning"),
    (r"evap|evaporative|small leak", "warning"),
)
MODE_SEVERITY = {
    "cooling": "minor", "fuel_air": "minor", "misfire": "major", "catalyst": "minor",
    "emission": "minor", "speed_idle": "minor", "computer": "major", "transmission": "major",
    "hybrid": "major", "charging": "major", "powertrain": "minor",
}  # fmt: skip
IGNORE = {"P0000"}  # "no trouble code": nothing to do

# English phrase -> Chinese, applied longest first.
PHRASES: dict[str, str] = {
    "Catalyst System Efficiency Below Threshold": "催化转化器效率低于阈值",
    "Random/Multiple Cylinder Misfire Detected": "检测到随机/多缸失火",
    "Misfire Detected": "检测到失火", "Cylinder": "气缸", "Misfire": "失火",
    "System Too Lean": "系统过稀", "System Too Rich": "系统过浓",
    "Coolant Thermostat": "冷却液节温器",
    "Coolant Temperature Below Thermostat Regulating Temperature": "冷却液温度低于节温器调节温度",
    "Engine Coolant Over Temperature Condition": "发动机冷却液温度过高",
    "Engine Coolant Temperature": "发动机冷却液温度", "Coolant": "冷却液",
    "Mass or Volume Air Flow": "空气质量/体积流量",
    "Manifold Absolute Pressure": "进气歧管绝对压力",
    "Barometric Pressure": "大气压力", "Intake Air Temperature": "进气温度",
    "Throttle/Pedal Position Sensor": "节气门/踏板位置传感器", "Throttle": "节气门",
    "O2 Sensor Heater": "氧传感器加热器", "O2 Sensor": "氧传感器", "Oxygen Sensor": "氧传感器",
    "Heated Catalyst": "加热型催化器", "Catalyst": "催化器",
    "Fuel Trim": "燃油修正", "Fuel Pressure": "燃油压力", "Fuel Pump": "燃油泵",
    "Fuel Rail": "油轨", "Fuel Level": "燃油液位", "Fuel": "燃油", "Injector": "喷油器",
    "Exhaust Gas Recirculation": "废气再循环(EGR)", "Evaporative Emission": "燃油蒸发排放(EVAP)",
    "Secondary Air Injection": "二次空气喷射", "Knock Sensor": "爆震传感器",
    "Crankshaft Position Sensor": "曲轴位置传感器", "Camshaft Position Sensor": "凸轮轴位置传感器",
    "Ignition Coil": "点火线圈", "Vehicle Speed Sensor": "车速传感器",
    "Idle Air Control": "怠速空气控制", "Idle Control System": "怠速控制系统",
    "System Voltage": "系统电压", "Generator": "发电机", "Battery": "蓄电池",
    "Control Module": "控制模块", "Transmission": "变速器", "Torque Converter": "液力变矩器",
    "Shift Solenoid": "换挡电磁阀", "Oil Pressure": "机油压力", "Oil Temperature": "机油温度",
    "Cooling Fan": "冷却风扇", "Turbocharger": "涡轮增压器", "Supercharger": "机械增压器",
    "Circuit Range/Performance": "电路范围/性能", "Range/Performance": "范围/性能",
    "Circuit Low Input": "电路输入过低", "Circuit High Input": "电路输入过高",
    "Circuit Low": "电路电压过低", "Circuit High": "电路电压过高",
    "Circuit Malfunction": "电路故障", "Circuit Intermittent": "电路间歇故障",
    "Circuit": "电路", "Malfunction": "故障", "Sensor": "传感器", "Switch": "开关",
    "Solenoid": "电磁阀", "Valve": "阀", "Performance": "性能", "Low": "过低", "High": "过高",
    "Detected": "检测到", "Bank 1": "第1排", "Bank 2": "第2排", "Sensor 1": "传感器1",
    "Sensor 2": "传感器2", "Sensor 3": "传感器3", "Leak": "泄漏", "Slow Response": "响应慢",
    "No Activity": "无信号", "Insufficient Flow": "流量不足", "Open": "断路", "Short": "短路",
    "Temperature": "温度", "Pressure": "压力", "Voltage": "电压", "Position": "位置",
    "Speed": "速度", "Heater": "加热器", "Pump": "泵", "Relay": "继电器", "Motor": "电机",
    "Engine": "发动机", "Below Threshold": "低于阈值", "Incorrect": "不正确", "Ratio": "传动比",
    "Control": "控制", "System": "系统", "and": "和", "or": "或",
}  # fmt: skip
_PHRASE_RE = re.compile(
    "|".join(re.escape(p) for p in sorted(PHRASES, key=len, reverse=True)), re.IGNORECASE
)
_PHRASE_LOWER = {p.lower(): zh for p, zh in PHRASES.items()}


@dataclass(frozen=True)
class DtcInfo:
    code: str
    en: str
    zh: str
    mode: str  # failure mode / system (diagnostics.modes)
    severity: str  # of a stored (confirmed) code
    action: str

    def severity_for(self, kind: str) -> str:
        """Severity of the code as reported: a pending code is an early warning, a step lower."""
        if kind == "stored":
            return self.severity
        return SEVERITIES[max(0, SEVERITY_RANK[self.severity] - 1)]

    def text(self, lang: str) -> str:
        """The description in zh-CN or en."""
        return self.zh if lang.startswith("zh") else self.en


def _key(code: str) -> tuple[int, int]:
    return int(code[1]), int(code[2:], 16)


def system_of(code: str) -> str:
    """The failure mode (system) of a powertrain code by its J2012 range."""
    for first, last, mode in RANGES:
        if _key(first) <= _key(code) <= _key(last):
            return mode
    return "powertrain"


def translate(en: str) -> str:
    """Chinese for an English description, phrase by phrase (unknown words stay English)."""
    zh = _PHRASE_RE.sub(lambda m: _PHRASE_LOWER[m.group(0).lower()], en)
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff(])", "", zh)


@cache
def lookup(code: str) -> DtcInfo:
    """Everything known about a code; ValueError when it is not a powertrain code."""
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise ValueError(f"{code!r} is not a powertrain trouble code such as P0420")
    mode = system_of(code)
    en = _obd_codes().get(code)
    if en is None:
        generic = code[1] in "023"
        en = "Generic powertrain code" if generic else "Manufacturer-specific powertrain code"
        zh = "通用动力总成故障码" if generic else "厂家自定义动力总成故障码"
        severity = "warning"
    else:
        zh = translate(en)
        severity = CODE_SEVERITY.get(code) or _by_pattern(en) or MODE_SEVERITY.get(mode, "minor")
    action = "ignore" if code in IGNORE else SEVERITY_ACTION[severity]
    return DtcInfo(code, en, zh, mode, severity, action)


def _by_pattern(en: str) -> str | None:
    for pattern, severity in PATTERNS:
        if re.search(pattern, en, re.IGNORECASE):
            return severity
    return None


def known_codes() -> list[str]:
    """Every generic powertrain code python-OBD describes (P0xxx, P2xxx, P3xxx)."""
    return sorted(c for c in _obd_codes() if CODE_RE.match(c))


def findings(
    stored: list[str],
    pending: list[str],
    frames: dict[str, dict] | None = None,
    known_keys: set[str] | frozenset[str] = frozenset(),
) -> list:
    """Findings for a car's reported codes, plus "healthy" for known dtc: keys now gone."""
    from diagnostics.scoring import Finding

    frames = frames or {}
    out, present = [], set()
    for kind, codes in (("stored", stored), ("pending", pending)):
        for code in codes:
            try:
                info = lookup(code)
            except ValueError:
                continue  # body, chassis and network codes are outside this table
            if info.action == "ignore" or code in present:
                continue
            present.add(code)
            explanation = {"kind": "dtc", "code": info.code, "dtc_kind": kind}
            if frame := frames.get(code):
                explanation["freeze_frame"] = frame
            out.append(Finding(info.mode, f"dtc:{info.code}", "active",
                               info.severity_for(kind), None, explanation))  # fmt: skip
    for key in known_keys:
        code = key.removeprefix("dtc:")
        if key.startswith("dtc:") and code not in present:
            out.append(Finding(lookup(code).mode, key, "healthy"))
    return out
