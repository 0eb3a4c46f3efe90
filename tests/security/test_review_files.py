"""With local storage, the review page's link to the original opens over HTTP, and nothing else does —
checked with raw requests, since a browser or urllib would normalise the tricks away."""

from __future__ import annotations

import os
import socket
import urllib.request
from pathlib import Path

import pytest

from gongkai.flows.review_files import serve_review_files
from gongkai.settings import Settings
from gongkai.storage import open_storage
from tests.conftest import free_port

pytestmark = pytest.mark.security

SNAPSHOT = f"staging/{'ab' * 32}/original.docx"


@pytest.fixture
def served(tmp_path: Path):  # noqa: ANN201 - (settings, storage)
    settings = Settings(storage="local", data_dir=tmp_path / "data", review_files_port=free_port())
    storage = open_storage(settings)
    storage.private.put(SNAPSHOT, b"original bytes")
    storage.private.put("audit/2026-11-25/entry.json", b'{"secret": 1}')
    server = serve_review_files(settings)
    try:
        yield settings, storage
    finally:
        server.shutdown()
        server.server_close()


def raw_get(port: int, target: str) -> bytes:
    """One HTTP/1.0 request with `target` sent byte for byte; the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(f"GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode("latin-1"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_the_snapshot_opens(served) -> None:  # noqa: ANN001
    settings, storage = served
    link = storage.private.link(SNAPSHOT)
    assert link == f"http://127.0.0.1:{settings.review_files_port}/{SNAPSHOT}"
    with urllib.request.urlopen(link, timeout=5) as response:
        assert response.read() == b"original bytes"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("target", [
    "/audit/2026-11-25/entry.json", "/staging/", f"/{SNAPSHOT.rsplit('/', 1)[0]}/",
    f"/{SNAPSHOT}/../../../audit/2026-11-25/entry.json", "/staging/%2e%2e/audit/2026-11-25/entry.json",
    "/audit/2026-11-25/entry.json#/../../staging/x", f"/audit/2026-11-25/entry.json?/{SNAPSHOT}",
    f"/{SNAPSHOT}?x", f"/{SNAPSHOT}#x", f"/{SNAPSHOT.replace('original', '%6Friginal')}",
    f"/./{SNAPSHOT}", "/staging/../audit/2026-11-25/entry.json",
])
def test_nothing_else_of_the_private_bucket_is_served(served, target: str) -> None:  # noqa: ANN001
    settings, _ = served
    answer = raw_get(settings.review_files_port, target)
    assert answer.startswith(b"HTTP/1.0 404") and b"secret" not in answer and b"original bytes" not in answer


def test_a_link_inside_staging_is_not_followed(served, tmp_path: Path) -> None:  # noqa: ANN001
    settings, storage = served
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret outside the bucket")
    linked = storage.private.path(f"staging/{'cd' * 32}/original.txt")
    linked.parent.mkdir(parents=True)
    os.symlink(outside, linked)
    answer = raw_get(settings.review_files_port, f"/staging/{'cd' * 32}/original.txt")
    assert answer.startswith(b"HTTP/1.0 404") and b"secret" not in answer
