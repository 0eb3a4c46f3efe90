"""One model per host: the suggestion service answers flow runs over 127.0.0.1, batches what waits, and
serves whichever version is promoted; the flow runs' client imports nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from gongkai.catalogue import load_catalogue
from gongkai.document.check import check_bytes
from gongkai.models.client import ModelUnavailable, remote_suggestion
from gongkai.models.data import examples_from_jsonl
from gongkai.models.service import serve
from gongkai.models.store import ModelStore
from gongkai.models.training import embedding_cache, train
from gongkai.settings import DEV_CORPUS, HELD_OUT_CORPUS, Settings
from tests.conftest import free_port

pytestmark = pytest.mark.slow
NOTICE = ["广东省民政厅文件", "粤民函〔2026〕31号", "广东省民政厅关于做好冬季救助工作的通知", "各地级以上市民政局：",
          "现将冬季救助工作有关事项通知如下。", "广东省民政厅", "2026年11月20日", "（此件主动公开）"]


def small_model(store: ModelStore, settings: Settings) -> str:
    """A version trained on 30 starter-corpus documents (their embeddings ship with it: seconds)."""
    from gongkai.models.encoder import EncoderChoice, shared_encoder

    examples = [e for e in examples_from_jsonl(DEV_CORPUS) if e.category]
    chosen = [e for e in examples if e.category == "主动公开"][:15] + [e for e in examples if e.category == "不予公开"][:15]
    cache = embedding_cache(shared_encoder(EncoderChoice.from_settings(settings)), settings)
    evaluation = [e for e in examples_from_jsonl(HELD_OUT_CORPUS) if e.category][:20]
    result = train(chosen, evaluation, cache, store, load_catalogue(settings.catalogue))
    return result.version


def test_the_service_suggests_batches_and_follows_promotion(tmp_path: Path) -> None:
    settings = Settings(model_dir=tmp_path / "models", model_port=free_port())
    server = serve(settings, settings.model_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{settings.model_port}"
    check = check_bytes("\n".join(NOTICE).encode(), "通知.txt", "txt", date(2026, 11, 25))
    try:
        assert remote_suggestion(url, check) == (None, [])  # nothing promoted: no suggestion, nothing loaded
        version = small_model(ModelStore(settings.model_dir), settings)
        with ThreadPoolExecutor(max_workers=6) as pool:  # documents that wait together are embedded together
            answers = list(pool.map(lambda _: remote_suggestion(url, check), range(6)))
        suggestion, learned = answers[0]
        assert suggestion is not None and suggestion.model_version == version
        assert suggestion.category in ("主动公开", "不予公开") and suggestion.topic
        assert learned == ["不予公开", "主动公开"]
        assert all(answer == answers[0] for answer in answers)
        assert json.loads(urllib.request.urlopen(f"{url}/health").read())["version"] == version
    finally:
        server.shutdown()
        server.server_close()


def test_a_service_that_never_answers_leaves_the_review_without_a_suggestion() -> None:
    check = check_bytes("\n".join(NOTICE).encode(), "通知.txt", "txt", date(2026, 11, 25))
    with pytest.raises(ModelUnavailable):
        remote_suggestion(f"http://127.0.0.1:{free_port()}", check)


def test_the_client_imports_nothing_heavy() -> None:
    code = ("import gongkai.flows.document, sys; "
            "print(sorted(m for m in ('torch', 'transformers', 'sklearn', 'numpy') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
