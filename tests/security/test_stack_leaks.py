"""The leak paths of the outside probe, through `gongkai up` as a department runs it (its own Prefect server
with SQLite, moto's S3 server on loopback). On main at 6b28d7f each of these leaked."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.conftest import write_docx
from tests.security.hostile import ID_NUMBER, MOBILE
from tests.stack import GOOD, Stack

pytestmark = pytest.mark.security
FORM = {"topic": "社会救助", "reviewer": "李审核"}


def everything_stored(storage) -> bytes:  # noqa: ANN001 - gongkai Storage
    return b"".join(store.get(key) for store in (storage.public, storage.private) for key in store.keys()
                    if not key.startswith("staging/"))


def outputs(stack: Stack) -> bytes:
    """Every file `up` and its Prefect server wrote: logs, the server's database, persisted task results."""
    found = b""
    for path in (stack.workdir / "data").rglob("*"):
        if path.is_file() and not path.is_symlink() and "storage" not in path.parts and "processing" not in path.parts:
            found += path.read_bytes()
    return found + b"".join(log.read_bytes() for log in stack.logs)


def test_links_hostile_parameters_and_names_leak_nothing(stack: Stack, stack_storage) -> None:  # noqa: ANN001
    from prefect.deployments import run_deployment

    from gongkai.flows.serve import DEPLOYMENT

    database = stack.workdir / "data" / "prefect" / "prefect.db"
    (stack.inbox / "社救处").mkdir(parents=True, exist_ok=True)
    os.symlink(database, stack.inbox / "社救处" / "报表.xlsx")
    stack.wait_for(lambda: (stack.returned / "社救处" / "报表.xlsx.问题说明.txt").exists(), 60, "the link's note")
    assert (stack.returned / "社救处" / "报表.xlsx").is_symlink()

    # a run started by hand with a hostile claim fails before it touches anything
    hostile = {"sha256": "ab" * 32, "name": "x.docx", "office": "../../escaped", "extension": "docx",
               "received_at": "2026-11-25T00:00:00+00:00"}
    run = run_deployment(DEPLOYMENT, parameters={"claim": hostile}, timeout=0)
    assert stack.wait_final(run.id).state.name == "Failed"
    assert not (stack.workdir.parent / "escaped").exists() and not (stack.workdir / "escaped").exists()

    # a file name with an ID number, a body with a mobile number: masked in every output
    lines = GOOD[:4] + [f"联系人：王某，电话 {MOBILE}。"] + GOOD[4:]
    draft = write_docx(stack.workdir / "drafts" / "draft.docx", lines)
    os.replace(draft, stack.inbox / "社救处" / f"张三{ID_NUMBER}的材料.docx")
    [suspended] = stack.wait_for_runs(1, "Suspended")
    stack.resume(suspended.id, decision="publish", category="主动公开", **FORM)
    assert stack.wait_final(suspended.id).state.name == "Completed"
    written = outputs(stack) + everything_stored(stack_storage)
    assert b"SQLite format 3" not in everything_stored(stack_storage)
    for number in (ID_NUMBER, MOBILE):
        assert number.encode() not in written, number
    metadata = json.loads(stack_storage.public.get(next(key for key in stack_storage.public.keys("items/")
                                                        if key.endswith("metadata.json"))))
    assert metadata["original_name"] is None and metadata["original"] is None  # it holds a mobile number


def test_a_draft_rewritten_after_the_check_publishes_what_was_reviewed(stack: Stack, stack_storage) -> None:  # noqa: ANN001
    draft = write_docx(stack.workdir / "drafts" / "通知.docx", GOOD)
    reviewed = draft.read_bytes()
    (stack.inbox / "社救处").mkdir(parents=True, exist_ok=True)
    os.link(draft, stack.inbox / "社救处" / "通知.docx")  # the drafter keeps a second name for the same file
    [run] = stack.wait_for_runs(1, "Suspended")
    write_docx(stack.workdir / "drafts" / "tampered.docx", ["机密★1年", *GOOD[:4], f"身份证号 {ID_NUMBER}", *GOOD[4:]])
    with draft.open("r+b") as stream:  # rewritten in place, through the other name
        stream.write((stack.workdir / "drafts" / "tampered.docx").read_bytes())
        stream.truncate()
    stack.resume(run.id, decision="publish", category="主动公开", **FORM)
    assert stack.wait_final(run.id).state.name == "Completed"
    [original] = [key for key in stack_storage.public.keys("items/") if "/original." in key]
    assert stack_storage.public.get(original) == reviewed
    public = b"".join(stack_storage.public.get(key) for key in stack_storage.public.keys())
    assert ID_NUMBER.encode() not in public and "机密".encode() not in public
    events = [json.loads(stack_storage.private.get(key)) for key in stack_storage.private.keys("audit/")]
    published = next(event for event in events if event["event"] == "published")
    assert published["sha256"] == hashlib.sha256(reviewed).hexdigest()
    assert Path(draft).read_bytes() != reviewed  # the drafter's own copy did change
