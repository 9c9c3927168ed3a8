"""Vehicle sales (整车销售): leads to delivery, quotes, orders, stock, the performance board."""
