"""The rule layer: physically motivated checks on a car's window features, written as data.

Each rule compares one feature with a raise threshold and a clear threshold (the gap between
them is the hysteresis that keeps an alert from flapping). Extra conditions must also hold for
the rule to raise. Units are those of the feature (see diagnostics.features).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from diagnostics.scoring import Finding

Condition = tuple[str, str, float]  # (feature, "<" or ">", value)


@dataclass(frozen=True)
class Rule:
    name: str
    mode: str
    severity: str
    feature: str
    op: str  # "<", ">" or "|>|" (absolute value above)
    raise_at: float
    clear_at: float
    unit: str
    en: str  # {value}, {threshold} and {unit} are filled in
    zh: str
    also: tuple[Condition, ...] = ()


RULES: tuple[Rule, ...] = (
    Rule("battery_rest_low", "battery", "minor", "rest_v_mean_1d", "<", 12.2, 12.35, "V",
         "Resting battery voltage {value:.2f} {unit} is below {threshold} {unit} and falling",
         "静置蓄电池电压 {value:.2f} {unit},低于 {threshold} {unit} 且持续下降",
         also=(("rest_v_trend", "<", -0.02),)),
    Rule("battery_crank_dip", "battery", "major", "crank_v_min_1d", "<", 9.6, 10.0, "V",
         "Voltage dipped to {value:.2f} {unit} while cranking (limit {threshold} {unit})",
         "起动时电压跌至 {value:.2f} {unit}(下限 {threshold} {unit})"),
    Rule("charging_low", "charging", "major", "charge_v_mean_1h", "<", 13.2, 13.5, "V",
         "Charging voltage {value:.2f} {unit} is below {threshold} {unit}",
         "充电电压 {value:.2f} {unit},低于 {threshold} {unit}"),
    Rule("charging_high", "charging", "major", "charge_v_max_1h", ">", 15.0, 14.8, "V",
         "Charging voltage reached {value:.2f} {unit}, above {threshold} {unit}",
         "充电电压达到 {value:.2f} {unit},高于 {threshold} {unit}"),
    Rule("coolant_overheat", "cooling", "critical", "coolant_max_1h", ">", 110, 105, "°C",
         "Coolant reached {value:.0f} {unit}, above {threshold} {unit}",
         "冷却液温度达到 {value:.0f} {unit},超过 {threshold} {unit}"),
    Rule("coolant_hot", "cooling", "major", "coolant_max_1d", ">", 102, 98, "°C",
         "Coolant ran up to {value:.0f} {unit} today, above {threshold} {unit}",
         "今日冷却液最高 {value:.0f} {unit},超过 {threshold} {unit}"),
    Rule("thermostat_slow_warmup", "cooling", "minor", "warmup_s_max_1d", ">", 1200, 900, "s",
         "Warm-up to 80 °C took {value:.0f} {unit} (over {threshold} {unit}): "
         "thermostat may be stuck open",
         "升温至 80 °C 用时 {value:.0f} {unit}(超过 {threshold} {unit}):节温器可能常开"),
    Rule("thermostat_running_cold", "cooling", "minor", "coolant_warm_mean_1d", "<", 80, 84,
         "°C", "Warm engine runs at {value:.0f} {unit}, below {threshold} {unit}",
         "热车后冷却液仅 {value:.0f} {unit},低于 {threshold} {unit}"),
    Rule("fuel_trim_idle", "fuel_air", "major", "ltft_idle_mean_1d", "|>|", 10, 7, "%",
         "Long-term fuel trim at idle is {value:+.1f} {unit} (limit ±{threshold} {unit}): "
         "vacuum leak likely",
         "怠速长期燃油修正 {value:+.1f} {unit}(限值 ±{threshold} {unit}):疑似真空泄漏"),
    Rule("fuel_trim", "fuel_air", "major", "ltft_mean_1d", "|>|", 10, 7, "%",
         "Long-term fuel trim is {value:+.1f} {unit} (limit ±{threshold} {unit})",
         "长期燃油修正 {value:+.1f} {unit}(限值 ±{threshold} {unit})"),
    Rule("fuel_trim_drift", "fuel_air", "warning", "ltft_idle_mean_1d", "|>|", 8, 6, "%",
         "Long-term fuel trim at idle is drifting: {value:+.1f} {unit}",
         "怠速长期燃油修正偏移:{value:+.1f} {unit}"),
    Rule("idle_rough", "misfire", "major", "rpm_idle_std_1d", ">", 20, 12, "rpm",
         "Idle speed varies by {value:.0f} {unit} (limit {threshold} {unit}): misfire likely",
         "怠速转速波动 {value:.0f} {unit}(限值 {threshold} {unit}):疑似失火"),
    Rule("catalyst_o2_follow", "catalyst", "minor", "o2_corr_1d", ">", 0.6, 0.4, "",
         "Downstream O2 follows the upstream sensor (correlation {value:.2f}, "
         "limit {threshold}): catalyst losing storage",
         "后氧传感器跟随前氧变化(相关系数 {value:.2f},限值 {threshold}):三元催化储氧能力下降"),
    Rule("catalyst_o2_switch", "catalyst", "major", "o2_switch_1d", ">", 0.7, 0.4, "",
         "Downstream O2 switches {value:.2f} times as often as upstream (limit {threshold})",
         "后氧切换次数为前氧的 {value:.2f} 倍(限值 {threshold})"),
)  # fmt: skip


def _beyond(value: float, op: str, threshold: float) -> bool:
    if op == "<":
        return value < threshold
    if op == ">":
        return value > threshold
    return abs(value) > threshold


def _within(value: float, op: str, threshold: float) -> bool:
    """Clearly normal: on the healthy side of the clear threshold."""
    if op == "<":
        return value >= threshold
    if op == ">":
        return value <= threshold
    return abs(value) <= threshold


def evaluate(
    rule: Rule, features: Mapping[str, float], baseline: Mapping[str, tuple[float, float]]
) -> Finding | None:
    """The rule's finding on these features, or None when its feature is unknown."""
    value = features.get(rule.feature, math.nan)
    if value is None or not math.isfinite(value):
        return None
    if _within(value, rule.op, rule.clear_at):
        status = "healthy"
    elif not _beyond(value, rule.op, rule.raise_at):
        status = "hold"
    else:
        status = "active"
        for feature, op, limit in rule.also:
            other = features.get(feature, math.nan)
            if other is None or not math.isfinite(other) or not _beyond(other, op, limit):
                status = "hold"
    if status == "healthy":
        # Only raising findings carry reasons; this runs for every rule and car each round.
        return Finding(rule.mode, f"rule:{rule.name}", status, rule.severity)
    explanation = {
        "kind": "rule",
        "rule": rule.name,
        "feature": rule.feature,
        "value": round(value, 4),
        "op": rule.op,
        "threshold": rule.raise_at,
        "unit": rule.unit,
    }
    if (base := baseline.get(rule.feature)) is not None:
        explanation["baseline_mean"] = round(base[0], 4)
        explanation["baseline_std"] = round(base[1], 4)
    for feature, _, _ in rule.also:
        if math.isfinite(other := features.get(feature, math.nan)):
            explanation[feature] = round(other, 4)
    return Finding(rule.mode, f"rule:{rule.name}", status, rule.severity, None, explanation)


class RuleDetector:
    """The rule table as a Detector."""

    name = "rules"

    def __init__(self, rules: tuple[Rule, ...] = RULES):
        self.rules = rules

    def detect(self, vin, features, baseline) -> list[Finding]:
        """Every rule's finding whose feature is known."""
        return [f for r in self.rules if (f := evaluate(r, features, baseline)) is not None]


BY_NAME = {r.name: r for r in RULES}
