"""Bulk import of a department's back catalogue (`gongkai import FOLDER`): thousands of historic documents into
the 公开目录 without one review run each.

The data path, in stages that run anywhere: `source_files` lists the folder; `read_source` reads one file's bytes
once (regular files only, no link followed) and hashes them; `check_sources` extracts and checks a chunk — the
same bounded check as the inbox, so it runs in worker processes or on Dask workers and touches no storage;
`BackCatalogueImport.take` suggests a topic for a whole chunk in one batch, decides each document and writes the
chunk; `finish` rebuilds the catalogue once and writes the failures CSV.

`--as published` (documents the department published in the past): every document still passes the publish
blockers — a document labelled 依申请公开 or 不予公开, unlabelled, secret-marked, holding personal data or
without 名称 and 成文日期 is registered privately (register/ in the private bucket, as a reviewer's record) and
listed, never published. `--as review`: the documents wait in review batches (gongkai.flows.back_catalogue).

Resumable: the outcomes of a chunk are journalled (imports/done/, one object per chunk) once the chunk is
written, so an import started again skips what is done, by content, and redoes at most the chunk it was in; the
索引号 of a version is kept (by-sha256), so a document written again gets the same number, never a second one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Literal

from gongkai.catalogue import Catalogue
from gongkai.document.check import DocumentCheck, check_bytes, warm_up
from gongkai.document.labels import PROACTIVE
from gongkai.extractors import HEAD_BYTES, file_extension, sniff_format
from gongkai.extractors.base import ExtractionLimits
from gongkai.intake import Claim, Refused, display_name, is_ignored, read_regular
from gongkai.ledger import PENDING, PUBLISHED, RECORDED, now, registry_status, set_registry_status
from gongkai.models.client import remote_suggestion
from gongkai.outcomes import catalogue_blockers, publish_blockers
from gongkai.publishing.catalogue_feed import rebuild_catalogue
from gongkai.publishing.index_numbers import reserve_index_number
from gongkai.publishing.items import link_interpretations, write_item
from gongkai.publishing.layout import CHINA, STATUSES, VALID
from gongkai.storage import Storage, get_json, put_json

ImportMode = Literal["published", "review"]
DONE_PREFIX = "imports/done/"
# outcomes, as the summary and the failures CSV name them
PUBLISHED_OUTCOME, REGISTERED, FAILED, DUPLICATE, FOR_REVIEW = "published", "registered", "failed", "duplicate", "review"
FAILURE_COLUMNS = ["文件 file", "结果 outcome", "原因 reasons", "sha256"]
REVIEW_BATCH = 50  # documents per review run (gongkai.flows.review_batch.MAX_BATCH)
MODEL_REQUESTS = 16  # documents sent to the suggestion service at once (it batches what waits)


@dataclass(frozen=True)
class PastPublication:
    """What the department's metadata CSV says of one file; empty fields come from the check."""

    index_no: str = ""
    published: date | None = None
    topic: str = ""  # a catalogue topic key or name
    status: str = VALID


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the folder, as the metadata CSV names it
    name: str  # as shown: personal data masked (intake.display_name)
    data: bytes
    sha256: str
    extension: str


@dataclass(frozen=True)
class CheckedFile:
    path: str
    name: str
    sha256: str
    extension: str
    data: bytes
    check: DocumentCheck


@dataclass
class ImportOutcome:
    name: str
    outcome: str
    sha256: str = ""
    index_no: str = ""
    reasons: list[str] = field(default_factory=list)


