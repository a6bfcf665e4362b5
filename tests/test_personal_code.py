"""Lithuanian personal codes: check digit, dates, century, and that nothing leaks."""

from __future__ import annotations

from datetime import date

import pytest

from interchange.contract.personal_code import (
    PersonalCode,
    check_digit,
    looks_like_personal_code,
    parse_personal_code,
)
from interchange.i18n.problem import TEXT as PROBLEM_TEXT

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

TODAY = date(2025, 6, 15)

# Hand-checked valid codes. Weights: first pass 1,2,3,4,5,6,7,8,9,1; second 3,4,5,6,7,8,9,1,2,3.
VALID = {
    # 3 3 3 0 9 2 4 0 0 6: first pass 3+6+9+0+45+12+28+0+0+6 = 109, 109 % 11 = 10;
    # second pass 9+12+15+0+63+16+36+0+0+18 = 169, 169 % 11 = 4 → check digit 4.
    "33309240064": (1933, date(1933, 9, 24), "male"),
    # 6 0 5 0 3 1 2 1 2 3 (woman, 2005-03-12): 6+0+15+0+15+6+14+8+18+3 = 85,
    # 85 % 11 = 8 → check digit 8.
    "60503121238": (2005, date(2005, 3, 12), "female"),
    # 3 4 5 0 0 0 0 5 1 2 (man, 1945, month and day unknown): 3+8+15+0+0+0+0+40+9+2 = 77,
    # 77 % 11 = 0 → check digit 0.
    "34500005120": (1945, None, "male"),
    # 3 8 5 0 3 1 4 0 4 1: first pass 3+16+15+0+15+6+28+0+36+1 = 120, 120 % 11 = 10;
    # second pass 9+32+25+0+21+8+36+0+8+3 = 142, 142 % 11 = 10 → check digit 0.
    "38503140410": (1985, date(1985, 3, 14), "male"),
    # 4 8 4 0 2 2 9 1 2 3 (woman, 29 Feb of leap year 1984): 4+16+12+0+10+12+63+8+18+3 = 146,
    # 146 % 11 = 3 → check digit 3.
    "48402291233": (1984, date(1984, 2, 29), "female"),
    "18512310016": (1885, date(1885, 12, 31), "male"),
    "29912310020": (1899, date(1899, 12, 31), "female"),
    "62412001233": (2024, None, "female"),  # December 2024, day unknown
}


@pytest.mark.parametrize("code", ["33309240064", "60503121238", "34500005120", "38503140410"])
def test_check_digit_of_known_codes(code: str) -> None:
    assert check_digit(code[:10]) == int(code[10])


@pytest.mark.parametrize("bad", ["333092400", "33309240064", "333092400a", "３３３０９２４００６"])
def test_check_digit_rejects_non_digits_without_echoing(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        check_digit(bad)
    assert bad not in str(info.value)


@pytest.mark.parametrize(("code", "expected"), VALID.items())
def test_valid_codes_give_year_date_and_sex(code: str, expected: tuple) -> None:
    result = parse_personal_code(code, today=TODAY)
    assert isinstance(result, PersonalCode)
    assert (result.birth_year, result.birth_date, result.sex) == expected
    assert result.code == code


def test_surrounding_whitespace_is_stripped() -> None:
    result = parse_personal_code("  33309240064\t\n", today=TODAY)
    assert isinstance(result, PersonalCode)
    assert result.code == "33309240064"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("33309240065", "code.checksum"),  # last digit off by one
        ("33309240046", "code.checksum"),  # two digits swapped
        ("3330924006", "code.format"),  # 10 digits
        ("333092400641", "code.format"),  # 12 digits
        ("3330924006A", "code.format"),  # a letter
        ("333 0924 0064", "code.format"),  # inner spaces
        ("333-09240064", "code.format"),
        ("３３３０９２４００６４", "code.format"),  # full-width digits are not ASCII digits
        ("", "code.format"),
        ("74501011235", "code.century"),  # century 7, correct check digit
        ("94501011237", "code.century"),  # century 9
        ("04501011230", "code.century"),
        ("34513011234", "code.birth_date"),  # month 13
        ("34502301236", "code.birth_date"),  # 30 February
        ("48502291236", "code.birth_date"),  # 29 February 1985, not a leap year
        ("34500051232", "code.birth_date"),  # month 00 with day 05
        ("63001011239", "code.future"),  # 2030-01-01 with today 2025-06-15
        ("62600001232", "code.future"),  # 2026, month and day unknown: 2026-01-01 is ahead
        ("62507001231", "code.future"),  # July 2025, day unknown: 2025-07-01 is ahead
        ("52506161231", "code.future"),  # tomorrow
    ],
)
def test_invalid_codes_give_their_problem(text: str, problem: str) -> None:
    assert parse_personal_code(text, today=TODAY) == problem
    assert problem in PROBLEM_TEXT


@pytest.mark.parametrize("code", ["62506001237", "52506151233", "62400001237"])
def test_today_and_earlier_are_not_future(code: str) -> None:
    # June 2025 with unknown day, born today, and 2024 with unknown month and day.
    assert isinstance(parse_personal_code(code, today=TODAY), PersonalCode)


def test_checks_run_in_documented_order() -> None:
    # format, century, birth date, future, check digit: each code below fails several.
    assert parse_personal_code("7451301123X", today=TODAY) == "code.format"
    assert parse_personal_code("74513011230", today=TODAY) == "code.century"
    assert parse_personal_code("63013011230", today=TODAY) == "code.birth_date"
    assert parse_personal_code("63001011230", today=TODAY) == "code.future"


def test_leap_day_depends_on_the_year() -> None:
    assert isinstance(parse_personal_code("48402291233", today=TODAY), PersonalCode)
    assert parse_personal_code("48502291236", today=TODAY) == "code.birth_date"


def test_today_defaults_to_the_real_date() -> None:
    assert isinstance(parse_personal_code("33309240064"), PersonalCode)
    assert parse_personal_code("69912310002") == "code.future"  # 2099-12-31


@pytest.mark.parametrize("value", [None, 33309240064.5, b"33309240064", object()])
def test_parse_never_raises_on_odd_input(value: object) -> None:
    assert parse_personal_code(value) == "code.format"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    ["33309240064", " 33309240064 ", 33309240064, "34500005120", "38503140410",
     "63001011239"],  # the last one is in the future, but a leak all the same
)
def test_looks_like_personal_code_true(value: object) -> None:
    assert looks_like_personal_code(value)


@pytest.mark.parametrize(
    "value",
    ["33309240065", "3330924006", "74501011235", "34513011234", "34500051232", "R-000123",
     "12345678901", "", None, 12.5, "3330924006 4"],
)
def test_looks_like_personal_code_false(value: object) -> None:
    assert not looks_like_personal_code(value)


def test_repr_and_str_reveal_nothing_from_the_code() -> None:
    result = parse_personal_code("33309240064", today=TODAY)
    assert isinstance(result, PersonalCode)
    for text in (repr(result), str(result), f"{result}", repr([result])):
        for fragment in ("33309240064", "1933", "male", "333092"):
            assert fragment not in text


def test_problem_results_never_contain_the_input() -> None:
    for text in ("33309240065", "74501011235", "34513011234", "63001011239", "3330924006A"):
        result = parse_personal_code(text, today=TODAY)
        assert isinstance(result, str)
        assert text not in result
        assert not any(ch.isdigit() for ch in result)
