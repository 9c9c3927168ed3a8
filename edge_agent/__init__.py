"""The in-car edge agent: read OBD-II through python-OBD, buffer on disk, publish over MQTT."""
