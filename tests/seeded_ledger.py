"""A department's year in gongkai, made with gongkai's own functions at fixed moments (time-machine moves the
clock): documents published, recorded, returned, a status change, a gazette submission, 依申请公开 requests.
The deadline tests, the watch flow test and the annual report test count on it; every figure they expect is
counted by hand from this file (the documents are generated for the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

from gongkai.catalogue import load_catalogue
from gongkai.clocks import confirm_done
from gongkai.document.check import check_bytes
from gongkai.document.workdays import DEADLINE_RULES
from gongkai.intake import Claim
from gongkai.outcomes import Decision, admit, apply_decision, describe_pending
from gongkai.publishing.items import set_status
from gongkai.register import Answer, Requester, add_request, answer_request, extend_request
from gongkai.storage import Storage
from tests.conftest import claim_file

CATALOGUE = load_catalogue()
CHINA = ZoneInfo("Asia/Shanghai")
BODY = "为进一步规范城乡最低生活保障工作，切实保障困难群众基本生活，现就有关事项通知如下。" * 4


def lines(number: str, title: str, signed: str, label: str = "（此件主动公开）") -> list[str]:
    return ["广东省民政厅文件", number, f"广东省民政厅{title}", "各地级以上市民政局：", BODY, "一、提高保障标准",
            "各地要按时调整标准。", "广东省民政厅", signed, label]


@dataclass(frozen=True)
class Seeded:
    notice: str  # sha256 of 粤民发〔2026〕12号, published on time
    normative: str  # sha256 of 粤民规〔2026〕1号, a 规范性文件 published late, sent to the gazette on time
    guide: str  # sha256 of the changed service guide, marked 办事条件变更
    pending: str  # sha256 of 粤民函〔2026〕88号, waiting for review
    requests: tuple[str, ...]  # 编号 of the requests, in the order made


def at(moment: str) -> time_machine.travel:
    return time_machine.travel(datetime.fromisoformat(moment).replace(tzinfo=CHINA), tick=True)


def _claimed(storage: Storage, folder: Path, name: str, text: list[str]) -> tuple[Claim, object]:
    data = "\n".join(text).encode()
    claim = claim_file(storage, folder, name, data)
    return claim, check_bytes(data, name, claim.extension, date(2026, 3, 1))


def _decide(storage: Storage, folder: Path, name: str, text: list[str], decision: Decision) -> str:
    claim, check = _claimed(storage, folder, name, text)
    apply_decision(storage, folder / "returned", CATALOGUE, claim, check, decision)
    return claim.sha256


def seed(storage: Storage, folder: Path) -> Seeded:
    publish = Decision("publish", "主动公开", "social_assistance", "", "", "李审核")
    with at("2026-03-20 10:00"):  # signed 3月5日: due 4月2日, on time
        notice = _decide(storage, folder, "通知12.txt", lines("粤民发〔2026〕12号", "关于做好城乡低保工作的通知",
                                                               "2026年3月5日"), publish)
    with at("2026-02-11 09:00"):  # signed 2月10日: the gazette wants it by 2月13日; sent 2月12日
        normative_claim, _ = _claimed(storage, folder, "办法.txt", lines("粤民规〔2026〕1号", "关于印发低保审核确认办法的通知",
                                                                      "2026年2月10日"))
    with at("2026-03-26 16:00"):  # signed 2月10日: 春节 (2.15–2.23) in between, due 3月16日; late
        normative = _decide(storage, folder, "办法.txt", lines("粤民规〔2026〕1号", "关于印发低保审核确认办法的通知",
                                                            "2026年2月10日"),
                            Decision("publish", "主动公开", "regulations", "", "", "王审核"))
        assert normative == normative_claim.sha256
    with at("2026-03-27 09:00"):
        confirm_done(storage, DEADLINE_RULES, "gazette_submission", "粤民规〔2026〕1号", date(2026, 2, 12), "王审核")
    with at("2026-04-08 11:00"):  # a service guide signed 4月3日 (before 清明): due 4月7日, the day after; late
        guide = _decide(storage, folder, "指南.txt", lines("粤民函〔2026〕30号", "关于调整低保办理条件的通知", "2026年4月3日"),
                        Decision("publish", "主动公开", "services", "", "", "李审核", marks=("办事条件变更",)))
    with at("2026-05-06 10:00"):
        _decide(storage, folder, "内部.txt", lines("粤民函〔2026〕41号", "关于内部考核安排的通知", "2026年4月28日",
                                                  "（此件不予公开）"),
                Decision("record", "不予公开", "social_assistance", "内部事务信息", "", "李审核"))
        _decide(storage, folder, "草稿.txt", lines("粤民函〔2026〕42号", "关于低保资金的通知", "2026年4月29日"),
                Decision("return", "主动公开", "social_assistance", "", "缺少附件", "李审核"))
    with at("2026-06-02 10:00"):  # the notice repealed by the 规范性文件 from 6月1日: published the next day
        set_status(storage, CATALOGUE, "006939756/2026-00001", "已废止", by="006939756/2026-00002",
                   effective=date(2026, 6, 1))
    with at("2026-11-20 09:00"):  # waiting for review: signed 11月16日, due 12月14日
        claim, check = _claimed(storage, folder, "待审.txt", lines("粤民函〔2026〕88号", "关于开展冬季救助的通知",
                                                                 "2026年11月16日"))
        admit(storage, folder / "returned", claim, lambda _: "run-1")
        describe_pending(storage, claim, check, CATALOGUE, "社救处")
    requests = []
    with at("2025-12-22 09:00"):  # carried over into 2026, answered 1月9日 (due 2026-01-20)
        old = add_request(storage, Requester(name="赵六", contact="13812345678"), date(2025, 12, 22), "2025年低保资金分配",
                          "社救处")
    with at("2026-01-09 09:00"):
        answer_request(storage, old.request_id, Answer(type="予以公开", on=date(2026, 1, 9)))
    requests.append(old.request_id)
    with at("2026-03-02 09:00"):
        first = add_request(storage, Requester(name="张三", contact="13912345678"), date(2026, 3, 2),
                            "本人（身份证 110105199001010010）的低保审批材料", "社救处")
        second = add_request(storage, Requester(name="广州某律师事务所", kind="法律服务机构"), date(2026, 3, 2),
                             "2025年养老机构检查名单", "养老处")
    with at("2026-03-20 09:00"):
        answer_request(storage, first.request_id, Answer(type="部分公开", on=date(2026, 3, 20), by="社救处"))
    with at("2026-03-27 09:00"):
        extend_request(storage, DEADLINE_RULES, second.request_id, "需征求第三方意见", date(2026, 3, 27), "养老处")
    with at("2026-05-06 09:00"):
        answer_request(storage, second.request_id,
                       Answer(type="不予公开", ground="保护第三方合法权益", on=date(2026, 5, 6), by="养老处"))
    with at("2026-11-25 09:00"):  # still open at the year's end: carried over
        third = add_request(storage, Requester(name="李四", contact="lisi@example.com"), date(2026, 11, 25),
                            "2026年临时救助支出", "社救处")
    requests += [first.request_id, second.request_id, third.request_id]
    return Seeded(notice, normative, guide, claim.sha256, tuple(requests))
