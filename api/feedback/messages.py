"""Feedback user-facing text (zh-CN and en). The keys keep their "service." prefix: clients
see them."""

from api.i18n import register

register(
    {
        "service.survey_answered": {
            "en": "this survey was already answered; thank you",
            "zh-CN": "该问卷已提交,感谢您的反馈",
        },
        "service.survey_expired": {
            "en": "this survey link has expired",
            "zh-CN": "该问卷链接已过期",
        },
        "service.low_score_summary": {
            "en": "Low satisfaction after work order {number}: CSI {csi}, NPS {nps}. {comment}",
            "zh-CN": "工单 {number} 回访低分:满意度 {csi},推荐度 {nps}。{comment}",
        },
    }
)
