"""Parts (零配件, WMS): the catalogue, warehouses and bins, a stock ledger with lots, reservations,
transfers and the ABC classes. Buying parts in is `api.purchasing`."""
