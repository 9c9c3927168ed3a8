"""Business alarms (经营预警): lasting changes in a store's daily figures, told to its managers."""
