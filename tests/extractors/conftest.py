"""Fixtures for the extractor tests: the real files in tests/data and a guard that files stay as they were."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def data_file(tmp_path: Path) -> Callable[[str, str | None], Path]:
    """A copy of a file from tests/data, optionally under another name (extension)."""

    def copy(name: str, rename_to: str | None = None) -> Path:
        target = tmp_path / (rename_to or name)
        shutil.copyfile(DATA_DIR / name, target)
        return target

    return copy


@pytest.fixture
def unchanged() -> Callable[[Path], Callable[[], None]]:
    """Snapshot a file's bytes and mtime; calling the returned check asserts both are intact."""

    def snapshot(path: Path) -> Callable[[], None]:
        data, mtime = path.read_bytes(), path.stat().st_mtime_ns

        def check() -> None:
            assert path.read_bytes() == data
            assert path.stat().st_mtime_ns == mtime

        return check

    return snapshot

