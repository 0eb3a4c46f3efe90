"""Every real file in tests/data yields its text (see tests/data/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

from gongkai.extractors import extract


def test_pdf_text_layer(data_file, unchanged) -> None:
    path = data_file("govdoc-cn_397.pdf")
    intact = unchanged(path)

    result = extract(path)

    assert result.format == "pdf"
    assert result.page_count == 5
    assert result.ocr_pages == []
    assert "发改办财金规〔2019〕860 号" in result.lines
    assert "关于加强个人所得税纳税信用建设的通知" in result.lines
    assert result.lines[-4:] == ["国家发展改革委办公厅", "税务总局办公厅", "2019 年 8 月 20 日", "— 5 —"]
    intact()


def test_ofd_pifu_two_pages_in_order(data_file) -> None:
    result = extract(data_file("ofdrw_n_luqiao_pifu.ofd"))

    assert result.format == "ofd"
    assert result.page_count == 2
    assert result.lines[:3] == ["测试符路桥区卫生局文件", "路卫发〔2011〕76号", "关于同意张阿三同志辞职的批复"]
    # Page 1 ends with its page number before page 2 starts; the 版记 line joins its two runs.
    assert result.lines.index("— 1 —") < result.lines.index("测试符路桥区卫生局办公室 2011年3月10日印发")
    assert result.lines[-1] == "— 2 —"


def test_ofd_han_joins_runs_of_one_line(data_file) -> None:
    result = extract(data_file("ofdrw_bengbu_han.ofd"))

    assert result.lines[0] == "关于加快南货场铁路涵洞下穿建设的函"
    assert result.lines[1] == "蚌山区政府："
    # Digits and Chinese come from separate TextObjects on one baseline.
    assert "根据我市2023年房地产用地供应计划，蚌山区东海大道北侧、" in result.lines
    assert result.lines[-1] == "2023年7月12日"


def test_ofd_form_keeps_label_and_value_apart(data_file) -> None:
    result = extract(data_file("ofdrw_signout_shouwen_chulijian.ofd"))

    assert "公文标题 市委主要领导同志调研后续落实事项的通知" in result.lines
    assert "紧急程度 常规 公开方式 不公开 公文处理类型 签阅" in result.lines


def test_doc_word97_chinese_text(data_file, unchanged) -> None:
    path = data_file("shangrao_2019_tineng_tongzhi.doc")
    intact = unchanged(path)

    result = extract(path)

    assert result.format == "doc"
    assert result.lines[0] == "上饶市2019年度考录人民警察体能测评通知"
    assert "1、时间：2019年7月12日，上午7:30" in result.lines
    assert "2、地点：上饶市公安局政治部A327（广信大道118号）" in result.lines
    # The fast-saved second piece: the year stands before 年7月3日 (catdoc loses it).
    assert result.lines[-2:] == ["上饶市公安局政治部", "2019年7月3日"]
    assert result.margin_lines == []
    intact()


def test_doc_saved_as_wps_is_named_wps(data_file) -> None:
    result = extract(data_file("shangrao_2019_tineng_tongzhi.doc", "tongzhi.wps"))

    assert result.format == "wps"
    assert result.lines[0] == "上饶市2019年度考录人民警察体能测评通知"


def test_real_files_are_not_modified() -> None:
    data_dir = Path(__file__).resolve().parents[1] / "data"
    for path in sorted(data_dir.iterdir()):
        if path.suffix == ".md":
            continue
        before = (path.read_bytes(), path.stat().st_mtime_ns)
        extract(path)
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before, path.name
