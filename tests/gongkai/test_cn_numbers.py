import pytest

from gongkai.document.cn_numbers import small_value, year_value


@pytest.mark.parametrize("text, value", [("二〇一八", 2018), ("一九九○", 1990), ("二零二六", 2026), ("2018", 2018)])
def test_year(text: str, value: int) -> None:
    assert year_value(text) == value


@pytest.mark.parametrize("text, value", [("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("二十八", 28),
                                         ("三十一", 31), ("05", 5)])
def test_month_and_day(text: str, value: int) -> None:
    assert small_value(text) == value


def test_garbage_is_none() -> None:
    assert small_value("十十") is None and year_value("x") is None
