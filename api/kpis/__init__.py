"""KPIs: definitions as data, incremental rollups, targets, and the figures behind them."""
