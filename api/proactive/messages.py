"""Proactive-maintenance user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "proactive.bad_link": {
            "en": "this link is not valid or has expired; ask the dealer for a new one",
            "zh-CN": "该链接无效或已过期,请联系门店重新发送",
        },
        "proactive.link_not_yours": {
            "en": "this link belongs to another customer's appointment",
            "zh-CN": "该链接属于其他客户的预约",
        },
        "proactive.not_proposed": {
            "en": "proposal {id} is {status}; only a proposed visit can be accepted",
            "zh-CN": "建议 {id} 当前为 {status},只有待确认的建议可以接受",
        },
        "proactive.no_slot": {
            "en": "no free slot with a skilled technician, a bay and the parts before {due}",
            "zh-CN": "{due} 之前没有同时具备技师、工位和配件的空闲时段",
        },
        "proactive.no_customer": {
            "en": "vehicle {vin} has no owner in CRM; link a customer to book it",
            "zh-CN": "车辆 {vin} 在客户管理中没有车主,请先关联客户再预约",
        },
    }
)
