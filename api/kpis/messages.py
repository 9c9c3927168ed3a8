"""KPI user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "kpi.entity": {"en": "KPI", "zh-CN": "指标"},
        "kpi.period_order": {
            "en": "the period starts after it ends; give date_from on or before date_to",
            "zh-CN": "开始日期晚于结束日期;请使 date_from 不晚于 date_to",
        },
        "kpi.period_long": {
            "en": "a period is at most {days} days; ask for a shorter one",
            "zh-CN": "查询区间最长 {days} 天,请缩短区间",
        },
        "kpi.dimension": {
            "en": "{kpi} can be broken down by: {allowed}; give one of them and a member",
            "zh-CN": "{kpi} 可按以下维度拆分:{allowed};请选择其一并给出成员",
        },
        "kpi.no_records": {
            "en": "{kpi} is counted from customers' visit months; list the work orders instead",
            "zh-CN": "{kpi} 按客户到店月份计算;请改为查看工单",
        },
    }
)
