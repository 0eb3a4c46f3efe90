"""The `gongkai` command. Imports stay inside the commands so that `--help` starts at once."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gongkai.document.check import DocumentCheck

EXIT_OK, EXIT_ERRORS, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gongkai",
        description="政务公开工作流 / Government information disclosure workflow: check drafts, review, publish.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check", help="检查公文的要素、公开属性和不得公开的内容 / check documents before they go out",
        description="检查公文：要素、公开属性、密级、个人信息、公开期限。退出码 0 无错误，1 有错误，2 无法读取或用法错误 / "
                    "Exit status 0: no errors; 1: some file has an error; 2: unreadable input or bad usage.",
    )
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders (searched recursively)")
    check.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    from gongkai.cli.model_commands import (
        add_commands,  # argparse only: torch and transformers load inside the commands
    )

    add_commands(commands)
    from gongkai.cli.clock_commands import add_commands as add_clock_commands

    add_clock_commands(commands)
    from gongkai.cli.import_command import add_command as add_import_command

    add_import_command(commands)
    commands.add_parser(
        "up", help="启动本地 Prefect 服务、审核流程和收件箱监视 / start the server, the flows and the inbox watcher",
        description="启动（或复用）本地 Prefect 服务器，提供审核流程并监视收件箱；Ctrl-C 停止 / Starts (or reuses) a "
                    "local Prefect server, serves the review flow and watches the inbox. Ctrl-C stops it.",
    )
    retry = commands.add_parser(
        "retry", help="重新执行失败的审核运行，不必再审 / carry out a failed review run again, without a second review",
        description="发布因存储故障失败后，排除故障再运行此命令：审核结论已保存，只重做发布 / After a publish failed "
                    "(storage down, disk full), fix the cause and run this: the saved decision is carried out again.",
    )
    retry.add_argument("run_id", metavar="RUN", help="Prefect 运行编号 / the flow run id (Prefect UI, or the log)")
    retry.set_defaults(handler=_retry)
    status = commands.add_parser(
        "status", help="修改已公开文件的效力状态或撤回 / change a published item's status, or withdraw it",
        description="已修改、已废止、失效（--by 替代文件的索引号）更新两份元数据、目录和订阅；withdraw 把误发文件移出公开桶，"
                    "记录留在私有桶 withdrawn/ / Updates the item (and the one that supersedes it), the catalogue and "
                    "the feed; withdraw removes a mistaken publication and keeps its record privately.",
    )
    status.add_argument("index_no", metavar="INDEX_NO", help="索引号, e.g. 006939756/2026-00012")
    status.add_argument("status", choices=["有效", "已修改", "已废止", "失效", "withdraw"], metavar="STATUS",
                        help="有效 | 已修改 | 已废止 | 失效 | withdraw")
    status.add_argument("--by", metavar="NEW_INDEX_NO", help="替代它的文件的索引号 / the item that supersedes it")
    status.add_argument("--reason", default="", help="理由（撤回时必填）/ reason (required to withdraw)")
    status.add_argument("--date", metavar="YYYY-MM-DD", help="变动生效日期，默认今天 / effective date (default today)")
    status.add_argument("--reviewer", default="", help="操作人 / who does it")
    status.set_defaults(handler=_status)
    pull = commands.add_parser(
        "pull", help="把公开桶增量同步到本地文件夹 / mirror the public bucket into a folder, incrementally",
        description="只传输校验和不同的对象；中断后再运行会接着做 / Transfers only objects whose sha256 differs; an "
                    "interrupted run resumes.",
    )
    pull.add_argument("dest", type=Path, metavar="DEST")
    pull.add_argument("--since", metavar="TIME", help="只看此后更新的条目（ISO 8601）/ only items updated since")
    pull.set_defaults(handler=_pull)
    args = parser.parse_args(argv)
    if hasattr(args, "handler"):
        return args.handler(args)
    if args.command == "up":
        from gongkai.flows.serve import up
        from gongkai.settings import Settings

        return up(Settings())
    return _check(args.paths, as_json=args.json)


def _check(paths: list[Path], as_json: bool) -> int:
    from gongkai.document.check import check_file
    from gongkai.models.store import ModelStore
    from gongkai.settings import Settings

    settings = Settings()
    today, limits = settings.current_date(), settings.extraction_limits()
    suggester = None
    if ModelStore(settings.model_dir).promoted_version():  # without a model, check imports none of its code
        from gongkai.models.suggest import promoted_suggester

        suggester = promoted_suggester(settings)
    status = EXIT_OK
    for path in _files(paths):
        report = check_file(path, today, limits)
        if suggester is not None and not report.unreadable:
            suggester.add_to(report)
        if as_json:
            print(json.dumps(report.to_json(), ensure_ascii=False), flush=True)
        else:
            print(render_plain(report, today), flush=True)
        if report.unreadable:
            status = EXIT_BAD_INPUT
        elif report.has_errors and status == EXIT_OK:
            status = EXIT_ERRORS
    return status


def _retry(args: argparse.Namespace) -> int:
    import os

    from gongkai.flows.serve import prefect_environment
    from gongkai.settings import Settings

    os.environ.update(prefect_environment(Settings()))  # before Prefect is imported: it reads them once
    from gongkai.flows.recovery import retry_run

    try:
        name = retry_run(args.run_id)
    except (LookupError, ValueError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"已重新排队：{name}；gongkai up 会执行已保存的审核结论 / queued again: `gongkai up` carries out the saved decision")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from datetime import date

    from gongkai.catalogue import load_catalogue
    from gongkai.publishing.items import set_status, withdraw
    from gongkai.publishing.layout import WITHDRAW
    from gongkai.settings import Settings
    from gongkai.storage import open_storage

    settings = Settings()
    storage, catalogue = open_storage(settings), load_catalogue(settings.catalogue)
    try:
        if args.status == WITHDRAW:
            if not args.reason:
                print("撤回须说明理由 --reason / withdrawing needs --reason", file=sys.stderr)
                return EXIT_BAD_INPUT
            where = withdraw(storage, catalogue, args.index_no, args.reason, args.reviewer)
            print(f"已撤回 {args.index_no}，记录保存在私有桶 {where} / withdrawn; record kept at {where}")
            return EXIT_OK
        item = set_status(storage, catalogue, args.index_no, args.status, by=args.by, reason=args.reason,
                          effective=date.fromisoformat(args.date) if args.date else None)
    except (LookupError, ValueError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{args.index_no}：{item['status']}" + (f"（由 {args.by} 替代）" if args.by else "")
          + f"，公开期限 deadline {item['status_change_deadline']}")
    return EXIT_OK


def _pull(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from gongkai.publishing.mirror import pull
    from gongkai.settings import Settings
    from gongkai.storage import open_storage

    since = None
    if args.since:
        since = datetime.fromisoformat(args.since)
        since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    result = pull(open_storage(Settings()).public, args.dest, since)
    print(f"transferred {result.transferred} ({result.bytes} bytes), unchanged {result.unchanged}, "
          f"deleted {result.deleted}")
    return EXIT_OK


def _files(paths: list[Path]) -> Iterator[Path]:
    """Files as given, folders expanded (sorted, hidden and Office lock files skipped)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.name.startswith((".", "~$")):
                    yield child
        else:
            yield path  # a missing file is reported by check_file, with exit status 2


