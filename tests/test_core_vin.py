"""VIN rules: length, alphabet, and the check digit where the region mandates it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.vin import InvalidVin, check_digit, is_valid_vin, validate_vin, with_check_digit

VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP042788",  # North American textbook example, check digit X
        "LSVAU218XN2183294",  # Chinese VIN with a correct check digit
        "WVWZZZ1JZXW000001",  # European: position 9 is not a check digit, accepted
    ],
)
def test_accepts_real_vins(vin):
    assert validate_vin(vin) == vin


def test_normalises_case_and_whitespace():
    assert validate_vin(" 1m8gdm9axkp042788 ") == "1M8GDM9AXKP042788"


@pytest.mark.parametrize(
    ("vin", "words"),
    [
        ("1M8GDM9AXKP04278", "16 characters"),
        ("1M8GDM9AXKP0427889", "18 characters"),
        ("1M8GDM9AXKP04278O", "'O'"),
        ("1M8GDM9A1KP042788", "check digit"),
        ("LSVAU2180N2183294", "check digit"),
    ],
)
def test_rejects_with_a_reason(vin, words):
    with pytest.raises(InvalidVin, match=words):
        validate_vin(vin)


@given(st.text(alphabet=VIN_CHARS, min_size=17, max_size=17))
def test_generated_vins_always_validate(body):
    vin = with_check_digit(body)
    assert vin[8] == check_digit(vin)
    assert is_valid_vin(vin)


@given(st.text(alphabet=VIN_CHARS, min_size=17, max_size=17), st.sampled_from("12345L"))
def test_one_changed_character_breaks_the_check_digit(body, region):
    vin = with_check_digit(region + body[1:])
    position = 16
    replacement = "0" if vin[position] != "0" else "1"
    mutated = vin[:position] + replacement + vin[position + 1 :]
    assert not is_valid_vin(mutated)
