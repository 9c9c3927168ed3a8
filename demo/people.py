"""The demo's people: the shared password, the customer's login, names for seeded people."""

from __future__ import annotations

from functools import cache

from api.auth.security import hash_password

DEMO_PASSWORD = "pitstop-demo"  # every demo user's; the README lists them
DEMO_CUSTOMER_USER = "customer"  # the demo customer's login, linked to the owner of the first VIN
# Names for seeded people: a surname and a given name.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
)
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "志强",
    "海燕",
    "晓东",
    "文博",
    "雨桐",
)


@cache
def demo_password_hash() -> str:
    """The demo password, hashed once per process: argon2 is slow on purpose."""
    return hash_password(DEMO_PASSWORD)
