"""The AI4I 2020 outside check: the regenerated data keeps the published failure rates, and the
fleet's own fitting and evaluation code learns its failure modes."""

from __future__ import annotations

import numpy as np

from diagnostics.lab import ai4i


def test_generator_reproduces_the_published_rates():
    data = ai4i.generate(seed=3)
    assert len(data["type"]) == ai4i.ROWS
    shares = {t: float(np.mean(data["type"] == t)) for t in ai4i.TYPES}
    assert abs(shares["L"] - 0.5) < 0.03 and abs(shares["M"] - 0.3) < 0.03
    assert abs(np.mean(data["air_temperature_k"]) - 300) < 0.5
    assert abs(np.std(data["air_temperature_k"]) - 2) < 0.2
    assert abs(np.mean(data["process_temperature_k"] - data["air_temperature_k"]) - 10) < 0.5
    assert abs(np.mean(data["torque_nm"]) - 40) < 1
    assert data["tool_wear_min"].max() <= 240 + 5
    # Published: 339 of 10,000 machine failures (3.4 %); every mode occurs.
    assert 0.02 <= data["machine_failure"].mean() <= 0.055
    for mode in ai4i.MODES:
        assert data[mode].sum() > 0, mode
    # The rules hold exactly where they are deterministic.
    power = data["torque_nm"] * data["rotational_speed_rpm"] * 2 * np.pi / 60
    assert data["PWF"][power > 9100].all()
    low_dt = (data["temperature_difference_k"] < 8.5) & (data["rotational_speed_rpm"] < 1370)
    assert data["HDF"][low_dt].all()


def test_the_training_pipeline_learns_the_failure_modes():
    report = ai4i.evaluate(rows=6000, seed=4, test_seed=5)
    modes = report["modes"]
    # Deterministic modes are learnt well; tool wear failure is random inside 200-240 min.
    for mode in ("HDF", "PWF", "OSF"):
        assert modes[mode]["f1"] >= 0.6, (mode, modes[mode])
        assert modes[mode]["average_precision"] >= 0.5, (mode, modes[mode])
    assert modes["TWF"]["average_precision"] > 3 * modes["TWF"]["positives"] / 6000
    assert report["not_learned"] == ["RNF"]
    lines = ai4i.format_report(report)
    assert lines[0].startswith("AI4I 2020") and len(lines) == 2 + len(modes)
