"""index: chunks -> a Chroma collection (dense) + a bm25s index (lexical) + a manifest.

A build goes into index/builds/<id>/ and becomes live only when index/manifest.json is
replaced (one atomic rename). A build that fails leaves the previous manifest, and so the
previous index, in use. A manifest whose corpus hash or settings no longer match is stale,
and the index is rebuilt rather than mixed.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

from .chunk import chunk
from .embed import make_embeddings
from .errors import AssistantError, IndexBuildError
from .load import corpus_hash, load_corpus
from .parse import parse
from .segment import make_segmenter
from .settings import Settings
from .types import Chunk

Progress = Callable[[float, str], None]
MANIFEST = "manifest.json"
EMBED_BATCH = 16
COMMON_SHARE = 0.2  # a word in more than this share of passages names no particular subject


@dataclass(frozen=True)
class Manifest:
    build_id: str
    model_id: str
    settings: dict
    corpus_hash: str
    built_at: str
    build_seconds: float
    documents: dict  # doc_id -> chunk count
    collection: str

    @property
    def chunk_count(self) -> int:
        return sum(self.documents.values())


def _no_progress(fraction: float, message: str) -> None:
    pass


def read_manifest(settings: Settings) -> Manifest | None:
    path = settings.index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        return Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError):
        return None  # unreadable manifest: treated as no index, rebuilt


def is_current(manifest: Manifest | None, settings: Settings) -> bool:
    return (manifest is not None
            and manifest.corpus_hash == corpus_hash(settings.corpus_dir)
            and manifest.settings == settings.fingerprint()
            and (settings.index_dir / "builds" / manifest.build_id).is_dir())


def chroma_client(settings: Settings, path: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                   settings=chroma_settings)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


@contextmanager
def _build_lock(index_dir: Path):
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_index(settings: Settings, progress: Progress = _no_progress) -> Manifest:
    """Build a complete index beside the live one, then swap it in atomically."""
    with _build_lock(settings.index_dir):
        return _build(settings, progress)


def ensure_index(settings: Settings, progress: Progress = _no_progress) -> Manifest:
    """The live manifest, after building the index if it is missing or stale."""
    manifest = read_manifest(settings)
    if is_current(manifest, settings):
        return manifest
    with _build_lock(settings.index_dir):
        manifest = read_manifest(settings)  # another process may have built it meanwhile
        if is_current(manifest, settings):
            return manifest
        return _build(settings, progress)


def _build(settings: Settings, progress: Progress) -> Manifest:
    began = time.perf_counter()
    build_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    builds = settings.index_dir / "builds"
    staging = builds / f".staging-{build_id}"
    staging.mkdir(parents=True)
    try:
        progress(0.0, "读取并解析规划文本")
        documents = load_corpus(settings.corpus_dir, settings.support_files)
        chunks = [c for d in documents for c in chunk(parse(d), settings.chunk_max_chars)]
        _write_chunks(staging / "chunks.json", chunks)
        progress(0.05, "建立词法索引（jieba + BM25）")
        segmenter = make_segmenter(settings)
        _build_bm25(staging / "bm25", [segmenter.tokens(c.search_text) for c in chunks])
        collection = f"chunks-{build_id}"
        _build_chroma(settings, staging / "chroma", collection, chunks, progress)
        staging.rename(builds / build_id)
    except AssistantError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise IndexBuildError(f"索引构建失败（{exc}），已保留原有索引，请检查语料和配置后重试。") from exc
    manifest = Manifest(
        build_id=build_id, model_id=make_embeddings(settings).model_id,
        settings=settings.fingerprint(), corpus_hash=corpus_hash(settings.corpus_dir),
        built_at=time.strftime("%Y-%m-%d %H:%M:%S"),
        build_seconds=round(time.perf_counter() - began, 2),
        documents={d.doc_id: sum(1 for c in chunks if c.doc_id == d.doc_id) for d in documents},
        collection=collection)
    _write_manifest(settings.index_dir, manifest)
    _remove_old_builds(settings, keep=build_id)
    progress(1.0, f"索引已就绪：{manifest.chunk_count} 个片段")
    return manifest


def _write_chunks(path: Path, chunks: list[Chunk]) -> None:
    data = [asdict(c) for c in chunks]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _build_bm25(path: Path, corpus_tokens: list[list[str]]) -> None:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    retriever.save(str(path), show_progress=False)


def _build_chroma(settings: Settings, path: Path, collection: str, chunks: list[Chunk],
                  progress: Progress) -> None:
    from langchain_chroma import Chroma

    store = Chroma(collection_name=collection, embedding_function=make_embeddings(settings),
                   client=chroma_client(settings, path),
                   collection_metadata={"hnsw:space": "cosine"})
    for i in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[i:i + EMBED_BATCH]
        store.add_texts(texts=[c.search_text for c in batch],
                        metadatas=[{"chunk_id": c.id, "doc_id": c.doc_id} for c in batch],
                        ids=[c.id for c in batch])
        done = min(i + EMBED_BATCH, len(chunks))
        progress(0.1 + 0.85 * done / len(chunks), f"向量化片段 {done}/{len(chunks)}")


def _write_manifest(index_dir: Path, manifest: Manifest) -> None:
    tmp = index_dir / f".{MANIFEST}.{uuid.uuid4().hex[:6]}"
    tmp.write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, index_dir / MANIFEST)


def _remove_old_builds(settings: Settings, keep: str) -> None:
    for old in (settings.index_dir / "builds").iterdir():
        if old.name != keep and not old.name.startswith(".staging-"):
            shutil.rmtree(old, ignore_errors=True)
            if settings.chroma_host:
                _drop_remote_collection(settings, f"chunks-{old.name}")


def _drop_remote_collection(settings: Settings, name: str) -> None:
    client = chroma_client(settings, settings.index_dir)
    if name in {c.name for c in client.list_collections()}:
        client.delete_collection(name)


class Index:
    """A live, read-only index: chunks, the lexical index and the dense collection."""

    def __init__(self, settings: Settings, manifest: Manifest):
        self.settings = settings
        self.manifest = manifest
        self.path = settings.index_dir / "builds" / manifest.build_id
        self.chunks = [Chunk(**{**c, "section_path": tuple(c["section_path"])})
                       for c in json.loads((self.path / "chunks.json").read_text(encoding="utf-8"))]
        self.position = {c.id: i for i, c in enumerate(self.chunks)}

    @cached_property
    def bm25(self):
        import bm25s

        return bm25s.BM25.load(str(self.path / "bm25"), show_progress=False)

    @cached_property
    def embeddings(self):
        """The one embedder for this index: queries are embedded with the passages' model."""
        return make_embeddings(self.settings)

    @cached_property
    def vectorstore(self):
        from langchain_chroma import Chroma

        return Chroma(collection_name=self.manifest.collection,
                      embedding_function=self.embeddings,
                      client=chroma_client(self.settings, self.path / "chroma"),
                      create_collection_if_not_exists=False)

    @cached_property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of every index token, for weighting question terms."""
        segmenter = make_segmenter(self.settings)
        df = Counter(t for c in self.chunks for t in set(segmenter.tokens(c.search_text)))
        n = len(self.chunks)
        return {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def idf_for_df(self, df: int) -> float:
        n = len(self.chunks)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def is_specific(self, word: str) -> bool:
        """The plans use `word`, and not in every other passage: it can name a subject."""
        return word in self.idf and self.idf[word] >= self.idf_for_df(max(1, int(COMMON_SHARE * len(self.chunks))))

    def unseen_idf(self) -> float:
        """Weight of a term no chunk contains: above any seen term."""
        return max(self.idf.values(), default=1.0) + 1.0

    def lexical(self, tokens: list[str], k: int, docs: frozenset[str] | None = None) -> list[tuple[int, float]]:
        """(chunk position, BM25 score) best first; only chunks sharing a token, and only
        chunks of the plans in `docs` when it is given."""
        vocab = self.bm25.vocab_dict
        ids = [vocab[t] for t in tokens if t in vocab]
        if not ids:
            return []
        scores = self.bm25.get_scores(ids)
        if docs is not None:
            scores = scores * self.doc_mask(docs)
        order = scores.argsort()[::-1][:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]

    def doc_mask(self, docs: frozenset[str]):
        import numpy as np

        return np.isin(self.chunk_docs, sorted(docs)).astype(float)

    @cached_property
    def chunk_docs(self):
        """The plan of every chunk, by position, for masking scores to chosen plans."""
        import numpy as np

        return np.array([c.doc_id for c in self.chunks])

    def dense(self, vector: list[float], k: int, docs: frozenset[str] | None = None) -> list[tuple[int, float]]:
        """(chunk position, cosine similarity) best first."""
        where = None if docs is None else {"doc_id": {"$in": sorted(docs)}}
        results = self.vectorstore.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        return [(self.position[doc.metadata["chunk_id"]], 1.0 - float(distance))
                for doc, distance in results]
