"""Optical character recognition with RapidOCR (PP-OCRv4 ONNX models shipped in the wheel).

Also the extractor for image files (PNG, JPEG, TIFF, BMP): every page of the image is OCR'd.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any, NamedTuple

from gongkai.extractors.base import Extracted, ExtractionLimits
from gongkai.extractors.safety import corrupt_file, library_errors, too_large, too_many_pages

if TYPE_CHECKING:
    from PIL import Image


@lru_cache(maxsize=1)
def _engine() -> Any:
    # Loading the three ONNX models takes a while: do it once, and only when a scan turns up.
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def ocr_image(image: Image.Image) -> list[str]:
    """Text lines of an image, top to bottom, each read left to right."""
    result, _elapsed = _engine()(image.convert("RGB"))
    return _reading_order(result or [])


def extract_image(path: Path, limits: ExtractionLimits) -> Extracted:
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(path)
    except UnidentifiedImageError as exc:
        raise corrupt_file(path, "image data not recognised") from exc
    except Image.DecompressionBombError as exc:
        raise too_large(path, str(exc)) from exc
    with image, library_errors(path):
        frame_count = getattr(image, "n_frames", 1)  # multi-page TIFF
        if frame_count > limits.max_pages:
            raise too_many_pages(path, frame_count, limits.max_pages)
        if image.width * image.height > Image.MAX_IMAGE_PIXELS:
            raise too_large(path, f"{image.width}x{image.height} pixels")
        lines: list[str] = []
        for frame in ImageSequence.Iterator(image):
            lines.extend(ocr_image(ImageOps.exif_transpose(frame)))  # phone photos: upright
    return Extracted(format="image", lines=lines, page_count=frame_count,
                     ocr_pages=list(range(1, frame_count + 1)))


class _Box(NamedTuple):
    top: float
    bottom: float
    left: float
    right: float
    text: str

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _reading_order(detections: list[Any]) -> list[str]:
    """Group RapidOCR detections ([corners, text, score]) into lines by vertical position."""
    boxes = sorted(
        (_Box(min(y for _x, y in corners), max(y for _x, y in corners),
              min(x for x, _y in corners), max(x for x, _y in corners), text)
         for corners, text, _score in detections),
        key=lambda box: box.middle,
    )
    rows: list[list[_Box]] = []
    for box in boxes:
        row = rows[-1] if rows else None
        if row and abs(box.middle - median(b.middle for b in row)) < median(b.height for b in row) / 2:
            row.append(box)
        else:
            rows.append([box])

    lines = []
    for row in rows:
        row.sort(key=lambda box: box.left)
        height = median(box.height for box in row)
        line = row[0].text
        for previous, box in pairwise(row):
            # Boxes far apart on one line (date after signature, table cells) keep a gap.
            line += (" " if box.left - previous.right > height else "") + box.text
        if line.strip():
            lines.append(line.strip())
    return lines
