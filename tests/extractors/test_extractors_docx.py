"""A .docx built with python-docx comes back in reading order, whatever it is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml

from gongkai.extractors import extract

_TEXT_BOX_RUN = """
<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
     xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
     xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
     xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
     xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
     xmlns:v="urn:schemas-microsoft-com:vml">
  <mc:AlternateContent>
    <mc:Choice Requires="wps">
      <w:drawing><wp:anchor><a:graphic>
        <a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
          <wps:wsp><wps:txbx><w:txbxContent>
            <w:p><w:r><w:t>（此件公开发布）</w:t></w:r></w:p>
          </w:txbxContent></wps:txbx></wps:wsp>
        </a:graphicData>
      </a:graphic></wp:anchor></w:drawing>
    </mc:Choice>
    <mc:Fallback>
      <w:pict><v:shape><v:textbox><w:txbxContent>
        <w:p><w:r><w:t>（此件公开发布）</w:t></w:r></w:p>
      </w:txbxContent></v:textbox></v:shape></w:pict>
    </mc:Fallback>
  </mc:AlternateContent>
</w:r>
"""


def _official_document(path: Path) -> Path:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "XX市人民政府办公室"
    document.sections[0].footer.paragraphs[0].text = "— 1 —"
    document.add_paragraph("XX市人民政府文件")
    document.add_paragraph("X政发〔2024〕12号")
    title = document.add_paragraph("关于印发某某办法的")
    title.add_run().add_break()  # soft line break inside the title
    title.add_run("通知")
    document.add_paragraph("各县（市、区）人民政府，市政府各部门：")
    document.add_paragraph("　　现将《某某办法》印发给你们，请认真贯彻执行。")
    signature = document.add_paragraph("XX市人民政府")
    signature._p.append(parse_xml(_TEXT_BOX_RUN))  # text box anchored in the signature paragraph
    document.add_paragraph("2024年3月1日")

    banji = document.add_table(rows=2, cols=2)  # 版记
    banji.cell(0, 0).merge(banji.cell(0, 1))
    banji.cell(0, 0).text = "抄送：市委办公室，市人大常委会办公室。"
    banji.cell(1, 0).text = "XX市人民政府办公室"
    banji.cell(1, 1).text = "2024年3月1日印发"
    document.add_paragraph("— 1 —")
    document.save(path)
    return path


def test_docx_reading_order(tmp_path: Path, unchanged) -> None:
    path = _official_document(tmp_path / "tongzhi.docx")
    intact = unchanged(path)

    result = extract(path)

    assert result.format == "docx"
    assert result.lines == [
        "XX市人民政府文件",
        "X政发〔2024〕12号",
        "关于印发某某办法的",
        "通知",
        "各县（市、区）人民政府，市政府各部门：",
        "现将《某某办法》印发给你们，请认真贯彻执行。",
        "XX市人民政府",
        "（此件公开发布）",  # the text box, once, where it is anchored
        "2024年3月1日",
        "抄送：市委办公室，市人大常委会办公室。",  # merged cell, not repeated
        "XX市人民政府办公室",
        "2024年3月1日印发",
        "— 1 —",
    ]
    assert [table.rows for table in result.tables] == [[
        ["抄送：市委办公室，市人大常委会办公室。"],
        ["XX市人民政府办公室", "2024年3月1日印发"],
    ]]
    assert result.margin_lines == ["XX市人民政府办公室", "— 1 —"]
    intact()


def test_nested_table_cell_text_and_order(tmp_path: Path) -> None:
    document = docx.Document()
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "主送"
    inner_cell = outer.cell(0, 1)
    inner_cell.text = "各部门"
    inner = inner_cell.add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "甲"
    inner.cell(0, 1).text = "乙"
    path = tmp_path / "nested.docx"
    document.save(path)

    result = extract(path)

    assert result.lines == ["主送", "各部门", "甲", "乙"]
    assert [table.rows for table in result.tables] == [[["主送", "各部门\n甲\n乙"]], [["甲", "乙"]]]


@pytest.mark.parametrize("name", ["renamed.pdf", "renamed.txt", "no_extension"])
def test_docx_is_recognised_by_content_not_name(tmp_path: Path, name: str) -> None:
    original = _official_document(tmp_path / "original.docx")
    renamed = tmp_path / name
    shutil.copyfile(original, renamed)

    result = extract(renamed)

    assert result.format == "docx"
    assert result.lines[1] == "X政发〔2024〕12号"


def test_doc_renamed_docx_is_read_as_doc(data_file) -> None:
    result = extract(data_file("shangrao_2019_tineng_tongzhi.doc", "tongzhi.docx"))

    assert result.format == "doc"
    assert result.lines[0] == "上饶市2019年度考录人民警察体能测评通知"
