"""`gongkai deadlines`, `gongkai request …` and `gongkai report`: the statutory clocks from the command line.
The same as the Prefect flows of gongkai.flows.deadlines, without a server."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_commands(commands: Any) -> None:
    deadlines = commands.add_parser(
        "deadlines", help="列出计时中的法定期限，或确认某一步已完成 / list running statutory clocks, or confirm a step",
        description="无子命令时列出计时中的期限（按到期日）；done 记录规则为 closed_by: confirmation 的步骤已完成（如报送公报）"
                    " / Without a subcommand: the running clocks by due date. `done` records a step outside gongkai.",
    )
    deadlines.add_argument("--within", type=int, metavar="N", help="只列 N 个工作日内到期和已逾期的 / only those due "
                                                                   "within N working days, and overdue ones")
    deadlines.add_argument("--json", action="store_true", help="JSON Lines")
    deadlines.set_defaults(handler=_list_deadlines)
    done = deadlines.add_subparsers(dest="action", metavar="ACTION").add_parser(
        "done", help="确认已完成 / confirm a step was done")
    done.add_argument("rule", metavar="RULE", help="规则键, e.g. gazette_submission")
    done.add_argument("document", metavar="DOCUMENT", help="索引号、发文字号或 sha256 / 索引号, 发文字号 or sha256")
    done.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="完成日期，默认今天 / default today")
    done.add_argument("--by", default="", help="经办人 / who did it")
    done.set_defaults(handler=_done)

    request = commands.add_parser(
        "request", help="依申请公开登记：add | extend | answer | list / the 依申请公开 request register",
        description="登记申请、延长答复期限（仅一次，须在期限内）、答复、列出；申请人信息只保存在私有桶，显示时脱敏 / "
                    "Register, extend once, answer, list. The requester's details stay in the private bucket, masked "
                    "wherever shown.",
    )
    actions = request.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="登记新申请 / register a request")
    add.add_argument("--name", required=True, help="申请人 / requester")
    add.add_argument("--kind", default="自然人",
                     choices=["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"], help="申请人类型")
    add.add_argument("--contact", default="", help="联系方式 / contact")
    add.add_argument("--received", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD", help="收到日期")
    add.add_argument("--asked", required=True, help="申请内容 / what is asked")
    add.add_argument("--office", required=True, help="承办处室 / handling office")
    add.add_argument("--document", action="append", default=[], help="相关文件（可多次）/ a linked document")
    add.add_argument("--by", default="", help="登记人 / clerk")
    add.set_defaults(handler=_request_add)
    extend = actions.add_parser("extend", help="延长答复期限（一次）/ extend the time to answer, once")
    extend.add_argument("request_id", metavar="ID")
    extend.add_argument("--reason", required=True, help="延长理由 / reason")
    extend.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="决定日期，默认今天")
    extend.add_argument("--by", default="")
    extend.set_defaults(handler=_request_extend)
    answer = actions.add_parser("answer", help="答复 / record the answer")
    answer.add_argument("request_id", metavar="ID")
    answer.add_argument("--type", required=True, choices=["予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"])
    answer.add_argument("--ground", default="", help="依据（不予公开、无法提供、不予处理、其他处理须填）/ ground")
    answer.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="答复日期，默认今天")
    answer.add_argument("--note", default="")
    answer.add_argument("--document", action="append", default=[], help="提供的文件（可多次）/ a document given")
    answer.add_argument("--by", default="")
    answer.set_defaults(handler=_request_answer)
    listing = actions.add_parser("list", help="列出申请（已脱敏）/ list requests, masked")
    listing.add_argument("--open", action="store_true", help="只列未答复的 / only those not answered")
    listing.add_argument("--json", action="store_true", help="JSON Lines")
    listing.set_defaults(handler=_request_list)

    report = commands.add_parser(
        "report", help="政府信息公开工作年度报告统计 / the annual report's figures",
        description="按国办公开办函〔2021〕30号模板的表格统计：Markdown、CSV 和图表（PNG）；gongkai 不掌握的项目单独列出 / "
                    "Markdown, CSV and a PNG chart in the template's tables; rows gongkai cannot know are listed.",
    )
    report.add_argument("--year", type=int, required=True, metavar="YYYY")
    report.add_argument("--out", type=Path, metavar="DIR", help="输出目录，默认 reports/YYYY / default reports/YYYY")
    report.set_defaults(handler=_report)


def _context() -> tuple[Any, Any, Any]:
    from gongkai.document.workdays import load_deadline_rules
    from gongkai.settings import Settings
    from gongkai.storage import open_storage

    settings = Settings()
    return settings, open_storage(settings), load_deadline_rules(settings.deadlines)


def _list_deadlines(args: argparse.Namespace) -> int:
    from gongkai.clocks import all_clocks, watch_summary

    settings, storage, rules = _context()
    today = settings.current_date()
    clocks = [clock for clock in all_clocks(storage, rules) if clock.running]
    if args.within is not None:
        clocks = [clock for clock in clocks if clock.deadline.working_days_left(today) <= args.within]
    if args.json:
        for clock in clocks:
            print(json.dumps(clock.row(today), ensure_ascii=False))
        return EXIT_OK
    print(watch_summary(clocks, today, settings.deadline_warning_days))
    for clock in clocks:
        row = clock.row(today)
        print(f"{row['due']}  剩余 {row['working_days_left']:>3} 个工作日  {row['rule']:<22} {clock.name}  [{clock.office}]")
    return EXIT_OK


def _done(args: argparse.Namespace) -> int:
    from gongkai.clocks import confirm_done

    settings, storage, rules = _context()
    try:
        clock = confirm_done(storage, rules, args.rule, args.document, args.date or settings.current_date(), args.by)
    except (LookupError, ValueError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    state = "按时 on time" if clock.on_time else "逾期 late"
    print(f"{clock.name}：{args.rule} 于 {clock.closed_on} 完成（期限 {clock.deadline.due}，{state}）")
    return EXIT_OK


def _request_add(args: argparse.Namespace) -> int:
    from gongkai.register import Requester, add_request

    settings, storage, rules = _context()
    try:
        request = add_request(storage, Requester(name=args.name, kind=args.kind, contact=args.contact), args.received,
                              args.asked, args.office, args.document, args.by)
    except ValueError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"已登记 {request.request_id}，答复期限 due {request.deadline(rules).due} / registered")
    return EXIT_OK


def _request_extend(args: argparse.Namespace) -> int:
    from gongkai.register import extend_request

    settings, storage, rules = _context()
    try:
        request = extend_request(storage, rules, args.request_id, args.reason, args.date or settings.current_date(),
                                 args.by)
    except (LookupError, ValueError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{request.request_id} 已延长，答复期限 due {request.deadline(rules).due} / extended")
    return EXIT_OK


def _request_answer(args: argparse.Namespace) -> int:
    from gongkai.register import Answer, answer_request

    settings, storage, rules = _context()
    try:
        answer = Answer(type=args.type, ground=args.ground, on=args.date or settings.current_date(), note=args.note,
                        by=args.by)
        request = answer_request(storage, args.request_id, answer, args.document)
    except (LookupError, ValueError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    due = request.deadline(rules)
    state = "按时 on time" if answer.on <= due.due else "逾期 late"
    print(f"{request.request_id} 已答复：{answer.type}（期限 {due.due}，{state}）/ answered")
    return EXIT_OK


def _request_list(args: argparse.Namespace) -> int:
    from gongkai.register import all_requests

    settings, storage, rules = _context()
    today = settings.current_date()
    for request in all_requests(storage):
        if args.open and request.answer:
            continue
        shown = request.shown()
        due = request.deadline(rules)
        shown.update(due=due.due, working_days_left=None if request.answer else due.working_days_left(today))
        if args.json:
            print(json.dumps(shown, ensure_ascii=False, default=str))
            continue
        state = (f"已答复 {shown['answered']} {shown['answer']}" if request.answer
                 else f"剩余 {shown['working_days_left']} 个工作日")
        print(f"{request.request_id}  收到 {request.received}  期限 {due.due}{'（已延长）' if request.extensions else ''}  "
              f"{state}  {shown['requester']}  [{request.office}] {shown['asked']}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from gongkai.annual_report import annual_report
    from gongkai.catalogue import load_catalogue

    settings, storage, rules = _context()
    report = annual_report(storage, load_catalogue(settings.catalogue), rules, args.year)
    paths = report.write(args.out or Path("reports") / str(args.year))
    print(report.markdown())
    print("\n".join(f"→ {path}" for path in paths))
    return EXIT_OK
