"""Parts user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "parts.quantity_positive": {
            "en": "the quantity must be a number greater than zero",
            "zh-CN": "数量必须是大于零的数字",
        },
        "parts.adjustment_nonzero": {
            "en": "an adjustment needs a non-zero quantity (negative to take stock out)",
            "zh-CN": "盘点调整数量不能为零(减少库存请填负数)",
        },
        "parts.not_enough_stock": {
            "en": "part {part} in warehouse {warehouse}: {requested} requested but only "
            "{available} available; reserve less, transfer stock in, or order more",
            "zh-CN": "配件 {part} 在仓库 {warehouse}:需要 {requested},可用仅 {available};"
            "请减少数量、从其他仓库调拨或补货",
        },
        "parts.not_enough_unexpired": {
            "en": "only {usable} of the {requested} needed are in unexpired lots; "
            "scrap the expired stock and receive fresh lots",
            "zh-CN": "需要 {requested},未过期批次仅有 {usable};请报损过期库存并补充新批次",
        },
        "parts.reservation_not_active": {
            "en": "the reservation is already {status}; make a new reservation",
            "zh-CN": "该预留已是「{status}」状态,请重新预留",
        },
        "parts.issue_exceeds_reservation": {
            "en": "{requested} requested but only {left} remain on the reservation",
            "zh-CN": "申请出库 {requested},但预留仅剩 {left}",
        },
        "parts.return_exceeds_issue": {
            "en": "{requested} to return but only {issued} were issued and not yet returned",
            "zh-CN": "退回 {requested},但已出库且未退回的仅有 {issued}",
        },
        "parts.transfer_same_warehouse": {
            "en": "source and target warehouse are the same; choose another target",
            "zh-CN": "调出与调入仓库相同,请选择其他仓库",
        },
        "parts.expiry_required": {
            "en": "part {part} is a {kind} and its lots expire: give expires_on, "
            "or set the part's shelf_life_days",
            "zh-CN": "配件 {part} 属于有效期管理类({kind}),请填写有效期 expires_on,"
            "或为配件设置保质天数 shelf_life_days",
        },
        "parts.lot_expiry_differs": {
            "en": "lot {lot} already exists with expiry {expires_on}; "
            "use that date or another lot number",
            "zh-CN": "批次 {lot} 已存在,有效期为 {expires_on};请使用该日期或其他批次号",
        },
        "parts.warehouse_ambiguous": {
            "en": "give warehouse_id: you work in several stores (or none has a warehouse)",
            "zh-CN": "请指定 warehouse_id:您属于多个门店(或门店没有仓库)",
        },
        "parts.warehouse_store_level": {
            "en": "a store warehouse needs store_id, and HQ or regional ones must not have one",
            "zh-CN": "门店仓必须指定 store_id,总部仓和区域仓不能指定门店",
        },
        "parts.part_number_taken": {
            "en": "part number {part_number} is already part {id}",
            "zh-CN": "配件编号 {part_number} 已被配件 {id} 使用",
        },
        "parts.code_taken": {
            "en": "code {code} is already used by {entity} {id}",
            "zh-CN": "编码 {code} 已被{entity} {id} 使用",
        },
        "parts.other_group": {
            "en": "{entity} {id} belongs to another dealer group",
            "zh-CN": "{entity} {id} 属于其他经销商集团",
        },
        "parts.period": {
            "en": "date_to must be after date_from",
            "zh-CN": "结束日期必须晚于开始日期",
        },
    }
)
