"""The offline lab: simulated and feedback training data, model fitting, evaluation and the
AI4I 2020 outside check, with `pitstop diagnostics train` and `evaluate`.

The lab may import the simulators and the runtime; the runtime never imports the lab."""
