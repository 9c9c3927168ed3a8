"""Purchasing user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "purchasing.po_empty": {
            "en": "the order has no lines; add parts before sending it",
            "zh-CN": "采购单没有明细,请先添加配件再发送",
        },
        "purchasing.po_not_partly_received": {
            "en": "nothing, or everything, has been received; book a goods receipt first",
            "zh-CN": "尚未收货或已全部收货,请先登记收货",
        },
        "purchasing.po_not_fully_received": {
            "en": "not every line is fully received; book the rest, or close the order "
            "short with a reason",
            "zh-CN": "尚有明细未收齐;请继续收货,或填写原因后提前关闭",
        },
        "purchasing.po_not_editable": {
            "en": "the order is {status}; only draft orders can be changed",
            "zh-CN": "采购单状态为「{status}」,只有草稿可以修改",
        },
        "purchasing.po_not_receivable": {
            "en": "the order is {status}; goods can be received only on confirmed or partly "
            "received orders",
            "zh-CN": "采购单状态为「{status}」,只有已确认或部分收货的采购单可以收货",
        },
        "purchasing.over_receipt": {
            "en": "line {line}: {quantity} received would exceed the {open} still open",
            "zh-CN": "明细 {line}:收货 {quantity} 超过未收数量 {open}",
        },
        "purchasing.line_not_on_order": {
            "en": "line {line} is not a line of this purchase order",
            "zh-CN": "明细 {line} 不属于该采购单",
        },
        "purchasing.invoice_number_taken": {
            "en": "the supplier's invoice {number} is already registered",
            "zh-CN": "该供应商发票 {number} 已登记",
        },
        "purchasing.invoice_wrong_supplier": {
            "en": "purchase order {order} was placed with another supplier",
            "zh-CN": "采购单 {order} 属于其他供应商",
        },
        "purchasing.no_preferred_supplier": {
            "en": "no part in the proposal has a preferred supplier; set one on the parts",
            "zh-CN": "建议中的配件均未设置首选供应商,请先设置",
        },
    }
)
