"""Business-alarm user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "alarms.acknowledged_already": {
            "en": "alarm {id} was acknowledged already, by user {by} at {at}; nothing to do",
            "zh-CN": "预警 {id} 已于 {at} 由用户 {by} 确认,无需再次确认",
        },
        "alarms.closed": {
            "en": "alarm {id} is closed; a new change of the metric raises a new alarm",
            "zh-CN": "预警 {id} 已关闭;指标再次异常时会产生新的预警",
        },
    }
)
