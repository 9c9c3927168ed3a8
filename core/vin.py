"""VIN validation (ISO 3779): length, alphabet, and the check digit where the region uses one."""

from __future__ import annotations

import re

_VIN_ALPHABET = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

# World manufacturer identifiers whose first character names a region that mandates the
# check digit: North America (1-5) and China (L, GB 16735).
_CHECK_DIGIT_REGIONS = frozenset("12345L")


class InvalidVin(ValueError):
    """A VIN that cannot identify a car; the message says what is wrong."""


def check_digit(vin: str) -> str:
    """The ISO 3779 / FMVSS 115 check digit of a 17-character VIN ('0'-'9' or 'X')."""
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def requires_check_digit(vin: str) -> bool:
    """True where the region of the maker (first character) mandates the check digit."""
    return vin[:1] in _CHECK_DIGIT_REGIONS


def validate_vin(raw: str) -> str:
    """Return the normalised VIN, or raise InvalidVin saying what is wrong."""
    vin = raw.strip().upper() if isinstance(raw, str) else raw
    if not isinstance(vin, str):
        raise InvalidVin(f"VIN must be text, got {type(raw).__name__}")
    if len(vin) != 17:
        raise InvalidVin(f"VIN {vin!r} has {len(vin)} characters; a VIN has exactly 17")
    if not _VIN_ALPHABET.match(vin):
        bad = sorted({c for c in vin if not re.match(r"[A-HJ-NPR-Z0-9]", c)})
        raise InvalidVin(
            f"VIN {vin!r} contains {''.join(bad)!r}; only digits and capital letters "
            "other than I, O and Q are allowed"
        )
    if requires_check_digit(vin) and vin[8] != check_digit(vin):
        raise InvalidVin(
            f"VIN {vin!r} fails its check digit: position 9 is {vin[8]!r}, "
            f"expected {check_digit(vin)!r} (mandatory for North American and Chinese VINs)"
        )
    return vin


def is_valid_vin(raw: str) -> bool:
    """True when validate_vin accepts the value."""
    try:
        validate_vin(raw)
    except InvalidVin:
        return False
    return True


def with_check_digit(vin17: str) -> str:
    """Return the VIN with position 9 set to its check digit (for generating test fleets)."""
    return vin17[:8] + check_digit(vin17) + vin17[9:]