def read_metadata_csv(path: Path, catalogue: Catalogue) -> dict[str, PastPublication]:
    """The metadata CSV (UTF-8, a BOM allowed): columns 文件 (the path relative to the folder), 索引号, 发布日期
    (YYYY-MM-DD), 主题 (a topic key or name), 状态 (有效, 已修改, 已废止, 失效); only 文件 is required. A row that
    does not fit names the line."""
    rows: dict[str, PastPublication] = {}
    with path.open(encoding="utf-8-sig", newline="") as stream:
        for line, row in enumerate(csv.DictReader(stream), start=2):
            try:
                name = (row.get("文件") or "").strip()
                if not name:
                    raise ValueError("缺少“文件” / no file name")
                topic = (row.get("主题") or "").strip()
                if topic and topic not in {t.key for t in catalogue.topics} and not catalogue.topic_key(topic):
                    raise ValueError(f"主题“{topic}”不在目录中 / topic not in the catalogue")
                status = (row.get("状态") or "").strip() or VALID
                if status not in STATUSES:
                    raise ValueError(f"状态须为 {'、'.join(STATUSES)} / unknown status {status!r}")
                published = (row.get("发布日期") or "").strip()
                rows[name] = PastPublication((row.get("索引号") or "").strip(),
                                             date.fromisoformat(published) if published else None,
                                             catalogue.topic_key(topic) or topic, status)
            except ValueError as error:
                raise ValueError(f"{path} 第 {line} 行 / line {line}: {error}") from None
    return rows


def source_files(folder: Path) -> list[str]:
    """Every file under `folder` an import considers, relative and sorted (hidden and Office lock files left
    out): links and other non-files are listed too, so that `read_source` reports them instead of skipping them."""
    names = []
    for root, folders, files in os.walk(folder):  # os.walk does not follow links to folders
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in files:
            relative = (Path(root) / name).relative_to(folder)
            if not is_ignored(relative):
                names.append(relative.as_posix())
    return sorted(names)


def read_source(folder: Path, path: str, max_bytes: int) -> SourceFile:
    """One file's bytes, read once as the inbox reads them (regular files only, no link followed, a size cap);
    Refused or OSError says why it cannot be taken."""
    data, _ = read_regular(folder / path, max_bytes)
    return SourceFile(path, display_name(path.replace("/", "／")), data, hashlib.sha256(data).hexdigest(),
                      file_extension(sniff_format(data, suffix=Path(path).suffix), data[:HEAD_BYTES]))


def check_sources(sources: list[SourceFile], today: date, limits: ExtractionLimits) -> list[CheckedFile]:
    """Extract and check a chunk of files, each in a bounded child (time, memory), as the inbox does. Touches no
    storage: it runs in a worker process or on a Dask worker."""
    warm_up()  # once per process: the children that check each file fork from it
    return [CheckedFile(source.path, source.name, source.sha256, source.extension, source.data,
                        check_bytes(source.data, source.name, source.extension, today, limits)) for source in sources]


class BackCatalogueImport:
    """Decides and writes checked chunks; keeps what is done so that an import started again skips it."""

    def __init__(self, storage: Storage, catalogue: Catalogue, mode: ImportMode,
                 metadata: dict[str, PastPublication] | None = None, model_url: str | None = None,
                 start_batch: Callable[[list[Claim]], str] | None = None) -> None:
        if mode == "review" and start_batch is None:
            raise ValueError("--as review needs the Prefect API of `gongkai up` to create the review batches")
        self.storage, self.catalogue, self.mode = storage, catalogue, mode
        self.start_batch = start_batch  # creates one review run for a batch of claims, returns its id
        self.metadata = metadata or {}
        self.model_url = model_url  # the host's suggestion service (gongkai up's); None: topics from the CSV only
        self.skipped = 0  # done by an earlier run of the import
        # what earlier runs did: one journal object per written chunk
        self.journal: dict[str, ImportOutcome] = {
            entry["sha256"]: ImportOutcome(**entry)
            for key in storage.private.keys(DONE_PREFIX) for entry in get_json(storage.private, key)}
        self.outcomes: list[ImportOutcome] = []
        self.waiting_review: list[Claim] = []

    def is_done(self, sha256: str) -> bool:
        return sha256 in self.journal

    def fail(self, path: str, reason: str) -> None:
        """A file that could not be read: listed, never stops the import."""
        self.outcomes.append(ImportOutcome(display_name(path.replace("/", "／")), FAILED, reasons=[reason]))

    def take(self, chunk: list[CheckedFile]) -> list[ImportOutcome]:
        """Decide and write one checked chunk; returns its outcomes."""
        fresh: list[CheckedFile] = []
        outcomes: list[ImportOutcome] = []
        for checked in chunk:
            if checked.sha256 in self.journal or any(other.sha256 == checked.sha256 for other in fresh):
                outcomes.append(ImportOutcome(checked.name, DUPLICATE, checked.sha256,
                                              reasons=["同一内容已导入 / the same content was imported already"]))
            elif (status := registry_status(self.storage, checked.sha256)) in (PUBLISHED, RECORDED, PENDING):
                outcomes.append(ImportOutcome(checked.name, DUPLICATE, checked.sha256,
                                              reasons=[f"已在 gongkai 中（{status}）/ in gongkai already ({status})"]))
            else:
                fresh.append(checked)
        # the model only for what will be published here (a review batch's runs suggest for themselves)
        topics = self._topics([checked for checked in fresh if self.mode == "published"
                               and not checked.check.unreadable and not self._blockers(checked)])
        for checked in fresh:
            if checked.check.unreadable:
                problem = checked.check.problems[0]
                outcomes.append(ImportOutcome(checked.name, FAILED, checked.sha256,
                                              reasons=[f"{problem.code}: {problem.message}"]))
            elif self.mode == "review":
                self.waiting_review.append(self._snapshot(checked))
            else:
                outcomes.append(self._publish_or_register(checked, topics.get(checked.sha256)))
        self._keep(outcomes)
        self.outcomes += outcomes
        while len(self.waiting_review) >= REVIEW_BATCH:
            outcomes += self._send_for_review(REVIEW_BATCH)
        return outcomes

    def finish(self) -> None:
        """After the last chunk: the last review batch started; the catalogue rebuilt once, 解读 paired."""
        if self.waiting_review:
            self._send_for_review(len(self.waiting_review))
        # an earlier run may have stopped after its last chunk and before this: rebuilt whenever anything is published
        if any(outcome.outcome == PUBLISHED_OUTCOME for outcome in self.journal.values()):
            link_interpretations(self.storage)
            rebuild_catalogue(self.storage, self.catalogue)

    def _topics(self, chunk: list[CheckedFile]) -> dict[str, str]:
        """The topic of each document: the CSV's, else the model's, suggested for the chunk in one batch."""
        topics = {checked.sha256: past.topic for checked in chunk
                  if (past := self.metadata.get(checked.path)) and past.topic}
        unknown = [checked for checked in chunk if checked.sha256 not in topics]
        if self.model_url and unknown:
            # sent together, so that the service embeds them in shared batches
            with ThreadPoolExecutor(max_workers=MODEL_REQUESTS) as pool:
                answers = list(pool.map(lambda checked: remote_suggestion(self.model_url, checked.check), unknown))
            for checked, (suggestion, _) in zip(unknown, answers):
                if suggestion is not None:
                    topics[checked.sha256] = suggestion.topic
        return topics

    def _publish_or_register(self, checked: CheckedFile, topic: str | None) -> ImportOutcome:
        check, past = checked.check, self.metadata.get(checked.path, PastPublication())
        reasons = self._blockers(checked)
        label = check.elements.label
        base = {**_item_record(checked, topic), "imported": True}
        if reasons:
            base["category"] = label.category if label else None
            self._register(checked, base, reasons)
            return ImportOutcome(checked.name, REGISTERED, checked.sha256, reasons=reasons)
        try:
            index_no = (reserve_index_number(self.storage, self.catalogue.organisation_code, past.index_no,
                                             checked.sha256) if past.index_no else None)
        except ValueError as error:
            self._register(checked, base, [str(error)])
            return ImportOutcome(checked.name, REGISTERED, checked.sha256, reasons=[str(error)])
        published_at = (datetime.combine(past.published, time(12), CHINA).astimezone(timezone.utc)
                        .isoformat(timespec="microseconds") if past.published else None)
        prefix = write_item(self.storage, self.catalogue, check, base, checked.data, checked.extension,
                            index_no=index_no, published_at=published_at, status=past.status,
                            pair_interpretations=False)
        index_no = get_json(self.storage.public, f"{prefix}/metadata.json")["index_no"]
        set_registry_status(self.storage, checked.sha256, PUBLISHED, file=checked.name, item=prefix, imported=True)
        return ImportOutcome(checked.name, PUBLISHED_OUTCOME, checked.sha256, index_no)

    @staticmethod
    def _blockers(checked: CheckedFile) -> list[str]:
        """Why this document may not be published: the review's publish blockers, and no 主动公开 label."""
        check = checked.check
        reasons = publish_blockers(check, PROACTIVE) + catalogue_blockers(check)
        label = check.elements.label
        if not reasons and not (label and label.category == PROACTIVE):
            reasons.append("未标注“主动公开” / not labelled 主动公开")
        return reasons

    def _register(self, checked: CheckedFile, base: dict[str, Any], reasons: list[str]) -> None:
        """Kept privately with the reasons, as a reviewer's record is (gongkai.outcomes.record)."""
        folder = f"register/{checked.sha256[:16]}"
        put_json(self.storage.private, f"{folder}/metadata.json",
                 {**base, "recorded_at": now(), "reason": "；".join(reasons), "reviewer": "gongkai import"})
        self.storage.private.put(f"{folder}/original.{checked.extension}", checked.data)
        self.storage.private.put(f"{folder}/content.txt", checked.check.text.encode(), "text/plain; charset=utf-8")
        set_registry_status(self.storage, checked.sha256, RECORDED, file=checked.name, item=f"{folder}/metadata.json",
                            imported=True)

    def _snapshot(self, checked: CheckedFile) -> Claim:
        """The bytes as the inbox keeps a claimed file's (staging/<sha256>/), for the review run to check and
        publish exactly them."""
        claim = Claim(checked.sha256, checked.name, "", checked.extension, now())
        self.storage.private.create(claim.snapshot_key, checked.data)
        return claim

    def _send_for_review(self, count: int) -> list[ImportOutcome]:
        """One review run for the next `count` waiting documents; they are pending from then on."""
        assert self.start_batch is not None
        batch, self.waiting_review = self.waiting_review[:count], self.waiting_review[count:]
        run_id = self.start_batch(batch)
        outcomes = []
        for claim in batch:
            set_registry_status(self.storage, claim.sha256, PENDING, file=claim.name, office="", flow_run_id=run_id)
            outcomes.append(ImportOutcome(claim.name, FOR_REVIEW, claim.sha256, reasons=[f"审核运行 review run {run_id}"]))
        put_json(self.storage.private, f"{DONE_PREFIX}{now()}-{batch[0].sha256[:16]}.json",
                 [asdict(outcome) for outcome in outcomes])
        self.journal.update((outcome.sha256, outcome) for outcome in outcomes)
        self.outcomes += outcomes
        return outcomes

    def _keep(self, outcomes: list[ImportOutcome]) -> None:
        """Journal a written chunk (one object, after all its writes): an interrupted import redoes at most the
        chunk in hand, and the same document written again gets the same 索引号 (by-sha256)."""
        kept = [outcome for outcome in outcomes if outcome.sha256 and outcome.outcome not in (DUPLICATE, FOR_REVIEW)
                and outcome.sha256 not in self.journal]
        if kept:
            put_json(self.storage.private, f"{DONE_PREFIX}{now()}-{kept[0].sha256[:16]}.json",
                     [asdict(outcome) for outcome in kept])
            self.journal.update((outcome.sha256, outcome) for outcome in kept)

    def counts(self) -> dict[str, int]:
        """This run's outcomes by kind, and how many files an earlier run had done (done_earlier)."""
        counts = {"done_earlier": self.skipped}
        for outcome in self.outcomes:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        return counts

    def not_published(self) -> list[ImportOutcome]:
        """Every file this import (with its earlier runs) did not publish: journalled ones, and this run's
        unreadable files and duplicates."""
        journalled = [outcome for outcome in self.journal.values()
                      if outcome.outcome not in (PUBLISHED_OUTCOME, FOR_REVIEW)]
        return journalled + [outcome for outcome in self.outcomes
                             if outcome.outcome == DUPLICATE or (outcome.outcome == FAILED and not outcome.sha256)]


def _item_record(checked: CheckedFile, topic: str | None) -> dict[str, Any]:
    report = checked.check.to_json()
    return {**{name: report[name] for name in ("title", "doc_number", "doc_type", "issuer", "signed_date")},
            "category": PROACTIVE, "topic": topic or None, "publish_deadline": None, "deadline_estimated": False,
            "withheld_parts": report["withheld_parts"], "withheld_parts_label": None, "corrections": {},
            "sha256": checked.sha256, "format": checked.check.format, "original_name": None}


def failures_csv(outcomes: Iterable[ImportOutcome]) -> bytes:
    """The files not published, with their reasons; UTF-8 with a BOM for Excel."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(FAILURE_COLUMNS)
    for outcome in sorted(outcomes, key=lambda outcome: outcome.name):
        writer.writerow([outcome.name, outcome.outcome, "；".join(outcome.reasons), outcome.sha256])
    return ("\ufeff" + stream.getvalue()).encode()


ChunkChecker = Callable[[Iterator[list[SourceFile]]], Iterator[list[CheckedFile]]]


def import_folder(importer: BackCatalogueImport, folder: Path, check_chunks: ChunkChecker, max_bytes: int,
                  chunk_size: int = 50, progress: Callable[[int, int], None] = lambda done, total: None) -> None:
    """The whole import: read each file once, skip what an earlier run did, check the rest chunk by chunk with
    `check_chunks` (worker processes, a Prefect task runner, Dask), write each chunk as it comes back, then
    finish. `progress(files handled, files in the folder)` after each chunk."""
    paths = source_files(folder)
    handled = 0

    def chunks() -> Iterator[list[SourceFile]]:
        nonlocal handled
        chunk: list[SourceFile] = []
        for path in paths:
            try:
                source = read_source(folder, path, max_bytes)
            except Refused as refused:
                importer.fail(path, refused.refusal.message)
                handled += 1
                continue
            except OSError as error:
                importer.fail(path, f"无法读取 / cannot be read: {error.strerror or error}")
                handled += 1
                continue
            if importer.is_done(source.sha256):
                importer.skipped += 1
                handled += 1
                continue
            chunk.append(source)
            if len(chunk) == chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    for checked in check_chunks(chunks()):
        importer.take(checked)
        handled += len(checked)
        progress(handled, len(paths))
    importer.finish()
    progress(len(paths), len(paths))


def in_order(executor: Executor, work: Callable[[list[SourceFile]], list[CheckedFile]],
             chunks: Iterator[list[SourceFile]], in_flight: int) -> Iterator[list[CheckedFile]]:
    """`work` on each chunk in `executor`, results in order, at most `in_flight` chunks submitted at a time (the
    bytes of a 10,000-file folder never sit in memory at once; Executor.map would submit them all)."""
    pending: list[Future[list[CheckedFile]]] = []
    for chunk in chunks:
        pending.append(executor.submit(work, chunk))
        if len(pending) >= in_flight:
            yield pending.pop(0).result()
    for future in pending:
        yield future.result()
