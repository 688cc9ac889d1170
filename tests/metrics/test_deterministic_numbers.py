"""Financial number parsing and comparison: scale words, signs, percents, rounding."""

from __future__ import annotations

import pytest

from agility.metrics import figures_match, parse_financial_numbers


def values(text: str) -> list[float]:
    return [n.value for n in parse_financial_numbers(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("$1,577 million", [1.577e9]),
    ("8.738 billion", [8.738e9]),
    ("US$ 124Mn", [124e6]),
    ("$3.5bn and 250k", [3.5e9, 250e3]),
    ("(1,234)", [-1234.0]),
    ("-$1,561 million", [-1.561e9]),
    ("\u22120.9%", [-0.9]),
    ("150 basis points", [1.5]),
    ("a drop of 25 bps", [0.25]),
    ("12 percent", [12.0]),
    ("15.2 per cent", [15.2]),
    ("(US$1.2m)", [-1.2e6]),
    ("**$1.5 billion**", [1.5e9]),
])
def test_parses_scale_sign_currency_and_percent(text: str, expected: list[float]) -> None:
    assert values(text) == pytest.approx(expected)


def test_years_days_and_identifiers_are_not_figures() -> None:
    assert values("In FY2022 (as of June 30, 2022) Q2 sales") == []
    # a form name ("10-K") or a compound ("3-year") is a word, not a figure
    assert values("a 10-K filed in 2021 showed 5% over a 3-year period") == [5.0]
    assert values("2021", ) == []
    assert [n.value for n in parse_financial_numbers("2021", keep_years=True)] == [2021.0]


@pytest.mark.parametrize("text", ["fell 2.2 pp", "down 2.2 p.p.", "2.2 ppts", "2.2ppt",
                                  "2.2 percentage points"])
def test_percentage_points_in_any_abbreviation_are_percent(text: str) -> None:
    (figure,) = parse_financial_numbers(text)
    assert figure.value == pytest.approx(2.2) and figure.is_percent


def test_percent_flag_and_precision_are_kept() -> None:
    (figure,) = parse_financial_numbers("margin of 10.30%")
    assert figure.is_percent and figure.decimals == 2
    (bare,) = parse_financial_numbers(0.103)
    assert not bare.is_percent and bare.decimals == 3


def match(answer: str, gold: str | float) -> bool:
    (a,) = parse_financial_numbers(answer)
    (g,) = parse_financial_numbers(gold)
    return figures_match(a, g)


@pytest.mark.parametrize(("answer", "gold"), [
    ("$1.577 billion", 1577),          # the gold in USD millions, the answer in billions
    ("$1,577 million", "$1.577 billion"),
    ("$8.738 billion", 8.7),           # the answer rounds to the gold's precision
    ("302.578", 303),
    ("10.3%", 0.103),                  # a ratio given as a percent
    ("55%", 0.551),                    # the gold rounds to the answer's coarser precision
    ("(546)", -546),
    ("a decline of 0.9%", "-0.9%"),    # sign carried by words
    ("-0.0153", -0.02),
    ("$0", 0),
])
def test_same_quantity_in_other_forms_matches(answer: str, gold: str | float) -> None:
    assert match(answer, gold)


@pytest.mark.parametrize(("answer", "gold"), [
    ("$2 billion", 2.46),               # too coarse: not a rounding of the gold
    ("$1,620 million", 1577),          # 2.7% off: beyond rounding and the 1% tolerance
    ("11.3%", 0.103),
    ("$1.6 million", "$1.6 billion"),  # both scales explicit and different
    ("4.2", 4.5),
    ("$250 million", 0),               # no implicit scale turns a figure into zero
    ("0.4", 0),
])
def test_different_quantities_do_not_match(answer: str, gold: str | float) -> None:
    assert not match(answer, gold)
