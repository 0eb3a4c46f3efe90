"""The product, end to end: drop files in the inbox, review through the Prefect API, check the buckets.

Real Prefect server (started by `gongkai up`, SQLite), real S3 endpoint on loopback (moto's server).
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.stack import GOOD, SECRET, UNLABELLED, Stack

FORM = {"topic": "社会救助", "reviewer": "李审核"}


def by_number(runs: list, number: str):  # noqa: ANN001, ANN201 - Prefect's FlowRun
    return next(run for run in runs if number in run.name)


def test_three_documents_three_outcomes(stack: Stack, stack_storage) -> None:  # noqa: ANN001
    stack.drop("good.docx", GOOD)
    stack.drop("unlabelled.docx", UNLABELLED, office="福利处")
    stack.drop("secret.docx", SECRET)
    runs = stack.wait_for_runs(3, "Suspended")
    good, unlabelled, secret = (by_number(runs, number) for number in ("12号", "13号", "14号"))
    # runs are named after the document and tagged with office and deadline for the reviewers' list
    assert good.name == "粤民发〔2026〕12号 广东省民政厅关于做好2026年城乡低保工作的通知"
    assert set(good.tags) == {"处室:社救处", "期限:2026-12-18"}

    stack.resume(good.id, decision="publish", category="主动公开", comment="同意发布", **FORM)
    assert stack.wait_final(good.id).state.name == "Completed"
    public_keys = stack_storage.public.keys("items/")
    assert sorted(key.rsplit("/", 1)[1] for key in public_keys) == ["content.html", "content.txt", "metadata.json",
                                                                      "original.docx"]
    metadata = json.loads(stack_storage.public.get(next(k for k in public_keys if k.endswith("metadata.json"))))
    assert metadata["doc_number"] == "粤民发〔2026〕12号" and metadata["topic"] == "social_assistance"

    with pytest.raises(RuntimeError, match="not one of"):  # an unlabelled draft cannot be published
        stack.resume(unlabelled.id, decision="publish", category="主动公开", **FORM)
    stack.resume(unlabelled.id, decision="return", category="主动公开", comment="请标注公开属性", **FORM)
    assert stack.wait_final(unlabelled.id).state.name == "Completed"
    note = (stack.returned / "福利处" / "unlabelled.docx.问题说明.txt").read_text(encoding="utf-8")
    assert "label_missing" in note and "请标注公开属性" in note
    assert (stack.returned / "福利处" / "unlabelled.docx").exists()

    # the secret-marked document: no form input can publish it
    for category in ("主动公开", "依申请公开", "不予公开"):
        with pytest.raises(RuntimeError, match="'publish' is not one of"):  # the form does not offer it
            stack.resume(secret.id, decision="publish", category=category, reason="x", **FORM)
    stack.resume(secret.id, decision="record", category="不予公开", reason="涉密", **FORM)
    assert stack.wait_final(secret.id).state.name == "Completed"
    assert len(stack_storage.public.keys("items/")) == 4  # still only the approved item (and the catalogue)
    assert set(stack_storage.public.keys()) - set(public_keys) <= {
        key for key in stack_storage.public.keys() if key.startswith("catalogue/")}
    assert any(key.startswith("register/") for key in stack_storage.private.keys())

    events = [json.loads(stack_storage.private.get(key))["event"] for key in stack_storage.private.keys("audit/")]
    assert sorted(events) == ["published", "received", "received", "received", "recorded", "returned"]


def test_reason_is_required_unless_proactive(stack: Stack) -> None:
    stack.drop("good.docx", GOOD)
    [run] = stack.wait_for_runs(1, "Suspended")
    with pytest.raises(RuntimeError, match="reason|理由"):
        stack.resume(run.id, decision="record", category="依申请公开", **FORM)
    with pytest.raises(RuntimeError, match="'主动公开' was expected"):  # only 主动公开 is published
        stack.resume(run.id, decision="publish", category="不予公开", reason="内部", **FORM)


def test_duplicates_and_unreadable_files_go_back_with_a_reason(stack: Stack, stack_storage) -> None:  # noqa: ANN001
    stack.drop("good.docx", GOOD)
    stack.wait_for_runs(1, "Suspended")
    (stack.inbox / "社救处" / "copy").mkdir(parents=True)
    first = stack.workdir / "data" / "processing"
    original = next(first.rglob("good.docx"))
    (stack.inbox / "社救处" / "copy" / "again.docx").write_bytes(original.read_bytes())
    (stack.inbox / "社救处" / "~$good.docx").write_bytes(b"lock file")  # ignored, never claimed
    broken = stack.inbox / "社救处" / "broken.docx"
    broken.write_bytes(original.read_bytes()[:300])
    stack.wait_for(lambda: (stack.returned / "社救处" / "copy" / "again.docx.问题说明.txt").exists(), 60, "duplicate note")
    assert "重复提交" in (stack.returned / "社救处" / "copy" / "again.docx.问题说明.txt").read_text(encoding="utf-8")
    stack.wait_for(lambda: (stack.returned / "社救处" / "broken.docx.问题说明.txt").exists(), 60, "unreadable note")
    assert "corrupt_file" in (stack.returned / "社救处" / "broken.docx.问题说明.txt").read_text(encoding="utf-8")
    assert (stack.inbox / "社救处" / "~$good.docx").exists()
    assert len(stack.wait_for_runs(1, "Suspended")) == 1


def test_suspended_review_survives_restarts_without_extracting_again(stack: Stack, stack_storage) -> None:  # noqa: ANN001
    stack.drop("good.docx", GOOD)
    [run] = stack.wait_for_runs(1, "Suspended")
    # the run's process ends a moment after the server records the suspension; a runner stopped
    # while that process still lives cancels it (Prefect's graceful shutdown), so wait for its end
    stack.wait_for(lambda: f"Execution of flow run '{run.id}' is paused" in stack.logs[-1].read_text(), 30,
                   "the suspended run's process to end")
    stack.stop()  # stops the serving process and the Prefect server it started
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{stack.api_url}/health", timeout=2)
    stack.start()  # a new server on the same SQLite database, a new serving process
    stack.resume(run.id, decision="publish", category="主动公开", **FORM)
    assert stack.wait_final(run.id).state.name == "Completed"
    with stack.client() as client:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
    checks = [task.state.name for task in tasks if task.name.startswith("check_snapshot")]
    assert sorted(checks) == ["Cached", "Completed"]  # extracted and checked once; the resumed run used the result
    assert any(key.endswith("metadata.json") for key in stack_storage.public.keys("items/"))


def test_a_file_claimed_just_before_a_crash_is_reviewed_after_restart(stack: Stack) -> None:
    """Claimed (moved out of the inbox) but no run created yet when `up` died: the next `up` starts it."""
    from gongkai.document.check import file_sha256
    from tests.conftest import write_docx

    stack.stop()
    draft = write_docx(stack.workdir / "drafts" / "good.docx", GOOD)
    claimed = stack.workdir / "data" / "processing" / file_sha256(draft) / "福利处" / "good.docx"
    claimed.parent.mkdir(parents=True)
    draft.rename(claimed)
    stack.start()
    [run] = stack.wait_for_runs(1, "Suspended")
    assert run.name.startswith("粤民发〔2026〕12号")
    assert "处室:福利处" in run.tags  # the inbox subfolder survived the crash


def test_a_document_without_a_title_line_is_published_once_the_reviewer_enters_it(stack: Stack,
                                                                                 stack_storage) -> None:  # noqa: ANN001
    # text that starts at the 主送机关, as archives and web exports give it (generated for this test)
    stack.drop("无标题.docx", ["各地级以上市民政局：", "现就城乡低保有关事项通知如下。", "广东省民政厅", "2026年11月20日",
                               "（此件主动公开）"])
    [run] = stack.wait_for_runs(1, "Suspended")
    for missing in ({}, {"title": ""}, {"title": "   "}):  # as the UI sends an empty pre-filled field
        with pytest.raises(RuntimeError, match="title"):
            stack.resume(run.id, decision="publish", category="主动公开", **missing, **FORM)
    with pytest.raises(RuntimeError, match="signed_date"):
        stack.resume(run.id, decision="publish", category="主动公开", title="关于城乡低保的通知", signed_date="", **FORM)
    title = "广东省民政厅关于做好城乡低保有关工作的通知"
    stack.resume(run.id, decision="publish", category="主动公开", title=title, doc_type="通知", **FORM)
    assert stack.wait_final(run.id).state.name == "Completed"

    [key] = [key for key in stack_storage.public.keys("items/") if key.endswith("metadata.json")]
    metadata = json.loads(stack_storage.public.get(key))
    assert metadata["title"] == title and metadata["signed_date"] == "2026-11-20" and metadata["doc_type"] == "通知"
    assert metadata["corrections"] == {"title": {"from": None, "to": title}, "doc_type": {"from": None, "to": "通知"}}
    index = json.loads(stack_storage.public.get("catalogue/index.json"))
    assert [item["title"] for item in index["items"]] == [title]
    [published] = [json.loads(stack_storage.private.get(key)) for key in stack_storage.private.keys("audit/")
                   if key.endswith(".json") and "-published-" in key]
    assert published["corrections"]["title"] == {"from": None, "to": title}
    assert published["elements"]["title"] == title


@pytest.mark.stack_env(GONGKAI_REVIEWER_HEADER="X-Remote-User")
def test_the_ledger_says_who_decided_and_how_it_knows(stack: Stack, stack_storage) -> None:  # noqa: ANN001
    stack.drop("good.docx", GOOD)
    stack.drop("unlabelled.docx", UNLABELLED)
    runs = stack.wait_for_runs(2, "Suspended")
    good, unlabelled = by_number(runs, "12号"), by_number(runs, "13号")
    # behind the department's sign-on proxy, which names the user; what the client says about itself is replaced
    status = stack.resume_as_the_ui_does(good.id, headers={"X-Remote-User": "zhang.san"}, decision="publish",
                                         category="主动公开", submitted_by={"user": "someone.else"}, **FORM)
    assert status in (200, 201)
    # no proxy: the typed name and the address it came from
    assert stack.resume_as_the_ui_does(unlabelled.id, decision="return", category="主动公开", **FORM) in (200, 201)
    for run in (good, unlabelled):
        assert stack.wait_final(run.id).state.name == "Completed"
    events = {event["event"]: event for event in
              (json.loads(stack_storage.private.get(key)) for key in stack_storage.private.keys("audit/"))}
    assert events["published"]["decision"]["reviewer_identity"] == {
        "source": "proxy_user", "typed_name": "李审核", "user": "zhang.san", "header": "X-Remote-User",
        "address": "127.0.0.1"}
    assert events["returned"]["decision"]["reviewer_identity"] == {
        "source": "typed_name_and_address", "typed_name": "李审核", "user": None, "header": None,
        "address": "127.0.0.1"}
