"""Personal data: only numbers that validate are reported, and always masked.
The numbers below are made up for the tests; the ID numbers carry valid check digits."""

import pytest

from gongkai.document.pii import (
    ADDRESS,
    BANK_CARD,
    ID_NUMBER,
    MOBILE,
    find_personal_data,
    id_check_digit_ok,
    luhn_ok,
    mask,
)


def test_id_number_with_valid_check_digit_is_found_and_masked() -> None:
    [item] = find_personal_data("申请人张某，身份证号码11010519491231002X，住址略。")
    assert item.kind == ID_NUMBER and item.masked == "110105********002X"


def test_id_number_with_wrong_check_digit_is_not_personal_data() -> None:
    assert id_check_digit_ok("11010519491231002X")
    assert not id_check_digit_ok("110105194912310021")
    assert find_personal_data("编号110105194912310021") == []


def test_mobile_numbers_in_several_spellings() -> None:
    found = find_personal_data("联系人：李某，13912345678；备用 +86 139-1234-5678；座机 020-83301234")
    assert [item.kind for item in found] == [MOBILE, MOBILE]
    assert [item.masked for item in found] == ["139****5678", "+86 139-****-5678"]


def test_full_width_digits_are_still_personal_data() -> None:
    assert [item.kind for item in find_personal_data("手机１３９１２３４５６７８")] == [MOBILE]


def test_bank_card_needs_luhn_and_a_card_context() -> None:
    assert luhn_ok("6222021234567890128") and not luhn_ok("6222021234567890127")
    [card] = find_personal_data("补助发放至银行卡号 6222 0212 3456 7890 128。")
    assert card.kind == BANK_CARD and "3456" not in card.masked
    # an organisation account (对公账户) does not pass Luhn and is public information
    assert find_personal_data("开户银行：工商银行，账号：4400 1234 5678 9012 345") == []


@pytest.mark.parametrize("public", [
    "统一社会信用代码：91440300MA5D12345X",
    "粤民发〔2018〕12号",
    "资金总额 1065800000 元",
    "电话：020-83301234",
])
def test_public_numbers_are_not_personal_data(public: str) -> None:
    assert find_personal_data(public) == []


def test_masking_keeps_length_and_offsets() -> None:
    text = "身份证号11010519491231002X，手机13912345678。"
    found = find_personal_data(text)
    masked = mask(text, found)
    assert len(masked) == len(text)
    assert "19491231" not in masked and "1234" not in masked[len("身份证号11010519491231002X，手机"):]
    assert masked.endswith("139****5678。")


@pytest.mark.parametrize(("text", "masked"), [
    ("当事人：张某某，男，住址：广州市越秀区某某路12号3栋501房，身份证号码略。", "广州市越秀区************"),
    ("申请人李某，家住清远市连山县太保镇某某村三组，因病致贫。", "清远市连山县********"),
    ("现住址为深圳市南山区科技园路1号201室", "深圳市南山区**********"),
])
def test_a_persons_home_address_is_found_and_masked_to_its_district(text: str, masked: str) -> None:
    [item] = find_personal_data(text)
    assert item.kind == ADDRESS and item.masked == masked
    assert masked in mask(text, [item]) and len(mask(text, [item])) == len(text)


@pytest.mark.parametrize("text", [
    "联系地址：广州市越秀区小北路123号（广东省民政厅），邮编510000。",  # the agency's own address
    "单位住所：四川省什邡市马祖镇",  # a company's domicile (real corpus)
    "内容还包括受伤害人员的姓名、性别、年龄、住址、联系电话、发病时间",  # a field name (real corpus)
    "住址：不详",
])
def test_addresses_that_are_not_a_persons_home_are_not_flagged(text: str) -> None:
    assert find_personal_data(text) == []


def test_no_real_corpus_document_has_a_home_address_flagged() -> None:
    """The 457 real documents (dev and held-out) name no one's home: nothing may be flagged."""
    import json

    from gongkai.settings import DEV_CORPUS, HELD_OUT_CORPUS

    texts = [json.loads(line)["text"] for corpus in (DEV_CORPUS, HELD_OUT_CORPUS)
             for line in corpus.read_text(encoding="utf-8").splitlines()]
    assert len(texts) == 457
    assert [item for text in texts for item in find_personal_data(text) if item.kind == ADDRESS] == []
