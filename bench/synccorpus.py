"""The folders ``bench/sync.py`` syncs: generated word-list text or SciFact abstracts, files
laid out 100 per folder and aged an hour, and the one-paragraph edits it times."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Sequence
from pathlib import Path

from crashstates import age_files

__all__ = [
    "WORDS",
    "doc_path",
    "edit_paragraph",
    "scifact_paragraphs",
    "word_paragraph",
    "write_corpus",
]

WORDS = (
    "index folder passage model vector sync answer question file paragraph citation offline "
    "search query result library notes report chapter section table figure method sample data "
    "value error change version reader writer system local network memory disk time speed test "
    "the a of to and in is for on with as by at from that this it be are was can will not or "
    "each every new old small large first last quick slow clear simple exact careful early late"
).split()


def word_paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(2, 4)):
        words = rng.choices(WORDS, k=rng.randint(6, 14))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def scifact_paragraphs(path: Path, seed: int) -> list[str]:
    """SciFact abstracts as one-line paragraphs "Title. Text", in a seeded order."""
    corpus = path / "corpus.jsonl" if path.is_dir() else path
    out = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        title = doc["title"].strip()
        title += "" if title.endswith((".", "?", "!")) else "."
        out.append(" ".join(f"{title} {doc['text']}".split()))
    random.Random(seed).shuffle(out)
    return out


def write_corpus(docs: Path, files: int, per_file: int, source: Sequence[str] | None) -> None:
    """``files`` files (half .txt, half .md, 100 per folder), aged an hour. With ``source``,
    paragraph i of the corpus is ``source[i % len(source)]``; otherwise generated."""
    shutil.rmtree(docs, ignore_errors=True)
    rng = random.Random(0)
    for k in range(files):
        path = doc_path(docs, k)
        path.parent.mkdir(parents=True, exist_ok=True)
        paras = [
            source[(k * per_file + j) % len(source)] if source else word_paragraph(rng)
            for j in range(per_file)
        ]
        path.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    age_files(docs)


def doc_path(docs: Path, k: int) -> Path:
    return docs / f"d{k // 100:03d}" / f"doc{k:05d}.{'md' if k % 2 else 'txt'}"


def edit_paragraph(path: Path, number: int, words: Sequence[str]) -> None:
    """Replace ``len(words)`` words in the middle of paragraph ``number`` (1-based) of ``path``."""
    paras = path.read_text(encoding="utf-8").split("\n\n")
    tokens = paras[number - 1].split(" ")
    mid = len(tokens) // 2
    tokens[mid : mid + len(words)] = words
    paras[number - 1] = " ".join(tokens)
    path.write_text("\n\n".join(paras), encoding="utf-8")
