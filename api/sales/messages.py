"""Sales user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "sales.needs_quote": {
            "en": "the lead has no quote yet; create one with POST /sales/leads/{{id}}/quotes",
            "zh-CN": "该线索尚无报价,请先通过 POST /sales/leads/{{id}}/quotes 创建报价",
        },
        "sales.needs_order": {
            "en": "the lead has no signed order; place one with POST /sales/leads/{{id}}/order",
            "zh-CN": "该线索尚无签约订单,请先通过 POST /sales/leads/{{id}}/order 下单",
        },
        "sales.needs_allocation": {
            "en": "no vehicle is allocated to the order; allocate a VIN with "
            "POST /sales/leads/{{id}}/allocation",
            "zh-CN": "订单尚未配车,请通过 POST /sales/leads/{{id}}/allocation 分配车架号",
        },
        "sales.vehicle_in_transit": {
            "en": "the allocated car has not arrived yet; record its arrival before the PDI",
            "zh-CN": "所配车辆尚未到店,请先登记到车再做 PDI",
        },
        "sales.pdi_not_passed": {
            "en": "the pre-delivery inspection has not passed; every PDI item must be ok",
            "zh-CN": "PDI 交车前检查未通过,所有检查项都须合格",
        },
        "sales.delivery_checklist_incomplete": {
            "en": "the delivery checklist is incomplete; tick every item first",
            "zh-CN": "交车清单未完成,请先完成所有交车项目",
        },
        "sales.reserve_through_allocation": {
            "en": "a car is reserved only by allocating it to an order",
            "zh-CN": "车辆只能通过订单配车进行预留",
        },
        "sales.release_through_cancel": {
            "en": "the car is held by an order; cancel the order to release it",
            "zh-CN": "该车已被订单占用,请取消订单以释放车辆",
        },
        "sales.sell_through_delivery": {
            "en": "a car becomes sold only when its order is delivered",
            "zh-CN": "车辆只有在订单交车后才会变为已售",
        },
        "sales.vehicle_taken": {
            "en": "VIN {vin} is not available: it is {status}{held}; choose another car",
            "zh-CN": "车架号 {vin} 不可用:当前状态为 {status}{held},请选择其他车辆",
        },
        "sales.held_by_order": {
            "en": " (held by order {order_id})",
            "zh-CN": "(已被订单 {order_id} 占用)",
        },
        "sales.vehicle_other_store": {
            "en": "VIN {vin} is stock of another store; transfer it first",
            "zh-CN": "车架号 {vin} 属于其他门店库存,请先调拨",
        },
        "sales.vehicle_wrong_model": {
            "en": "VIN {vin} is a {actual}, but the order is for {ordered}",
            "zh-CN": "车架号 {vin} 为 {actual},与订单车型 {ordered} 不符",
        },
        "sales.vin_in_stock": {
            "en": "VIN {vin} is already in stock as vehicle {id}",
            "zh-CN": "车架号 {vin} 已在库存中(车辆 {id})",
        },
        "sales.model_code_taken": {
            "en": "model code {code} already exists in your group",
            "zh-CN": "车型代码 {code} 在集团内已存在",
        },
        "sales.quote_state": {
            "en": "quotes are made for leads in lead, opportunity or quote; this one is {status}",
            "zh-CN": "仅线索、商机或报价阶段可报价,当前为 {status}",
        },
        "sales.quote_other_lead": {
            "en": "quote {quote_id} belongs to another lead",
            "zh-CN": "报价 {quote_id} 属于其他线索",
        },
        "sales.quote_expired": {
            "en": "quote {quote_id} expired on {valid_until}; make a new quote",
            "zh-CN": "报价 {quote_id} 已于 {valid_until} 过期,请重新报价",
        },
        "sales.checklist_state": {
            "en": "checklists are filled in during the PDI; the lead is {status}",
            "zh-CN": "检查清单仅在 PDI 阶段填写,当前为 {status}",
        },
        "sales.checklist_code": {
            "en": "'{code}' is not an item of the {kind} checklist; the items are: {codes}",
            "zh-CN": "「{code}」不是{kind}清单项目;有效项目为:{codes}",
        },
        "sales.delivery_not_failed": {
            "en": "a delivery item is either pending or ok",
            "zh-CN": "交车项目只能为待办或完成",
        },
        "sales.consultant_invalid": {
            "en": "user {id} is not a sales consultant of this store",
            "zh-CN": "用户 {id} 不是该门店的销售顾问",
        },
        "sales.reassign_managers": {
            "en": "only managers reassign leads",
            "zh-CN": "仅经理可以改派线索",
        },
        "sales.board_own_only": {
            "en": "a sales consultant sees only their own figures",
            "zh-CN": "销售顾问只能查看本人业绩",
        },
        "sales.customer_needed": {
            "en": "give customer_id, or name and phone to register a new prospect",
            "zh-CN": "请提供 customer_id,或提供姓名和电话以登记新客户",
        },
        "sales.amount_total": {
            "en": "discount and trade-in ({deductions}) must stay below the price ({price})",
            "zh-CN": "优惠与置换金额({deductions})须低于车价({price})",
        },
        "sales.deposit_too_high": {
            "en": "deposit {deposit} exceeds the price after discount ({net})",
            "zh-CN": "定金 {deposit} 超过优惠后车价({net})",
        },
        "sales.finance_too_high": {
            "en": "the down payment {down} must be below the amount to pay ({total})",
            "zh-CN": "首付 {down} 须低于应付金额({total})",
        },
        "sales.date_range": {
            "en": "date_to must be on or after date_from, at most {days} days later",
            "zh-CN": "结束日期须不早于开始日期,且间隔不超过 {days} 天",
        },
    }
)