_SEVERITY_MARK = {"error": "✖ 错误", "warning": "▲ 警告", "info": "· 提示"}


def render_plain(report: DocumentCheck, today) -> str:
    """The drafter's view: what the document is, then what to fix."""
    from gongkai.document.check import ELEMENT_ROWS

    data = report.to_json()
    lines = [f"━━ {report.file}"]
    if not report.unreadable:
        rows = [(name, data[key]) for name, key in ELEMENT_ROWS] + [
            ("公开属性 label", f"{data['label']}  ←  {data['label_line']}" if data["label"] else "（未标注 none）"),
        ]
        if data["label_reason"]:
            rows.append(("理由 reason", data["label_reason"]))
        if data["withheld_parts"]:
            rows.append(("不公开部分 withheld", "、".join(data["withheld_parts"])))
        if report.suggestion and report.suggestion.category:
            rows.append(("建议 suggestion", f"{report.suggestion.category}（{report.suggestion.category_confidence:.0%}），"
                                            f"主题 {report.suggestion.topic_name}（{report.suggestion.topic_confidence:.0%}）"))
        if report.publish_deadline:
            left = report.publish_deadline.working_days_left(today)
            estimate = "，估算 estimated" if report.publish_deadline.estimated else ""
            rows.append(("公开期限 deadline", f"{data['publish_deadline']}（剩余 {left} 个工作日 working days left{estimate}）"))
        lines += [f"  {_pad(name, 18)}{value}" for name, value in rows if value]
    for problem in report.problems:
        lines.append(f"  {_SEVERITY_MARK[problem.severity.value]} [{problem.code}] {problem.message}")
        if problem.evidence:
            lines.append(f"      ↳ {problem.evidence}")
    errors = sum(problem.severity.value == "error" for problem in report.problems)
    if report.unreadable:
        lines.append("  结论：无法读取，文件未被改动 / Verdict: unreadable; the file was not changed.")
    elif errors:
        lines.append(f"  结论：{errors} 个错误，请修改后再提交 / Verdict: {errors} error(s) to fix before submitting.")
    else:
        lines.append("  结论：可以提交审核 / Verdict: ready for review.")
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal, where a Chinese character takes two columns."""
    columns = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(1, width - columns)


if __name__ == "__main__":
    sys.exit(main())
