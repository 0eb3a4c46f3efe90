"""The text layer of plain-text PDFs: pdfplumber `page.extract_text()` against pypdfium2 `get_text_range()`.

Two sets: text PDFs from the generated back catalogue (bench/backcatalogue.py: 1–5 pages, the real corpus's
texts) and every real PDF there is (../shared/corpus/pdf/ and tests/data, the same file counted once). Each
library reads every page of every file in one process pinned to one core (the first call of each is a warm-up,
not counted); the table gives documents and pages a second and the time per document. Then both texts go
through the parser (`check_extracted`, the lines built as `extract_pdf` builds them) and the parsed title,
发文字号, 成文日期, 发文机关, label and personal-data findings are compared.

    .venv/bin/python bench/pdf_text.py [--generated 200] [--catalogue DIR] [--rounds 3] [--real-rounds 20]
"""

from __future__ import annotations

import argparse
import csv
import gc
import hashlib
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.backcatalogue import generate  # noqa: E402
from gongkai.document.check import check_extracted  # noqa: E402
from gongkai.extractors.base import Extracted, ExtractionLimits  # noqa: E402

REAL_FOLDERS = (ROOT.parent / "shared" / "corpus" / "pdf", ROOT / "tests" / "data")
TODAY = date(2026, 11, 25)
FIELDS = ("title", "doc_number", "signed_date", "issuer", "label", "personal_data")


def pdfplumber_pages(path: Path) -> list[str]:
    import pdfplumber

    texts = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            texts.append(page.extract_text() or "")
            page.close()
    return texts


def pypdfium2_pages(path: Path) -> list[str]:
    import pypdfium2

    texts = []
    document = pypdfium2.PdfDocument(str(path))
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        document.close()
    return texts


def extract_pdf_pages(path: Path) -> list[str]:
    """gongkai's own reader as it stands (annotations, metadata and the rest included): for the time only."""
    from gongkai.extractors.pdf import extract_pdf

    return ["\n".join(extract_pdf(path, ExtractionLimits()).lines)]


READERS: dict[str, Callable[[Path], list[str]]] = {"pdfplumber": pdfplumber_pages, "pypdfium2": pypdfium2_pages}


def lines_of(page_text: str) -> list[str]:
    """A page's text as extract_pdf takes it: one entry per line, stripped, blank lines dropped. pypdfium2 ends
    lines with \\r\\n and may put a form feed or NUL between runs; pdfplumber with \\n."""
    return [line for raw in re.split(r"\r\n|[\r\n\f\x00]", page_text) if (line := raw.strip())]


def parsed(pages: list[str]) -> dict[str, Any]:
    extracted = Extracted(format="pdf", lines=[line for text in pages for line in lines_of(text)],
                          page_count=len(pages))
    report = check_extracted(extracted, TODAY)
    elements = report.elements
    return {"title": elements.title, "doc_number": elements.doc_number, "signed_date": elements.signed_date,
            "issuer": tuple(elements.issuers), "label": elements.label.category if elements.label else None,
            "personal_data": tuple(sorted((item.kind, item.masked) for item in report.personal_data))}


def timed(reader: Callable[[Path], list[str]], files: list[Path], rounds: int) -> tuple[list[float], int]:
    """Seconds per document over `rounds` passes, and the pages read in one pass."""
    reader(files[0])  # warm-up: imports, font tables
    latencies = []
    pages = 0
    gc.collect()
    for round_number in range(rounds):
        for path in files:
            began = time.perf_counter()
            texts = reader(path)
            latencies.append(time.perf_counter() - began)
            if round_number == 0:
                pages += len(texts)
    return latencies, pages


def real_pdfs() -> list[Path]:
    found: dict[str, Path] = {}
    for folder in REAL_FOLDERS:
        for path in sorted(folder.glob("*.pdf")):
            found.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), path)
    return list(found.values())


def generated_pdfs(catalogue: Path | None, count: int, seed: int, tmp: Path) -> list[Path]:
    """`count` text PDFs (no scans) from a generated catalogue, generating one if none is given."""
    if catalogue is None:
        catalogue = tmp / "catalogue"
        generate(catalogue, 2 * count, scan_share=0.0, seed=seed)
    with (catalogue / "manifest.csv").open(encoding="utf-8", newline="") as stream:
        rows = [row for row in csv.DictReader(stream) if row["format"] == "pdf" and row.get("scan", "0") == "0"]
    return [catalogue / row["path"] for row in rows[:count]]


def compare(name: str, files: list[Path], rounds: int, with_shipped: bool) -> None:
    print(f"\n== {name}: {len(files)} documents, {rounds} round(s) ==")
    print(f"{'library':<22} {'docs/s':>8} {'pages/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    readers = dict(READERS)
    if with_shipped:
        readers["extract_pdf (gongkai)"] = extract_pdf_pages
    pages_per_pass = 0
    for library, reader in readers.items():
        latencies, pages = timed(reader, files, rounds)
        if library in READERS:
            pages_per_pass = pages
        total = sum(latencies)
        milliseconds = sorted(value * 1000 for value in latencies)
        p95 = milliseconds[min(len(milliseconds) - 1, int(0.95 * len(milliseconds)))]
        print(f"{library:<22} {len(latencies) / total:>8.1f} {pages_per_pass * rounds / total:>8.1f} "
              f"{statistics.median(milliseconds):>8.1f} {p95:>8.1f}")
    agree = 0
    same_text = 0
    differing: list[str] = []
    for path in files:
        texts = {library: reader(path) for library, reader in READERS.items()}
        plumber, pdfium = (parsed(texts[library]) for library in READERS)
        squeezed = {library: "".join("".join(pages).split()) for library, pages in texts.items()}
        same_text += squeezed["pdfplumber"] == squeezed["pypdfium2"]
        fields = [field for field in FIELDS if plumber[field] != pdfium[field]]
        agree += not fields
        differing += [f"  {path.name} {field}: pdfplumber={plumber[field]!r} pypdfium2={pdfium[field]!r}"
                      for field in fields]
    print(f"parser agrees on {agree}/{len(files)} documents ({', '.join(FIELDS)}); "
          f"same characters (whitespace ignored) in {same_text}/{len(files)}")
    for line in differing:
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=200, help="text PDFs from the generated catalogue")
    parser.add_argument("--catalogue", type=Path, help="a folder bench/backcatalogue.py wrote (else one is made)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the generated PDFs")
    parser.add_argument("--real-rounds", type=int, default=20, help="passes over the real PDFs (there are few)")
    parser.add_argument("--shipped", action="store_true", help="also time gongkai's extract_pdf as it stands")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    import pdfplumber
    import pypdfium2

    print(f"pdfplumber {pdfplumber.__version__}, pypdfium2 {pypdfium2.version.PYPDFIUM_INFO}, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores (pinned to one), {date.today()}")
    with tempfile.TemporaryDirectory() as tmp:
        generated = generated_pdfs(args.catalogue, args.generated, args.seed, Path(tmp))
        compare("generated text PDFs (bench/backcatalogue.py)", generated, args.rounds, args.shipped)
        real = real_pdfs()
        compare("real PDFs (" + ", ".join(str(path.relative_to(ROOT.parent)) for path in real) + ")", real,
                args.real_rounds, args.shipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
