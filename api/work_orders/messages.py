"""Work-order user-facing text (zh-CN and en). The keys keep their "service." prefix: clients
see them."""

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
        "service.part_not_droppable": {
            "en": "only a part line that was not issued can be dropped; this one is '{status}'",
            "zh-CN": "只能移除尚未出库的配件行,此行状态为「{status}」",
        },
        "service.part_short": {
            "en": "part line {line} has no reservation yet (stock was short); reserve it first",
            "zh-CN": "配件行 {line} 尚未预留(库存不足),请先预留",
        },
        "service.price_override_role": {
            "en": "prices and rates come from the catalogue; only {roles} may override them",
            "zh-CN": "价格和工时费率取自目录,仅 {roles} 可以改价",
        },
        "service.override_reason": {
            "en": "a {field} other than the catalogue's needs a reason; add one",
            "zh-CN": "{field} 与目录不同,请填写改价原因",
        },
        "service.hours_bound": {
            "en": "hours must be at most {max} ({factor} times the standard {standard} h)",
            "zh-CN": "工时不能超过 {max} 小时(标准工时 {standard} 小时的 {factor} 倍)",
        },
        "service.hours_reason": {
            "en": "hours above the standard {standard} h (up to {max}) need a reason; add one",
            "zh-CN": "超出标准工时 {standard} 小时(最多 {max} 小时)需填写原因",
        },
        "service.discount_max": {
            "en": "a discount must be between 0 and {max} %",
            "zh-CN": "折扣必须在 0 到 {max}% 之间",
        },
        "service.discount_role": {
            "en": "only {roles} may grant a discount",
            "zh-CN": "仅 {roles} 可以给予折扣",
        },
        "service.discount_above_limit": {
            "en": "a {pct} % discount is above your limit of {limit} %; a manager may grant up "
            "to {max} %",
            "zh-CN": "折扣 {pct}% 超出您的权限 {limit}%,请由经理审批(最高 {max}%)",
        },
        "service.discount_limits": {
            "en": "an advisor's discount limit must be at most the manager's ({max} %)",
            "zh-CN": "服务顾问的折扣上限不能高于经理的上限({max}%)",
        },
        "service.estimate_unapproved": {
            "en": "the customer has not approved the current estimate (version {version}); "
            "ask them to approve it first",
            "zh-CN": "客户尚未确认当前报价(第 {version} 版),请先请客户确认",
        },
        "service.estimate_state": {
            "en": "an estimate is made from diagnosis until the quality check; this job is "
            "'{status}'",
            "zh-CN": "报价只能在诊断之后、质检之前生成,此工单状态为「{status}」",
        },
        "service.estimate_missing": {
            "en": "this job has no estimate the customer approved; send the estimate first",
            "zh-CN": "此工单没有客户确认的报价,请先发送报价",
        },
        "service.estimate_not_latest": {
            "en": "version {version} is not the latest pending estimate (latest: {latest})",
            "zh-CN": "第 {version} 版不是待确认的最新报价(最新为第 {latest} 版)",
        },
    }
)
