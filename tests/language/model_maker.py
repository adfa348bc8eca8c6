"""Real CTranslate2 translation models made on the spot, without torch or a download.

An OPUS-MT model is a Marian transformer: ``model.npz`` (its weights and its configuration),
a vocabulary in YAML, ``decoder.yml`` naming both, and two sentencepiece models. This writes
that folder with random weights (numpy) and a sentencepiece model trained in the same second
on a few sentences, then converts it with CTranslate2's own OPUS-MT converter, exactly as an
IT person converts a downloaded one (docs/translation.md), and writes its ``SHA256SUMS``.

What such a model writes is meaningless but fixed: the same input gives the same output, which
the tests compute by calling CTranslate2 themselves. ``base=True`` gives OPUS-MT base's shape
(6+6 layers, 512 wide, 8 heads, a 2048-wide feed-forward, a 58,000-piece vocabulary) for the
benchmark; the tests use a model a few kilobytes big.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sentencepiece as spm
import yaml
from ctranslate2.converters import OpusMTConverter

SENTENCES = (
    "Hissen har stått still i två veckor.",
    "Tvättstugan luktar mögel sedan översvämningen i oktober.",
    "Det är kallt i lägenheten och elementen är ljumma.",
    "The lift has been broken for two weeks.",
    "Thank you, we will send a technician tomorrow morning.",
    "De lift staat al twee weken stil.",
    "Dank je, we sturen morgen een monteur.",
    "Asansör iki haftadır çalışmıyor.",
    "Winda nie działa od dwóch tygodni.",
    "Wiishku wuu jabnaa laba toddobaad.",
    "المصعد معطل منذ أسبوعين.",
)


@dataclass(frozen=True)
class Shape:
    layers: int = 1
    width: int = 32
    heads: int = 2
    feed_forward: int = 64
    vocabulary: int = 0  # pad the vocabulary to this many pieces (0: what sentencepiece made)
    pieces: int = 200  # sentencepiece's vocabulary (at most; a few sentences make fewer)
    scale: float = 1.0  # of the random weights (1.0 gives varied output in a tiny model)


TINY = Shape()
# OPUS-MT base; its sentencepiece model cuts a short Swedish answer into about as many pieces
# as OPUS-MT's own (words, not letters), given enough sentences to learn from.
OPUS_MT_BASE = Shape(
    layers=6, width=512, heads=8, feed_forward=2048, vocabulary=58_000, pieces=8_000, scale=0.05
)


def make_model(
    folder: Path,
    *,
    seed: int,
    shape: Shape = TINY,
    sentences: Sequence[str] = SENTENCES,
    language_tokens: Sequence[str] = (),
) -> Path:
    """A checked OPUS-MT-style CTranslate2 folder at ``folder`` (named like ``sv-en``).
    ``language_tokens`` (``">>ara<<"``…) make it one of OPUS-MT's models that write several
    languages and want the one to write as the first token."""
    marian = folder.parent / f".{folder.name}-marian"
    marian.mkdir(parents=True, exist_ok=True)
    pieces_model = _train_pieces(sentences, language_tokens, shape.pieces)
    vocabulary = _vocabulary(pieces_model, shape.vocabulary)
    with (marian / "vocab.yml").open("w", encoding="utf-8") as out:
        for index, token in enumerate(vocabulary):
            out.write(f"{json.dumps(token, ensure_ascii=False)}: {index}\n")
    np.savez(marian / "model.npz", **_weights(shape, len(vocabulary), seed))
    (marian / "decoder.yml").write_text(
        yaml.safe_dump({"models": ["model.npz"], "vocabs": ["vocab.yml", "vocab.yml"]})
    )
    OpusMTConverter(str(marian)).convert(str(folder), quantization="int8", force=True)
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(pieces_model)
    write_sums(folder)
    for path in marian.iterdir():
        path.unlink()
    marian.rmdir()
    return folder


def write_sums(folder: Path) -> None:
    """``SHA256SUMS`` as ``sha256sum *`` writes it, for every file of the folder."""
    lines = [
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != "SHA256SUMS"
    ]
    (folder / "SHA256SUMS").write_text("".join(lines))


def _train_pieces(sentences: Sequence[str], symbols: Sequence[str], size: int) -> bytes:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        user_defined_symbols=list(symbols),
        vocab_size=size,
        hard_vocab_limit=False,  # a few sentences make fewer pieces: take what there is
        model_type="bpe",  # word-sized pieces from few sentences, as OPUS-MT's from many
        character_coverage=1.0,
        minloglevel=2,
    )
    return model.getvalue()


def _vocabulary(pieces_model: bytes, size: int) -> list[str]:
    """OPUS-MT's layout: ``</s>``, ``<unk>``, the pieces, padding pieces, ``<pad>`` last."""
    pieces = spm.SentencePieceProcessor(model_proto=pieces_model)
    known = [
        pieces.id_to_piece(i)
        for i in range(pieces.get_piece_size())
        if not (pieces.is_control(i) or pieces.is_unknown(i))
    ]
    padding = [f"▁filler{i}" for i in range(max(0, size - len(known) - 3))]
    return ["</s>", "<unk>", *known, *padding, "<pad>"]


def _weights(shape: Shape, vocabulary: int, seed: int) -> dict[str, np.ndarray]:
    """Marian's names and shapes for a post-norm transformer with tied embeddings."""
    rng = np.random.default_rng(seed)
    d, ff = shape.width, shape.feed_forward

    def random(*size: int) -> np.ndarray:
        return (rng.standard_normal(size, dtype=np.float32) * shape.scale).astype(np.float32)

    weights = {"Wemb": random(vocabulary, d), "decoder_ff_logit_out_b": random(1, vocabulary)}

    def attention(scope: str) -> None:
        for part in "qkvo":
            weights[f"{scope}_W{part}"] = random(d, d)
            weights[f"{scope}_b{part}"] = random(1, d)
        weights[f"{scope}_Wo_ln_scale"] = np.ones((1, d), np.float32)
        weights[f"{scope}_Wo_ln_bias"] = np.zeros((1, d), np.float32)

    def feed_forward(scope: str) -> None:
        weights[f"{scope}_W1"], weights[f"{scope}_b1"] = random(d, ff), random(1, ff)
        weights[f"{scope}_W2"], weights[f"{scope}_b2"] = random(ff, d), random(1, d)
        weights[f"{scope}_ffn_ln_scale"] = np.ones((1, d), np.float32)
        weights[f"{scope}_ffn_ln_bias"] = np.zeros((1, d), np.float32)

    for layer in range(1, shape.layers + 1):
        attention(f"encoder_l{layer}_self")
        feed_forward(f"encoder_l{layer}_ffn")
        attention(f"decoder_l{layer}_self")
        attention(f"decoder_l{layer}_context")
        feed_forward(f"decoder_l{layer}_ffn")
    config = {
        "type": "transformer",
        "enc-depth": shape.layers,
        "dec-depth": shape.layers,
        "dim-emb": d,
        "transformer-heads": shape.heads,
        "transformer-dim-ffn": ff,
        "transformer-decoder-autoreg": "self-attention",
        "transformer-no-projection": False,
        "transformer-ffn-activation": "swish",
        "transformer-postprocess-emb": "d",
        "transformer-preprocess": "",
        "transformer-postprocess": "dan",
        "transformer-guided-alignment-layer": "last",
        "tied-embeddings-all": True,
    }
    weights["special:model.yml"] = np.frombuffer(
        yaml.safe_dump(config).encode() + b"\0", dtype=np.uint8
    )
    return weights
