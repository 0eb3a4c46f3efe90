"""Retraining on a schedule: the configured training sources plus every decision reviewers published or
recorded, measured on the fixed evaluation set; the gate decides whether the new version is promoted.
`gongkai up` serves it with GONGKAI_RETRAIN_SCHEDULE; it can also be started from the Prefect UI."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from gongkai.ledger import reviewed_examples
from gongkai.models.evaluation import format_report
from gongkai.models.training import train_from_settings
from gongkai.settings import Settings
from gongkai.storage import open_storage


@flow(name="retrain-model")
def retrain_model() -> dict[str, Any]:
    logger = get_run_logger()
    settings = Settings()
    result = train_from_settings(settings, decisions=reviewed_examples(open_storage(settings)))
    decision = result.decision
    state = "已启用 promoted" if decision.promoted else "未启用 not promoted"
    create_markdown_artifact(
        key="model-training", description="模型训练与评估 / model training and evaluation",
        markdown=f"## 版本 version {result.version}: {state}\n\n{decision.reason}\n\n```\n{format_report(result.report)}\n```\n")
    logger.info("模型版本 %s：%s（%s） / model version %s: %s", result.version, state, decision.reason,
                result.version, "promoted" if decision.promoted else "kept the promoted one")
    return {"version": result.version, "promoted": decision.promoted, "reason": decision.reason,
            "examples": result.report.documents, "left_out": result.left_out}
