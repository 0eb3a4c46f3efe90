"""OFD layout rules on a package built here: templates, CTM, DeltaX shorthand, position order."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from gongkai.extractors import ExtractionError, ExtractionLimits, extract

_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _text(object_id: int, boundary: str, text: str, extra: str = "", code: str = 'X="0" Y="5"',
          size: float = 5) -> str:
    return (f'<ofd:TextObject ID="{object_id}" Size="{size}" Boundary="{boundary}" {extra}>'
            f"<ofd:TextCode {code}>{text}</ofd:TextCode></ofd:TextObject>")


def _write_ofd(path: Path) -> Path:
    template = (f'<ofd:Page {_NS}><ofd:Content><ofd:Layer ID="2">'
                + _text(3, "30 20 150 10", "XX市人民政府文件")
                + "</ofd:Layer></ofd:Content></ofd:Page>")
    page = (f'<ofd:Page {_NS}><ofd:Template TemplateID="1" ZOrder="Background"/>'
            '<ofd:Content><ofd:Layer ID="4">'
            # Written bottom-up and right-to-left: the reader must order by position.
            + _text(5, "30 60 100 10", "2024年3月1日", code='X="100" Y="5"')
            + _text(6, "30 60 100 10", "XX市人民政府", code='X="0" Y="5" DeltaX="g 6 5"')
            # Points scaled to mm by a CTM; starts where object 8 (4 glyphs of 5 mm) ends.
            + _text(7, "30 40 100 10", "第二句。", extra='CTM="0.3528 0 0 0.3528 0 0"',
                    code='X="56.69" Y="14.17"', size=14.17)
            + _text(8, "30 40 100 10", "第一句，")
            + "</ofd:Layer></ofd:Content></ofd:Page>")
    document = (f'<ofd:Document {_NS}><ofd:CommonData>'
                '<ofd:TemplatePage ID="1" BaseLoc="Tpls/Tpl_0/Content.xml"/></ofd:CommonData>'
                '<ofd:Pages><ofd:Page ID="2" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                "</ofd:Document>")
    ofd = (f'<ofd:OFD {_NS} DocType="OFD" Version="1.1"><ofd:DocBody>'
           "<ofd:DocRoot>/Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", ofd)
        archive.writestr("Doc_0/Document.xml", document)
        archive.writestr("Doc_0/Tpls/Tpl_0/Content.xml", template)
        archive.writestr("Doc_0/Pages/Page_0/Content.xml", page)
    return path


def test_ofd_orders_text_by_position(tmp_path: Path) -> None:
    result = extract(_write_ofd(tmp_path / "built.ofd"))

    assert result.format == "ofd"
    assert result.page_count == 1
    assert result.lines == ["XX市人民政府文件", "第一句，第二句。", "XX市人民政府 2024年3月1日"]


def test_ofd_with_more_pages_than_allowed(data_file) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(data_file("ofdrw_n_luqiao_pifu.ofd"), ExtractionLimits(max_pages=1))
    assert caught.value.code == "too_many_pages"
