"""`gongkai train`, `gongkai evaluate` (also of the element parser) and `gongkai build-encoder`.

Heavy imports stay inside the commands."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_commands(subparsers) -> None:
    """Register the model commands on gongkai's sub-command parser; each sets `handler`."""
    train = subparsers.add_parser("train", help="训练类别和主题模型并按评估结果决定是否启用 / train and gate a model version")
    train.add_argument("sources", nargs="*", type=Path, metavar="SOURCE",
                       help="folders of labelled files or corpus-shaped JSONL files (default: GONGKAI_TRAINING_SOURCES)")
    train.add_argument("--decisions", action="store_true",
                       help="也使用审核人已发布或登记的文件 / also learn from the reviewers' recorded decisions")
    train.add_argument("--evaluate-on", type=Path, metavar="SOURCE",
                       help="启用前用于评估的固定文件集 / the fixed set a version is measured on before promotion "
                            "(default: GONGKAI_EVALUATION_SET)")
    train.add_argument("--starter", action="store_true",
                       help="只在尚无启用版本时训练（安装时运行）/ train only when no version is promoted yet: the "
                            "starter model set-up leaves, from the starter corpus")
    train.add_argument("--json", action="store_true", help="print the result as JSON")
    train.set_defaults(handler=_train)
    evaluate = subparsers.add_parser("evaluate", help="五折交叉评估，与词法基线对比 / 5-fold evaluation next to a lexical baseline")
    evaluate.add_argument("sources", nargs="*", type=Path, metavar="SOURCE",
                          help="default: GONGKAI_TRAINING_SOURCES")
    evaluate.add_argument("--held-out", type=Path, metavar="SOURCE",
                          help="也用全部 SOURCE 训练，在这些未见过的文件上评估 / also fit on all SOURCEs and measure "
                               "on these unseen documents (a folder or a JSONL)")
    evaluate.add_argument("--elements", action="store_true",
                          help="用审核记录中的人工更正检验公文要素解析 / measure the element parser on the reviewers' "
                               "confirmed and corrected elements in the audit ledger (no model involved)")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.set_defaults(handler=_evaluate)
    build = subparsers.add_parser("build-encoder", help="构建本地编码器缓存（安装时运行） / build the local encoder cache (set-up)")
    build.add_argument("--force", action="store_true", help="rebuild even if the cache checks out")
    build.set_defaults(handler=_build_encoder)


def _train(args: argparse.Namespace) -> int:
    from gongkai.ledger import reviewed_examples
    from gongkai.models.evaluation import format_report
    from gongkai.models.training import train_from_settings
    from gongkai.settings import Settings
    from gongkai.storage import open_storage

    settings = Settings()
    if args.starter:
        from gongkai.models.store import ModelStore

        promoted = ModelStore(settings.model_dir).promoted_version()
        if promoted:
            print(f"已有启用的模型版本 {promoted}，不再训练 / version {promoted} is promoted already: nothing to do")
            return 0
    decisions = reviewed_examples(open_storage(settings)) if args.decisions else None
    result = train_from_settings(settings, args.sources, decisions, args.evaluate_on)
    if args.json:
        print(json.dumps({"version": result.version, "metrics": result.report.metrics(), "left_out": result.left_out,
                          "decision": result.decision.to_json()}, ensure_ascii=False))
    else:
        print(format_report(result.report))
        if result.left_out:
            print(f"{result.left_out} 个训练文件与评估集相同，未用于训练 / training documents also in the evaluation "
                  "set were left out of training")
        state = "已启用 promoted" if result.decision.promoted else "未启用 not promoted"
        print(f"版本 version {result.version}: {state} ({result.decision.reason})")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    if args.elements:
        return _evaluate_elements(args.json)
    from gongkai.catalogue import load_catalogue
    from gongkai.models.data import examples_from_sources
    from gongkai.models.encoder import EncoderChoice, shared_encoder
    from gongkai.models.evaluation import evaluate, format_report
    from gongkai.models.training import embedding_cache
    from gongkai.settings import Settings

    settings = Settings()
    catalogue = load_catalogue(settings.catalogue)
    held_out = examples_from_sources([args.held_out], catalogue) if args.held_out else None
    examples = examples_from_sources(args.sources or settings.training_sources, catalogue)
    encoder = shared_encoder(EncoderChoice.from_settings(settings))
    report = evaluate(examples, embedding_cache(encoder, settings), catalogue, held_out)
    print(json.dumps(asdict(report), ensure_ascii=False) if args.json else format_report(report))
    return 0


def _evaluate_elements(as_json: bool) -> int:
    from dataclasses import asdict

    from gongkai.corrections import evaluate_elements, format_element_report
    from gongkai.settings import Settings
    from gongkai.storage import open_storage

    report = evaluate_elements(open_storage(Settings()))
    print(json.dumps(asdict(report), ensure_ascii=False) if as_json else format_element_report(report))
    return 0


def _build_encoder(args: argparse.Namespace) -> int:
    from gongkai.models.encoder import build_encoder_cache, default_cache_dir
    from gongkai.settings import Settings

    print(build_encoder_cache(default_cache_dir(Settings().encoder_cache), force=args.force))
    return 0
