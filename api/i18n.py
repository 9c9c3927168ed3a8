"""User-facing text in zh-CN and en, keyed by message id; the language comes from Accept-Language.

Domains add their own messages with `register({...})` in their `messages.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"  # the users are Chinese 4S dealers

_MESSAGES: dict[str, dict[str, str]] = {
    "not_found": {"en": "{entity} {id} does not exist", "zh-CN": "{entity} {id} 不存在"},
    "forbidden": {
        "en": "You may not access this {entity}: {why}",
        "zh-CN": "您无权访问该{entity}:{why}",
    },
    "forbidden.other_store": {
        "en": "it belongs to a store you are not assigned to",
        "zh-CN": "它属于您未被分配的门店",
    },
    "forbidden.not_yours": {
        "en": "it is not one of your own records",
        "zh-CN": "这不是您本人的记录",
    },
    "forbidden.unlisted_route": {
        "en": "this route is not in the authorization policy; add it to api/auth/policy.py",
        "zh-CN": "此路由不在授权策略中,请将其加入 api/auth/policy.py",
    },
    "forbidden.role": {
        "en": "your role {role} may not do this; it needs one of: {roles}",
        "zh-CN": "您的角色 {role} 无权执行此操作,需要以下角色之一:{roles}",
    },
    "conflict": {"en": "Conflict: {why}", "zh-CN": "冲突:{why}"},
    "conflict.constraint": {
        "en": "the change breaks the rule {constraint}; it would duplicate or orphan a record",
        "zh-CN": "该修改违反约束 {constraint},会造成重复或孤立记录",
    },
    "validation_failed": {
        "en": "The request is invalid: {problems}",
        "zh-CN": "请求无效:{problems}",
    },
    "invalid_input": {"en": "{field}: {problem}", "zh-CN": "{field}:{problem}"},
    "not_authenticated": {
        "en": "Sign in first: {why}",
        "zh-CN": "请先登录:{why}",
    },
    "auth.bad_credentials": {
        "en": "wrong username or password",
        "zh-CN": "用户名或密码错误",
    },
    "auth.token_invalid": {
        "en": "the token is invalid or expired; log in again or use your refresh token",
        "zh-CN": "令牌无效或已过期,请重新登录或使用刷新令牌",
    },
    "auth.no_token": {
        "en": "no bearer token was sent",
        "zh-CN": "未提供 Bearer 令牌",
    },
    "auth.inactive": {"en": "this account is disabled", "zh-CN": "该账号已停用"},
    "illegal_transition": {
        "en": "Cannot move {entity} {id} from '{source}' to '{target}': {why}",
        "zh-CN": "无法将{entity} {id} 从「{source}」变更为「{target}」:{why}",
    },
    "transition.not_allowed": {
        "en": "that step is not allowed; from '{source}' the allowed next states are: {allowed}",
        "zh-CN": "不允许此步骤;从「{source}」只能变更为:{allowed}",
    },
    "transition.unknown_state": {
        "en": "'{target}' is not a state; the states are: {states}",
        "zh-CN": "「{target}」不是有效状态;有效状态为:{states}",
    },
    "transition.reason_required": {
        "en": "this step needs a reason; send one in 'reason'",
        "zh-CN": "此步骤需要填写原因(reason)",
    },
    "transition.role": {
        "en": "your role {role} may not take this step; it needs one of: {roles}",
        "zh-CN": "您的角色 {role} 无权执行此步骤,需要以下角色之一:{roles}",
    },
    "none": {"en": "(none)", "zh-CN": "(无)"},
}


@dataclass(frozen=True)
class Text:
    """A message id with its params, translated only when the reader's language is known."""

    key: str
    params: dict[str, object] = field(default_factory=dict)

    def render(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The text in the language."""
        return translate(self.key, language, **self.params)


def register(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add a domain's messages; every message needs every language, and ids stay unique."""
    for key, texts in messages.items():
        missing = set(LANGUAGES) - set(texts)
        if missing:
            raise ValueError(f"message {key!r} lacks languages {sorted(missing)}")
        if key in _MESSAGES and _MESSAGES[key] != dict(texts):
            raise ValueError(f"message id {key!r} is already registered with other text")
        _MESSAGES[key] = dict(texts)


def has(key: str) -> bool:
    """True when the message id is known."""
    return key in _MESSAGES


def translate(key: str, language: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The message in the language, with params filled in; an unknown id is returned as is."""
    texts = _MESSAGES.get(key)
    if texts is None:
        return key
    text = texts.get(language) or texts[DEFAULT_LANGUAGE]
    rendered = {k: v.render(language) if isinstance(v, Text) else v for k, v in params.items()}
    try:
        return text.format(**rendered)
    except (KeyError, IndexError):
        return text


def pick_language(accept_language: str | None) -> str:
    """The best supported language for an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for negative_quality, _, tag in sorted(ranked):
        if negative_quality >= 0:
            break
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE
