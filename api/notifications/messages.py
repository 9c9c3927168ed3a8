"""Notification user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "notifications.notification": {"en": "notification", "zh-CN": "通知"},
        "notifications.subscription": {"en": "push subscription", "zh-CN": "推送订阅"},
        "notifications.push_not_configured": {
            "en": "Web Push is not configured on this server: {why}",
            "zh-CN": "服务器未配置 Web Push:{why}",
        },
        "notifications.bad_key": {
            "en": "{what} is not valid base64url of {size} bytes; send the value the browser's "
            "PushSubscription.toJSON() gives",
            "zh-CN": "{what} 不是 {size} 字节的 base64url 值,请发送浏览器 "
            "PushSubscription.toJSON() 给出的值",
        },
        "notifications.https_only": {
            "en": "push endpoints must be https:// URLs of a push service",
            "zh-CN": "推送端点必须是推送服务的 https:// 地址",
        },
        "notifications.unresolvable": {
            "en": "the push endpoint's host {host} does not resolve; send the endpoint the "
            "browser's PushSubscription gives",
            "zh-CN": "推送端点的主机 {host} 无法解析,请发送浏览器 PushSubscription 给出的端点",
        },
        "notifications.private_address": {
            "en": "the push endpoint's host {host} resolves to a non-public address ({address}); "
            "only public push services are allowed",
            "zh-CN": "推送端点的主机 {host} 解析到非公网地址({address}),只允许公网推送服务",
        },
        "notifications.not_a_customer": {
            "en": "only a customer account has notifications and push subscriptions",
            "zh-CN": "只有客户账号才有通知和推送订阅",
        },
    }
)
