"""Service user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "service.clock_still_on": {
            "en": "a technician is still clocked on to this job; clock off first",
            "zh-CN": "仍有技师在此工单上打卡作业,请先结束打卡",
        },
        "service.parts_not_issued": {
            "en": "some parts lines are not issued yet (reserved or short); issue or remove them",
            "zh-CN": "仍有配件未出库(已预留或缺货),请先出库或删除该配件行",
        },
        "service.no_labour": {
            "en": "an estimate needs at least one labour operation; add one first",
            "zh-CN": "报价至少需要一个工时项目,请先添加",
        },
        "service.check_in_needs_odometer": {
            "en": "check-in records the odometer and the inspection; use the check-in step",
            "zh-CN": "接车需登记里程和环车检查,请使用接车操作",
        },
        "service.outcome_required": {
            "en": "record the job's outcome (confirmed cause, no fault found or maintenance) "
            "before delivery",
            "zh-CN": "交车前请登记维修结论(确认故障原因、未发现故障或常规保养)",
        },
        "service.wait_returns_elsewhere": {
            "en": "a wait returns to the state it left; this job left from another state",
            "zh-CN": "等待状态只能返回进入前的状态,此工单来自其他状态",
        },
        "service.use_wait": {
            "en": "to make a job wait, use the wait step with a reason code ({reasons})",
            "zh-CN": "请使用等待操作并填写原因代码({reasons})",
        },
        "service.wait_reason": {
            "en": "'{code}' is not a reason for {wait}; use one of: {reasons}",
            "zh-CN": "「{code}」不是{wait}的原因代码,可选:{reasons}",
        },
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
        "service.lines_locked": {
            "en": "lines can be changed only before quality check; this job is '{status}'",
            "zh-CN": "质检前才能修改工单明细,当前状态为「{status}」",
        },
        "service.clock_state": {
            "en": "technicians clock on only during diagnosis or repair; this job is '{status}'",
            "zh-CN": "仅在诊断或维修阶段可以打卡,当前状态为「{status}」",
        },
        "service.already_clocked_on": {
            "en": "technician {technician} is already clocked on to another job; clock off first",
            "zh-CN": "技师 {technician} 正在其他工单上作业,请先结束打卡",
        },
        "service.not_clocked_on": {
            "en": "technician {technician} is not clocked on to this line",
            "zh-CN": "技师 {technician} 未在此项目上打卡",
        },
        "service.issue_state": {
            "en": "parts are issued during repair; this job is '{status}'",
            "zh-CN": "配件在维修阶段出库,当前状态为「{status}」",
        },
        "service.part_short": {
            "en": "part line {line} has no reservation yet (stock was short); reserve it first",
            "zh-CN": "配件行 {line} 尚未预留(库存不足),请先预留",
        },
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
        "service.window": {
            "en": "latest must be after earliest, and at most {days} days later",
            "zh-CN": "结束时间须晚于开始时间,且不超过 {days} 天",
        },
    }
)
