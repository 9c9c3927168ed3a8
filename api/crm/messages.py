"""CRM user-facing text (zh-CN and en)."""

from api.i18n import register

register(
    {
        "crm.customer": {"en": "customer", "zh-CN": "客户"},
        "crm.needs_vehicle": {
            "en": "a prospect becomes an active customer once a vehicle is registered to them; "
            "add their vehicle first",
            "zh-CN": "潜在客户需先登记名下车辆才能成为活跃客户,请先添加车辆",
        },
        "crm.vin_taken": {
            "en": "VIN {vin} is already registered as vehicle {id}",
            "zh-CN": "车架号 {vin} 已登记为车辆 {id}",
        },
        "crm.owner_other_store": {
            "en": "the owner (customer {owner_id}) belongs to another store than the vehicle",
            "zh-CN": "车主(客户 {owner_id})与车辆不属于同一门店",
        },
    }
)
