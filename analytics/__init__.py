"""The data centre's analytics: forecasts, parts demand, churn and business alarms.

Pure functions over numpy arrays and pandas DataFrames: no database, no web. The callers
(API, console, CLI) load the data and store or show the results.
"""
