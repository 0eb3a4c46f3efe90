"""All configuration in one place: environment variables with the prefix GONGKAI_ (see config/gongkai.env.example)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from extractors.base import ExtractionLimits
from gongkai.catalogue import DEFAULT_CATALOGUE

_MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GONGKAI_")

    # The department's catalogue: topics, responsible offices, organisation code.
    catalogue: Path = DEFAULT_CATALOGUE
    # Fixed "today" for reproducible deadline checks (tests, re-running an old batch); None = the real date.
    today: date | None = None
    # Caps on hostile or broken input (zip bombs, absurd page counts).
    max_file_mb: int = 200
    max_uncompressed_mb: int = 300
    max_zip_entries: int = 5_000
    max_pages: int = 1_000

    def extraction_limits(self) -> ExtractionLimits:
        return ExtractionLimits(
            max_file_bytes=self.max_file_mb * _MIB,
            max_uncompressed_bytes=self.max_uncompressed_mb * _MIB,
            max_zip_entries=self.max_zip_entries,
            max_pages=self.max_pages,
        )

    def current_date(self) -> date:
        return self.today or date.today()
