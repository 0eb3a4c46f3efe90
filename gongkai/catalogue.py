"""The department's catalogue (主动公开基本目录) from config/catalogue.yaml: topics and their offices."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field, HttpUrl

DEFAULT_CATALOGUE = Path(__file__).resolve().parents[1] / "config" / "catalogue.yaml"


class Topic(BaseModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    office: str
    description: str
    keywords: list[str] = []


class Catalogue(BaseModel):
    department: str
    organisation_code: str
    # Where the web team serves the public bucket (e.g. https://smzt.gd.gov.cn/gkml/): the feed's links are
    # absolute under it, as feed readers need. None: links relative to the feed.
    public_base_url: HttpUrl | None = None
    topics: list[Topic]

    def topic(self, key: str) -> Topic:
        for topic in self.topics:
            if topic.key == key:
                return topic
        raise KeyError(f"主题 {key} 不在目录中 / topic {key!r} is not in the catalogue")

    def topic_key(self, name: str) -> str | None:
        """The key of the topic the review form names (forms show names)."""
        return next((topic.key for topic in self.topics if topic.name == name), None)


def load_catalogue(path: Path = DEFAULT_CATALOGUE) -> Catalogue:
    """Read and validate the catalogue; a mistake in the file names the file and the field."""
    with path.open(encoding="utf-8") as stream:
        return Catalogue.model_validate(yaml.safe_load(stream))
