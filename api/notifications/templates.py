"""Message templates as data, per kind and language, and the renderer that fills them in.

A template has titles (the first whose fields are all known is used) and lines. A line that
names a field the context lacks is left out, so one template serves a message with or without
an appointment time, an explanation or a plate. Links follow the lines, one per line.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Template = dict[str, tuple[str, ...]]

TEMPLATES: dict[str, dict[str, Template]] = {
    "booking_created": {
        "zh-CN": {
            "title": ("{plate}:{finding}需要检修,已预约 {starts_at}", "已为您预约车辆检修"),
            "lines": (
                "{customer_name},您好!",
                "我们通过车联网数据发现您的{car}存在问题:{finding}。",
                "具体情况:{explanation}",
                "为避免故障扩大,我们已为您在{store_name}预约了 {starts_at} 的检修。",
                "所需配件已为您预留:{parts}。",
                "时间合适请点击确认;如需换个时间,请点击改约。",
            ),
        },
        "en": {
            "title": (
                "{plate}: {finding} found, check booked for {starts_at}",
                "We booked a check",
            ),
            "lines": (
                "Hello {customer_name},",
                "Data from your {car} shows a problem: {finding}.",
                "What we saw: {explanation}",
                "So that it does not get worse, we booked a check at {store_name} on {starts_at}.",
                "We have set aside the parts for you: {parts}.",
                "If the time suits you, please confirm. If not, choose another time.",
            ),
        },
    },
    "booking_proposed": {
        "zh-CN": {
            "title": ("{plate}:{finding}需要检修,建议 {starts_at} 到店", "建议您到店检修"),
            "lines": (
                "{customer_name},您好!",
                "我们通过车联网数据发现您的{car}存在问题:{finding}。",
                "具体情况:{explanation}",
                "我们建议您在 {starts_at} 到{store_name}检修,服务顾问会尽快与您确认。",
                "时间合适请点击确认;如需换个时间,请点击改约。",
            ),
        },
        "en": {
            "title": ("{plate}: {finding} found, visit suggested on {starts_at}", "Please visit"),
            "lines": (
                "Hello {customer_name},",
                "Data from your {car} shows a problem: {finding}.",
                "What we saw: {explanation}",
                "We suggest a check at {store_name} on {starts_at}; your service advisor will "
                "confirm the time with you shortly.",
                "If the time suits you, please confirm. If not, choose another time.",
            ),
        },
    },
    "stop_driving": {
        "zh-CN": {
            "title": ("紧急:{plate} 请尽快安全停车", "紧急:请尽快安全停车"),
            "lines": (
                "{customer_name},您好!",
                "您的{car}出现严重问题:{finding}。继续行驶可能损坏车辆或危及安全。",
                "具体情况:{explanation}",
                "请在安全的地方停车,不要继续行驶。",
                "我们已为您预留{store_name}最早的时段:{starts_at}。也可以点击下方链接请求拖车。",
                "如需帮助,请致电 {phone}。",
            ),
        },
        "en": {
            "title": ("Urgent: please stop driving {plate}", "Urgent: please stop driving"),
            "lines": (
                "Hello {customer_name},",
                "Your {car} has a serious problem: {finding}. Driving on could "
                "damage the car or put you at risk.",
                "What we saw: {explanation}",
                "Please stop somewhere safe and do not drive on.",
                "We are holding the earliest slot at {store_name} for you: {starts_at}. You can "
                "also ask for a tow with the link below.",
                "If you need help, call {phone}.",
            ),
        },
    },
    "alert_cleared": {
        "zh-CN": {
            "title": ("好消息:{plate} 的{finding}已恢复正常", "好消息:车辆问题已恢复正常"),
            "lines": (
                "{customer_name},您好!",
                "之前提醒您的{car}{finding}问题,最新数据显示已恢复正常。",
                "原定 {starts_at} 的预约仍为您保留;如不再需要,可以点击改约或取消。",
            ),
        },
        "en": {
            "title": ("Good news: {finding} on {plate} is back to normal", "Good news"),
            "lines": (
                "Hello {customer_name},",
                "The problem we told you about on your {car}, {finding}, no "
                "longer shows in the latest data.",
                "Your visit on {starts_at} is still booked; if you no longer need it, you can "
                "change or cancel it.",
            ),
        },
    },
    "service_reminder": {
        "zh-CN": {
            "title": ("{plate}:{service_name}到期提醒", "保养到期提醒"),
            "lines": (
                "{customer_name},您好!",
                "按照保养计划,您的{car}需要进行{service_name}。",
                "当前里程约 {odometer_km} 公里,保养里程为 {due_km} 公里。",
                "建议在 {due_date} 前到店。",
                "我们为您预留了{store_name} {starts_at} 的时段。",
                "时间合适请点击确认;如需换个时间,请点击改约。",
            ),
        },
        "en": {
            "title": ("{plate}: {service_name} is due", "Your service is due"),
            "lines": (
                "Hello {customer_name},",
                "Your {car} is due for {service_name}.",
                "It has done about {odometer_km} km; the service is due at {due_km} km.",
                "Please come in before {due_date}.",
                "We are holding {starts_at} at {store_name} for you.",
                "If the time suits you, please confirm. If not, choose another time.",
            ),
        },
    },
    "survey": {
        "zh-CN": {
            "title": ("{store_name}:请评价本次服务", "请评价本次服务"),
            "lines": (
                "{customer_name},您好!",
                "感谢您到{store_name}为{car}做保养维修。",
                "请花一分钟告诉我们您的体验,这将帮助我们做得更好。",
            ),
        },
        "en": {
            "title": ("{store_name}: how did we do?", "How did we do?"),
            "lines": (
                "Hello {customer_name},",
                "Thank you for bringing your {car} to {store_name}.",
                "Please take a minute to tell us how it went; it helps us do better.",
            ),
        },
    },
}

LINK_LABELS: dict[str, dict[str, str]] = {
    "confirm": {"zh-CN": "确认预约", "en": "Confirm"},
    "reschedule": {"zh-CN": "改约", "en": "Choose another time"},
    "tow": {"zh-CN": "请求拖车", "en": "Ask for a tow"},
    "survey": {"zh-CN": "填写评价", "en": "Give feedback"},
    "details": {"zh-CN": "查看详情", "en": "Details"},
}

FOOTER: dict[str, str] = {
    "zh-CN": "您收到此消息,是因为您同意{store_name}通过此渠道联系您。",
    "en": "You receive this because you agreed that {store_name} may contact you this way.",
}

# Which link a click on the whole message (push, in-app) opens, in order of preference.
CLICK_LINKS = ("confirm", "tow", "survey", "details", "reschedule")


@dataclass(frozen=True)
class Rendered:
    """A message ready for every channel."""

    title: str
    text: str
    html: str
    url: str | None


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _fill(template: str, values: Mapping[str, str]) -> str | None:
    """The template filled in, or None when it names a field without a value."""
    if any(not values.get(name) for name in _fields(template)):
        return None
    return template.format_map(values)


def render(
    kind: str, language: str, values: Mapping[str, str], links: Mapping[str, str]
) -> Rendered:
    """The title, text and HTML of a message of the kind, in the language."""
    template = TEMPLATES[kind][language]
    values = {"car": car_name(values, language)} | dict(values)
    titles = (_fill(t, values) for t in template["title"])
    title = next((t for t in titles if t), template["title"][-1])
    lines = [line for line in (_fill(t, values) for t in template["lines"]) if line]
    labelled = [(LINK_LABELS.get(k, {}).get(language, k), url) for k, url in links.items() if url]
    footer = _fill(FOOTER[language], values)
    text_parts = ["\n".join(lines)]
    if labelled:
        colon = ":" if language == "zh-CN" else ": "
        text_parts.append("\n".join(f"{label}{colon}{url}" for label, url in labelled))
    if footer:
        text_parts.append(footer)
    paragraphs = "".join(f"<p>{html.escape(line)}</p>\n" for line in lines)
    anchors = "".join(
        f'<p><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></p>\n'
        for label, url in labelled
    )
    small = f'<p style="color:#888;font-size:small">{html.escape(footer)}</p>\n' if footer else ""
    lang = html.escape(language, quote=True)
    body_html = (
        f'<!doctype html>\n<html lang="{lang}"><body>\n<h2>{html.escape(title)}</h2>\n'
        f"{paragraphs}{anchors}{small}</body></html>\n"
    )
    url = next((links[k] for k in CLICK_LINKS if links.get(k)), None)
    return Rendered(title=title, text="\n\n".join(text_parts) + "\n", html=body_html, url=url)


def car_name(values: Mapping[str, str], language: str) -> str:
    """How the message names the car: model and plate, whichever are known."""
    vehicle, plate = values.get("vehicle"), values.get("plate")
    if vehicle and plate:
        return f"{vehicle}({plate})" if language == "zh-CN" else f"{vehicle} ({plate})"
    if plate:
        return f"爱车({plate})" if language == "zh-CN" else f"car ({plate})"
    return vehicle or ("爱车" if language == "zh-CN" else "car")


def check_templates() -> None:
    """Raise when a kind lacks a language or a template is malformed (run by the tests)."""
    for kind, by_language in TEMPLATES.items():
        for language, template in by_language.items():
            if not template["title"] or not template["lines"]:
                raise ValueError(f"{kind}/{language}: needs titles and lines")
            if _fields(template["title"][-1]):
                raise ValueError(f"{kind}/{language}: the last title must need no fields")


def localized(value: Any, language: str) -> Any:
    """A context value in the language: a {"zh-CN": ..., "en": ...} dict picks one."""
    if isinstance(value, Mapping):
        return value.get(language) or value.get("zh-CN") or next(iter(value.values()), None)
    return value
