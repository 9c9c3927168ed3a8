"""Purchasing (采购, SRM): suppliers, purchase orders, goods receipt into stock, three-way
invoice matching, the reorder proposal and what parts cost per supplier."""
