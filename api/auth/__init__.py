"""Dealer groups, stores, users, roles, login and tokens."""
