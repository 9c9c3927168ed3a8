"""The detectors the scoring service runs: the rules, plus the active learned model if any."""

from __future__ import annotations

import logging
from typing import Any

from diagnostics import registry
from diagnostics.rules import RuleDetector
from diagnostics.scoring import Detector

log = logging.getLogger(__name__)


def load_detectors(conn: Any = None) -> list[Detector]:
    """The rule detector, plus the registry's model detectors when there are any."""
    detectors: list[Detector] = [RuleDetector()]
    if conn is None:
        return detectors
    try:
        models = registry.load_detectors(conn)
    except Exception as exc:  # a broken model must not stop rule scoring
        log.warning("model detectors not loaded (%s); scoring with rules and DTCs only", exc)
        return detectors
    log.info("loaded %d model detector(s)", len(models))
    return detectors + models
