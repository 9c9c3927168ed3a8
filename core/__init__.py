"""Shared by every Pitstop part: settings, VINs, the signal catalogue, the wire contract, database."""
