"""Plain text: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030."""

from __future__ import annotations

import codecs
from pathlib import Path

from gongkai.extractors.base import Extracted, ExtractionLimits


def extract_txt(path: Path, limits: ExtractionLimits) -> Extracted:
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8-sig", "gb18030"]
    warnings: list[str] = []
    for encoding in candidates:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        # Only the start was checked when the format was recognised: keep what decodes.
        text = data.decode(candidates[-1], errors="replace")
        warnings.append(f"部分字节无法解码，已替换为 U+FFFD / Undecodable bytes were replaced "
                        f"with U+FFFD ({candidates[-1]})")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Extracted(format="txt", lines=[line for raw in lines if (line := raw.strip())],
                     warnings=warnings)
