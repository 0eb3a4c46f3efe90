from pathlib import Path

import pytest
from pydantic import ValidationError

from gongkai.catalogue import load_catalogue


def test_shipped_catalogue_has_the_seed_topics_and_offices() -> None:
    catalogue = load_catalogue()
    assert catalogue.department == "广东省民政厅"
    assert len(catalogue.topics) == 12
    assert catalogue.topic("social_assistance").office == "社救处"
    assert "低保" in catalogue.topic("social_assistance").keywords


def test_unknown_topic_says_which(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="nonexistent"):
        load_catalogue().topic("nonexistent")


def test_malformed_catalogue_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "catalogue.yaml"
    bad.write_text("department: x\norganisation_code: '1'\ntopics:\n  - key: Bad Key\n    name: n\n"
                   "    office: o\n    description: d\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="key"):
        load_catalogue(bad)
