"""Render an alert's stored (jsonb) explanation as sentences in zh-CN or en."""

from __future__ import annotations

import math
from typing import Any

from diagnostics import dtc, rules
from diagnostics.modes import ACTION_NAMES, SEVERITY_ACTION, SEVERITY_NAMES, mode_name

FREEZE_SIGNALS = ("RPM", "SPEED", "COOLANT_TEMP", "ENGINE_LOAD", "LONG_FUEL_TRIM_1")
MAX_MODEL_SIGNALS = 3  # the signals that drove a model finding, strongest first


def _zh(lang: str) -> bool:
    return lang.lower().startswith("zh")


def render_reason(key: str, reason: dict[str, Any], lang: str) -> str:
    """One reason of an alert (a rule, a code, a model or staleness) as a sentence."""
    zh = _zh(lang)
    kind = reason.get("kind")
    if kind == "rule" and (rule := rules.BY_NAME.get(reason.get("rule", ""))) is not None:
        text = (rule.zh if zh else rule.en).format(
            value=reason.get("value", math.nan), threshold=rule.raise_at, unit=rule.unit
        )
        if "baseline_mean" in reason:
            base = reason["baseline_mean"]
            text += f"(本车常态 {base:.2f})" if zh else f" (this car usually {base:.2f})"
        return text
    if kind == "dtc":
        info = dtc.lookup(reason["code"])
        pending = reason.get("dtc_kind") == "pending"
        label = ("待定故障码" if pending else "已确认故障码") if zh else (
            "pending code" if pending else "stored code")  # fmt: skip
        text = f"{label} {info.code}: {info.text(lang)}"
        if frame := reason.get("freeze_frame"):
            shown = [f"{k}={frame[k]}" for k in FREEZE_SIGNALS if k in frame]
            text += ("(冻结帧 " if zh else " (freeze frame ") + ", ".join(shown) + ")"
        return text
    if kind == "model":
        signals = sorted(reason.get("signals", []), key=lambda s: -abs(s.get("z") or 0))
        parts = [
            f"{s['feature']}={s['value']:.2f} ({s.get('z', 0):+.1f}σ)"
            for s in signals[:MAX_MODEL_SIGNALS]
        ]
        prob = reason.get("probability")
        head = f"模型 {reason.get('model')}" if zh else f"model {reason.get('model')}"
        if reason.get("cause") == "unknown":
            score = reason.get("score")
            head = (
                f"异常但原因未明,需进店诊断({head} 异常分数 {score})"
                if zh
                else f"abnormal, cause unknown, a diagnosis is needed ({head}, score {score})"
            )
        if prob is not None:
            head += f" p={prob:.2f}"
        if (ttf := reason.get("time_to_failure_days")) is not None:
            head += f",预计 {ttf:.1f} 天内故障" if zh else f", failure expected in {ttf:.1f} days"
        lead = ";偏离本车常态:" if zh else "; off this car's baseline: "
        text = head + (lead + ", ".join(parts) if parts else "")
        if watch := reason.get("watch"):
            shown = [
                f"{s['feature']}={s['value']:.2f} ({s.get('z', 0):+.1f}σ)"
                for s in watch.get("signals", [])[:MAX_MODEL_SIGNALS]
            ]
            text += (";异常模型亦提示:" if zh else "; the anomaly model also finds unusual: ") + (
                ", ".join(shown) if shown else f"score {watch.get('score')}"
            )
        return text
    if kind == "stale":
        minutes = reason.get("silent_minutes")
        return (f"车辆在线但已 {minutes} 分钟无数据" if zh
                else f"car marked online but silent for {minutes} minutes")  # fmt: skip
    return f"{key}: {reason}"


def render(alert: dict[str, Any], lang: str) -> dict[str, Any]:
    """Title, recommended action and one sentence per reason, in the language asked for."""
    zh = _zh(lang)
    severity = alert["severity"]
    reasons = (alert.get("explanation") or {}).get("reasons", {})
    action = SEVERITY_ACTION[severity]
    for key in reasons:
        if key.startswith("dtc:"):
            code_action = dtc.lookup(key[4:]).action
            if code_action == "immediate":
                action = code_action
    name = SEVERITY_NAMES[severity][1 if zh else 0]
    return {
        "title": f"{mode_name(alert['failure_mode'], lang)}({name})"
        if zh
        else f"{mode_name(alert['failure_mode'], lang)} ({name})",
        "action": action,
        "action_text": ACTION_NAMES[action][1 if zh else 0],
        "reasons": [render_reason(k, r, lang) for k, r in reasons.items()],
    }
