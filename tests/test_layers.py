"""The house reads as the data path: every import points down the layers, and none goes round in a circle.

Layers, in the order data flows (README, "Layout"): extractors → configuration and the document core →
suggestion models → outcomes and publishing → flows → the command line. A module may import its own
layer or any layer below; every import counts, including those inside functions and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The installed package layout (pyproject.toml maps the card's top-level folders under gongkai).
FOLDERS = {"gongkai": ROOT / "gongkai", "gongkai.extractors": ROOT / "extractors",
           "gongkai.models": ROOT / "models", "gongkai.flows": ROOT / "flows"}
LAYERS = [
    ("extractors", ["gongkai.extractors"]),
    ("document core", ["gongkai.settings", "gongkai.catalogue", "gongkai.document"]),
    ("suggestion models", ["gongkai.models"]),
    ("outcomes and publishing", ["gongkai.storage", "gongkai.ledger", "gongkai.intake", "gongkai.outcomes",
                                 "gongkai.corrections", "gongkai.review_page", "gongkai.publishing", "gongkai.register",
                                 "gongkai.clocks", "gongkai.annual_report", "gongkai.back_catalogue"]),
    ("flows", ["gongkai.flows"]),
    ("command line", ["gongkai.cli"]),
]


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            if package == "gongkai" and parts[0] in ("extractors", "models", "flows"):
                continue
            found[name] = path
    return found


def layer_of(module: str) -> int | None:
    ranks = [(len(prefix), rank) for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
             if module == prefix or module.startswith(prefix + ".")]
    return max(ranks)[1] if ranks else None


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """gongkai modules `name` imports (anywhere in the file), resolved to the modules that exist."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in known}
    return found - {name, "gongkai"}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def test_every_module_has_a_layer() -> None:
    assert [name for name in modules() if layer_of(name) is None and name != "gongkai"] == []


def test_imports_only_point_down() -> None:
    upward = [f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
              for name, targets in graph().items() if name != "gongkai"
              for target in targets if layer_of(target) > layer_of(name)]
    assert upward == []


def test_no_import_circles() -> None:
    edges = graph()
    circles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                circles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert circles == []


@pytest.mark.parametrize("bare", ["extractors", "models", "flows"])
def test_no_code_imports_the_folders_by_their_generic_names(bare: str) -> None:
    """Installed, they exist only as gongkai.extractors, gongkai.models, gongkai.flows."""
    offenders = []
    for path in [*ROOT.glob("*/**/*.py")]:
        if ".venv" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(name == bare or name.startswith(bare + ".") for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
