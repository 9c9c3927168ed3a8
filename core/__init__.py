"""Shared by every part: settings, VINs, the signal catalogue, the wire contract, database."""
