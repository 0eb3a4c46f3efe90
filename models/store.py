"""Model versions on disk: arrays (.npz, no pickles) + metadata.json, a promoted pointer, and the gate's log.

Layout under the store root (GONGKAI_MODEL_DIR):
    versions/<version>/heads.npz, versions/<version>/metadata.json
    promoted.json      which version check and the flows load
    decisions.jsonl    every promotion decision, with both versions' figures
Four operations (save, list, load_promoted, promote_if_not_worse) so that the store can move to
object storage by replacing file reads and writes with object gets and puts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

CROSS_VALIDATED_METRIC = "category_macro_f1"  # k-fold on the version's own training data
HELD_OUT_METRIC = "held_out_macro_f1"  # fitted on all training data, measured on a fixed evaluation set


@dataclass(frozen=True)
class StoredModel:
    version: str
    arrays: dict[str, np.ndarray]
    metadata: dict[str, Any]


@dataclass(frozen=True)
class GateDecision:
    version: str
    promoted: bool
    reason: str
    candidate_score: float | None
    current_version: str | None
    current_score: float | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()

    def save(self, arrays: dict[str, np.ndarray], metadata: dict[str, Any]) -> str:
        """Store a new version; returns its name. Versions are never overwritten."""
        created = datetime.now(timezone.utc)
        version = f"v{created:%Y%m%dT%H%M%S%f}"
        folder = self.root / "versions" / version
        folder.mkdir(parents=True)
        import numpy as np  # here: `gongkai check` asks the store for a promoted version without numpy

        np.savez(folder / "heads.npz", **arrays)
        metadata = {**metadata, "version": version, "created": created.isoformat()}
        _write_json(folder / "metadata.json", metadata)
        return version

    def list(self) -> list[dict[str, Any]]:
        """Metadata of every version, oldest first."""
        folder = self.root / "versions"
        if not folder.is_dir():
            return []
        return [json.loads((path / "metadata.json").read_text(encoding="utf-8"))
                for path in sorted(folder.iterdir()) if (path / "metadata.json").is_file()]

    def load(self, version: str) -> StoredModel:
        folder = self.root / "versions" / version
        import numpy as np

        with np.load(folder / "heads.npz") as stored:
            arrays = {key: stored[key] for key in stored.files}
        return StoredModel(version, arrays, json.loads((folder / "metadata.json").read_text(encoding="utf-8")))

    def promoted_version(self) -> str | None:
        pointer = self.root / "promoted.json"
        return json.loads(pointer.read_text(encoding="utf-8"))["version"] if pointer.is_file() else None

    def load_promoted(self) -> StoredModel | None:
        version = self.promoted_version()
        return self.load(version) if version else None

    def promote_if_not_worse(self, version: str) -> GateDecision:
        """Promote `version` unless the promoted one scores higher on the candidate's gate metric, measured
        the same way on the same evaluation data. A candidate evaluated differently is not comparable: it
        is refused, and the log says so."""
        candidate = self.load(version).metadata
        metric = candidate.get("gate_metric", CROSS_VALIDATED_METRIC)
        current_version = self.promoted_version()
        candidate_score = candidate.get("metrics", {}).get(metric)
        current = self.load(current_version).metadata if current_version else None
        current_score = current.get("metrics", {}).get(metric) if current else None
        if candidate_score is None:
            promoted, reason = False, f"候选版本没有 {metric} / candidate has no {metric}"
        elif current is None:
            promoted, reason = True, "尚无已启用版本 / nothing promoted yet"
        elif (current.get("evaluation_hash") != candidate.get("evaluation_hash")
              or current.get("gate_metric", CROSS_VALIDATED_METRIC) != metric):
            promoted, reason = False, ("评估数据或方式不同，无法比较 / evaluated on different data, or another way, "
                                       "than the promoted version: train both against the same evaluation set")
        elif current_score is None or candidate_score >= current_score:
            promoted, reason = True, f"{metric} {candidate_score:.4f} ≥ " + (f"{current_score:.4f}" if current_score is not None else "n/a")
        else:
            promoted, reason = False, f"{metric} {candidate_score:.4f} < {current_score:.4f}"
        decision = GateDecision(version, promoted, reason, candidate_score, current_version, current_score)
        if promoted:
            _write_json(self.root / "promoted.json", {"version": version})
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "decisions.jsonl").open("a", encoding="utf-8") as log:
            log.write(json.dumps({**decision.to_json(), "metric": metric,
                                  "decided": datetime.now(timezone.utc).isoformat()}, ensure_ascii=False) + "\n")
        return decision


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write-then-rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(staging, path)
