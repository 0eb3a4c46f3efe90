"""The 依申请公开 request register: 编号, the answer clock with its one extension, answer types, masking."""

from __future__ import annotations

from datetime import date

import pytest

from gongkai.document.workdays import DEADLINE_RULES
from gongkai.register import Answer, Requester, add_request, all_requests, answer_request, extend_request, read_request
from gongkai.settings import Settings
from gongkai.storage import open_storage

PERSON = Requester(name="张三丰", contact="13912345678")


def test_a_request_extended_once_has_forty_working_days_and_no_second_extension(any_settings: Settings) -> None:
    storage = open_storage(any_settings)
    request = add_request(storage, PERSON, date(2026, 3, 2), "低保资金分配情况", "社救处")
    assert request.request_id == "2026-0001"
    assert request.deadline(DEADLINE_RULES).due == date(2026, 3, 30)  # 20 working days
    extended = extend_request(storage, DEADLINE_RULES, request.request_id, "需征求第三方意见", date(2026, 3, 27))
    deadline = extended.deadline(DEADLINE_RULES)
    assert deadline.due == date(2026, 4, 28)  # 清明 (4.4–4.6) is no working day
    assert deadline.working_days_left(date(2026, 3, 2)) == 40
    with pytest.raises(ValueError, match="最多延长 1 次"):
        extend_request(storage, DEADLINE_RULES, request.request_id, "还要再等", date(2026, 4, 1))
    assert len(read_request(storage, request.request_id).extensions) == 1  # the refused one left no trace


def test_an_extension_after_the_deadline_or_the_answer_is_refused(local_settings: Settings) -> None:
    storage = open_storage(local_settings)
    late = add_request(storage, PERSON, date(2026, 3, 2), "甲", "社救处")
    with pytest.raises(ValueError, match="已过"):
        extend_request(storage, DEADLINE_RULES, late.request_id, "来不及", date(2026, 3, 31))
    answered = add_request(storage, PERSON, date(2026, 3, 2), "乙", "社救处")
    assert answered.request_id == "2026-0002"
    answer_request(storage, answered.request_id, Answer(type="予以公开", on=date(2026, 3, 10)))
    with pytest.raises(ValueError, match="已于 2026-03-10 答复"):
        extend_request(storage, DEADLINE_RULES, answered.request_id, "晚了", date(2026, 3, 11))
    with pytest.raises(ValueError, match="已于"):
        answer_request(storage, answered.request_id, Answer(type="部分公开", on=date(2026, 3, 11)))


def test_answer_types_follow_the_annual_report_template() -> None:
    with pytest.raises(ValueError, match="须注明依据"):
        Answer(type="不予公开", on=date(2026, 3, 10))
    with pytest.raises(ValueError, match="须注明依据"):
        Answer(type="无法提供", ground="保护第三方合法权益", on=date(2026, 3, 10))
    with pytest.raises(ValueError, match="不需要依据"):
        Answer(type="予以公开", ground="属于国家秘密", on=date(2026, 3, 10))
    with pytest.raises(ValueError):
        Answer(type="同意", on=date(2026, 3, 10))
    assert Answer(type="无法提供", ground="本机关不掌握相关政府信息", on=date(2026, 3, 10)).ground


def test_personal_data_is_masked_wherever_a_request_is_shown(local_settings: Settings) -> None:
    storage = open_storage(local_settings)
    add_request(storage, PERSON, date(2026, 3, 2), "本人（身份证 110105199001010010）的低保审批材料", "社救处")
    add_request(storage, Requester(name="广州某律师事务所", kind="法律服务机构", contact="lawyer@example.com"),
                date(2026, 3, 3), "名单", "养老处")
    person, firm = (request.shown() for request in all_requests(storage))
    assert person["requester"].startswith("张**（自然人）") and "13912345678" not in person["requester"]
    assert "110105199001010010" not in person["asked"] and "低保审批材料" in person["asked"]
    assert firm["requester"].startswith("广州某律师事务所（法律服务机构）") and "lawyer@example.com" not in firm["requester"]
    # kept as given in the private bucket: the answer goes to the requester
    assert read_request(storage, "2026-0001").requester.contact == "13912345678"


def test_an_unknown_request_is_named(local_settings: Settings) -> None:
    with pytest.raises(LookupError, match="没有编号为 2026-0009"):
        read_request(open_storage(local_settings), "2026-0009")
    with pytest.raises(LookupError):
        read_request(open_storage(local_settings), "../registry/x")
