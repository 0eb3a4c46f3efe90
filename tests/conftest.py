"""Real services on loopback for the tests: an S3 endpoint (moto's server) and a Prefect server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gongkai.document.check import DocumentCheck, check_bytes
from gongkai.intake import Claim, Inbox
from gongkai.settings import Settings
from gongkai.storage import Storage

# The whole local stack (`gongkai up`, its Prefect server, moto's S3 server) as fixtures for every test folder.
pytest_plugins = ["tests.stack"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def write_docx(path: Path, lines: list[str]) -> Path:
    """A .docx with one paragraph per line, as a drafter's simple document."""
    import docx

    path.parent.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(path)
    return path


def claim_file(storage: Storage, folder: Path, name: str, data: bytes, office: str = "社救处") -> Claim:
    """`data` dropped as inbox/<office>/<name> under `folder` and claimed by gongkai's own intake (snapshot
    in `storage`'s private bucket)."""
    path = folder / "inbox" / office / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Inbox(folder / "inbox", folder / "processing", 0, 1 << 30).claim(path, storage)


def claim_text(storage: Storage, folder: Path, lines: list[str], name: str, today: date,
               office: str = "社救处") -> tuple[Claim, DocumentCheck]:
    """A text document claimed through the intake, and its check."""
    data = "\n".join(lines).encode()
    claim = claim_file(storage, folder, name, data, office)
    return claim, check_bytes(data, name, claim.extension, today)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server in its own process: the same protocol MinIO speaks (no MinIO binary here)."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/moto-api/", process)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3_settings(s3_endpoint: str, tmp_path: Path) -> Settings:
    """Settings for the S3 backend with fresh bucket names per test."""
    suffix = f"{os.getpid()}-{time.monotonic_ns() % 10**9}"
    return Settings(storage="s3", s3_endpoint=s3_endpoint, s3_access_key="testing", s3_secret_key="testing",
                    s3_region="us-east-1", public_bucket=f"pub-{suffix}", private_bucket=f"priv-{suffix}",
                    data_dir=tmp_path / "data", inbox=tmp_path / "inbox", returned=tmp_path / "returned")


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return Settings(storage="local", data_dir=tmp_path / "data", inbox=tmp_path / "inbox",
                    returned=tmp_path / "returned")


@pytest.fixture(params=["local", "s3"])
def any_settings(request: pytest.FixtureRequest) -> Settings:
    """Each storage test runs against the local folder backend and a real S3 endpoint."""
    return request.getfixturevalue(f"{request.param}_settings")


# Debian's chromium, driven by Playwright (never a browser Playwright downloads itself).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BROWSER_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright import sync_api

    assert CHROMIUM.exists(), "Debian chromium is missing: run scripts/install-system-packages.sh"
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def browser_page(browser: Any, width: int, height: int) -> Iterator[Any]:
    """A fresh page (own context, zh-CN) with the tests' timeout."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()
