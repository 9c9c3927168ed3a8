"""Parts (零配件, WMS+SRM): catalogue, warehouses, a stock ledger with lots, reservations,
replenishment, suppliers, purchase orders, goods receipt and three-way invoice matching."""
