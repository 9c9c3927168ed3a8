"""Alert user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "alerts.vin_needed": {
            "en": "give the vin of one of your cars to read its alerts",
            "zh-CN": "请提供您名下车辆的车架号(vin)以查看该车预警",
        },
    }
)
