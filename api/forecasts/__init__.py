"""Forecasts of sales and parts demand, and customers' churn risk, made by a job and stored."""
