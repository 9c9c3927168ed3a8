"""Workshop user-facing text (zh-CN and en). The keys keep their "service." prefix: clients
see them."""

from api.i18n import register

register(
    {
        "service.unknown_operation": {
            "en": "labour operation {code} is not in the catalogue (or is inactive)",
            "zh-CN": "工时项目 {code} 不存在或已停用",
        },
        "service.technician_busy": {
            "en": "technician {technician} is already booked between {starts} and {ends}; "
            "choose another slot",
            "zh-CN": "技师 {technician} 在 {starts} 至 {ends} 已有预约,请选择其他时段",
        },
        "service.bay_busy": {
            "en": "bay {bay} is already booked between {starts} and {ends}; choose another slot",
            "zh-CN": "工位 {bay} 在 {starts} 至 {ends} 已被占用,请选择其他时段",
        },
        "service.no_free_resource": {
            "en": "no technician with the skills ({skills}) and no suitable bay is free at "
            "{starts}; search for slots first",
            "zh-CN": "{starts} 没有具备所需技能({skills})的空闲技师或合适工位,请先查询可用时段",
        },
        "service.no_slot": {
            "en": "no slot between {earliest} and {latest} has a skilled technician, a bay and "
            "the parts; widen the window",
            "zh-CN": "{earliest} 至 {latest} 之间没有同时满足技师、工位和配件的时段,请放宽时间范围",
        },
        "service.outside_hours": {
            "en": "{starts} is outside the workshop's opening hours or on a closed day",
            "zh-CN": "{starts} 不在营业时间内或当天休息",
        },
        "service.technician_unfit": {
            "en": "technician {technician} lacks the skills or level the operations need "
            "({skills})",
            "zh-CN": "技师 {technician} 不具备所需技能或等级({skills})",
        },
        "service.bay_unfit": {
            "en": "bay {bay} is not of the kind the operations need ({kind})",
            "zh-CN": "工位 {bay} 类型不符合作业要求({kind})",
        },
        "service.vehicle_not_customers": {
            "en": "vehicle {vehicle} does not belong to customer {customer}",
            "zh-CN": "车辆 {vehicle} 不属于客户 {customer}",
        },
        "service.not_in_store": {
            "en": "{entity} {id} belongs to another store",
            "zh-CN": "{entity} {id} 属于其他门店",
        },
        "service.window": {
            "en": "latest must be after earliest, and at most {days} days later",
            "zh-CN": "结束时间须晚于开始时间,且不超过 {days} 天",
        },
    }
)
