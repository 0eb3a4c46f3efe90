"""With local storage, the review page's link to the original opens over HTTP, and nothing else does."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gongkai.flows.serve import serve_review_files
from gongkai.settings import Settings
from gongkai.storage import open_storage
from tests.conftest import free_port


def test_staged_original_opens_and_nothing_else_does(tmp_path: Path) -> None:
    settings = Settings(storage="local", data_dir=tmp_path / "data", review_files_port=free_port())
    storage = open_storage(settings)
    storage.private.put("staging/ab12/关于低保的通知.docx", b"original bytes")
    storage.private.put("audit/2026-11-25/entry.json", b"{}")
    server = serve_review_files(settings)
    try:
        link = storage.private.link("staging/ab12/关于低保的通知.docx")
        assert link.startswith(f"http://127.0.0.1:{settings.review_files_port}/staging/")
        with urllib.request.urlopen(link, timeout=5) as response:
            assert response.read() == b"original bytes"
        base = f"http://127.0.0.1:{settings.review_files_port}"
        for refused in ("/audit/2026-11-25/entry.json", "/staging/", "/staging/ab12/",
                        "/staging/../audit/2026-11-25/entry.json", "/staging/%2e%2e/audit/2026-11-25/entry.json"):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(base + refused, timeout=5)
            assert error.value.code == 404, refused
    finally:
        server.shutdown()
        server.server_close()
