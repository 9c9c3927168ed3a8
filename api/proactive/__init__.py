"""Proactive maintenance: an alert becomes a booked visit, a work order with parts, and news."""
