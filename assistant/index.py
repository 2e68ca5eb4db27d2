"""index: chunks -> a Chroma collection (dense) + a bm25s index (lexical) + a manifest.

A build goes into index/builds/<id>/ and becomes live only when index/manifest.json is
replaced (one atomic rename). A build holds everything an answer is made from: the chunks,
both indexes, a snapshot of the plan texts (`documents.json`) and of the support files
(`support/`), so edits to corpus/ take effect only through a build that succeeded.

- A build that fails leaves the previous manifest, and so the previous index, in use; when
  the corpus holds a bad file, readers keep the last good index and are told which file.
- A manifest whose corpus hash or settings no longer match is stale, and the index is
  rebuilt rather than mixed.
- Loading checks the build (chunk file, documents, lexical files, the collection and its
  count); a damaged build is rebuilt, and the reader is told so.
- Readers hold a shared lease (flock) on the build they use; a build folder is deleted only
  when it is neither live nor the previous one and no reader holds it, so a rebuild never
  pulls files from under a running process.
- Orphaned `.staging-*` folders of killed builds are removed by the next build (under the
  build lock no other build runs); so is a vector cache that is no readable SQLite file
  (set aside, renamed, and started afresh).
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import shutil
import sqlite3
import time
import uuid
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .checks import check_corpus
from .chunk import chunk
from .embed import as_langchain, check_cache, make_embeddings
from .errors import AssistantError, CorpusError, IndexBuildError, UnreadableFile
from .grams import PATTERN_MAX, CountTable, patterns, text_grams
from .load import META_SUFFIX, REJECTED, corpus_hash, plan_paths, read_document, set_aside
from .parse import parse
from .segment import BIGRAM_MARK, Segmenter
from .settings import Settings
from .targets import TargetCues, extract_targets
from .text import squash, time_left
from .types import Block, Chunk, Document, DocumentMeta, ParsedDocument, Target
from .understand import Abbreviations, SectorMap

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Notify = Callable[[str], None]
MANIFEST = "manifest.json"
FAILED = "failed.json"  # the last build that failed, so readers do not retry it on every ask
CHUNKS = "chunks.json"
DOCUMENTS = "documents.json"
PARSED = "parsed.json"  # every plan's blocks: a process start parses nothing
TOKENS = "tokens.json"
TARGETS = "targets.json"  # the targets registry, extracted once per plan  # every chunk's index tokens: a new build re-tokenises only new plans
FILES = "files.json"  # doc id -> hash of its file and metadata file: what a new build may reuse
ABBREVIATIONS = "abbreviations.json"  # 公建 -> 公共建筑 …: worked out over every plan's text once per build
SUPPORT = "support"
GRAMS = "grams"  # the plans' character tables (grams.py): counted per plan at build, mapped at start
TEXT_GRAMS = "text.npy"  # the plans' text 1-3-grams, as words are compared with it
PATTERNS = "patterns.npy"  # index words with one character blanked
LEASE = ".lease"
STAGING = ".staging-"  # builds/.staging-<id>: a build being written; builds/.staging-corpus-<id>: a staged corpus
PARTIAL = ".partial"  # corpus/.<name>.partial: a plan file being moved into the corpus
INDEX_FORMAT = 9  # 2: documents, support files, reader leases; 3: parsed, tokens, files; 4: targets; 5: their plan;
# 6: character tables (grams/), the lexical index read memory-mapped; 7: a note after a sentence's end is that sentence's; 8: a download link is no annex; 9: a percentage of a total is a share
DELETE_BATCH = 500
EMBED_BATCH = 16
COMMON_SHARE = 0.2  # a word in more than this share of passages names no particular subject
OPEN_ATTEMPTS = 3

try:  # what a damaged Chroma store raises
    from chromadb.errors import ChromaError
except ImportError:  # pragma: no cover - chromadb is a dependency
    ChromaError = OSError
DAMAGE_ERRORS = (OSError, ValueError, KeyError, TypeError, EOFError, sqlite3.Error, ChromaError)


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
    format: int = 1

    @property
    def chunk_count(self) -> int:
        return sum(self.documents.values())


class Idf(Mapping):
    """token -> inverse document frequency, read off the lexical index: a token's document
    frequency is the length of its column in the BM25 matrix (every passage that holds it
    has a positive score there). Lookups, no table built at start."""

    def __init__(self, vocab: dict[str, int], indptr, passages: int):
        self.vocab = vocab
        self.indptr = indptr
        self.passages = passages
        self.columns = len(indptr) - 1  # bm25s adds "" to the vocabulary beyond the matrix

    def df(self, token: str) -> int:
        column = self.vocab.get(token, -1)
        if not 0 <= column < self.columns:
            return 0
        return int(self.indptr[column + 1]) - int(self.indptr[column])

    def __getitem__(self, token: str) -> float:
        df = self.df(token)
        if df <= 0:
            raise KeyError(token)
        return _idf(df, self.passages)

    def __contains__(self, token) -> bool:
        return isinstance(token, str) and self.df(token) > 0

    def __iter__(self) -> Iterator[str]:
        return (t for t in self.vocab if self.df(t) > 0)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def highest(self, default: float = 1.0) -> float:
        """The largest idf (of the rarest token), once per index."""
        if self.columns <= 0:
            return default
        counts = np.diff(np.asarray(self.indptr[:self.columns + 1]))
        counts = counts[counts > 0]
        return _idf(int(counts.min()), self.passages) if len(counts) else default


def _idf(df: int, passages: int) -> float:
    return math.log(1 + (passages - df + 0.5) / (df + 0.5))


def _specific(word: str, idf, passages: int) -> bool:
    """The plans use `word`, and not in every other passage: it can name a subject."""
    return word in idf and idf[word] >= _idf(max(1, int(COMMON_SHARE * passages)), passages)


class _Damaged(Exception):
    """A build folder that cannot be read as written (internal: triggers a rebuild)."""


def _no_progress(fraction: float, message: str) -> None:
    pass


def _log_notice(message: str) -> None:
    log.warning("%s", message)


def read_manifest(settings: Settings) -> Manifest | None:
    return _read_json_manifest(settings.index_dir / MANIFEST)


def _read_json_manifest(path: Path) -> Manifest | None:
    try:
        return Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        return None  # unreadable manifest: treated as no index, rebuilt


def is_current(manifest: Manifest | None, settings: Settings) -> bool:
    return (_usable(manifest, settings)
            and manifest.corpus_hash == corpus_hash(settings.corpus_dir))


def _usable(manifest: Manifest | None, settings: Settings) -> bool:
    """Built by this code for these settings (the corpus may have changed since)."""
    return (manifest is not None and manifest.format == INDEX_FORMAT
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
def build_lock(settings: Settings, notify: Notify | None = None):
    """The one build lock; a caller that has to wait is told so at once. Whoever holds it
    first removes what killed builds left (no other build runs meanwhile)."""
    notify = notify or _log_notice
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            notify("另一个进程正在构建索引，等待其完成后继续（通常不超过几分钟）…")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _remove_orphans(settings)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# ---- opening the live index -------------------------------------------------------------
def open_index(settings: Settings, progress: Progress = _no_progress, notify: Notify = _log_notice,
               serve_stale: bool = True) -> Index:
    """The live index, checked; built first if it is missing, stale or damaged.

    With `serve_stale`, a corpus that cannot be built (a bad file) leaves the last good
    index in service and `notify` says which file is at fault; without it the CorpusError
    or IndexBuildError is raised (the previous index stays live either way)."""
    manifest = read_manifest(settings)
    damaged: dict[str, str] = {}  # build id -> what is damaged (a broken store is opened once)
    if is_current(manifest, settings):
        index, problem = _try_open(settings, manifest)
        if index is not None:
            return index
        damaged[manifest.build_id] = problem
    if serve_stale and not damaged and (index := _known_failure(settings, manifest, notify)) is not None:
        return index
    with build_lock(settings, notify):
        manifest = read_manifest(settings)  # another process may have built it meanwhile
        damage = ""
        if is_current(manifest, settings):
            index, damage = (None, damaged[manifest.build_id]) if manifest.build_id in damaged \
                else _try_open(settings, manifest)
            if index is not None:
                return index
            notify(f"索引已损坏（{damage}），正在自动重建…")
        try:
            built = _build(settings, progress, notify, incremental=not damage)
        except AssistantError as exc:
            _record_failure(settings, exc)
            if serve_stale and not damage and _usable(manifest, settings):
                index, _ = _try_open(settings, manifest)
                if index is not None:
                    notify(_stale_notice(exc, manifest))
                    return index
            raise
    index, problem = _try_open(settings, built)
    if index is None:
        raise IndexBuildError(f"新建的索引无法读取（{problem}），请检查磁盘空间与 index/ 目录权限后重试。")
    if damage:
        notify(f"索引已重建：{built.chunk_count} 个片段。")
    return index


def ensure_index(settings: Settings, progress: Progress = _no_progress, notify: Notify = _log_notice) -> Manifest:
    """The live manifest, after building the index if it is missing, stale or damaged."""
    return open_index(settings, progress, notify).manifest


def build_index(settings: Settings, progress: Progress = _no_progress, notify: Notify = _log_notice,
                incremental: bool = False) -> Manifest:
    """Build an index beside the live one, then swap it in atomically: complete, or with
    `incremental` reusing the live build's unchanged plans (adding or removing a plan)."""
    with build_lock(settings, notify):
        try:
            return _build(settings, progress, notify, incremental)
        except AssistantError as exc:
            _record_failure(settings, exc)
            raise


def build_staged(staged: Settings, read: Mapping[str, Document], progress: Progress = _no_progress,
                 notify: Notify = _log_notice) -> Manifest:
    """An incremental build of a staged corpus (`staged.corpus_dir`: the corpus folder as it
    will be once a change is made), with plans already `read` by doc id; the caller holds
    the build lock. A failure is not recorded: the corpus folder itself has not changed."""
    return _build(staged, progress, notify, incremental=True, read=read)


def _stale_notice(exc: AssistantError, manifest: Manifest) -> str:
    return (f"语料已改动，但新索引未能构建：{exc} 在修正之前，继续使用上次成功构建的索引"
            f"（构建于 {manifest.built_at}）。")


def _record_failure(settings: Settings, exc: AssistantError) -> None:
    data = {"corpus_hash": corpus_hash(settings.corpus_dir), "settings": settings.fingerprint(),
            "message": str(exc), "at": time.strftime("%Y-%m-%d %H:%M:%S")}
    _write_atomic(settings.index_dir, FAILED, json.dumps(data, ensure_ascii=False))


def _known_failure(settings: Settings, manifest: Manifest | None, notify: Notify) -> Index | None:
    """The last good index, when the corpus as it is now already failed to build: readers
    do not redo a build that cannot succeed (`index --rebuild` always tries)."""
    try:
        failed = json.loads((settings.index_dir / FAILED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(failed, dict) and failed.get("settings") == settings.fingerprint()
            and failed.get("corpus_hash") == corpus_hash(settings.corpus_dir) and _usable(manifest, settings)):
        return None
    index, _ = _try_open(settings, manifest)
    if index is not None:
        notify(_stale_notice(CorpusError(failed.get("message", "")), manifest))
    return index


def _try_open(settings: Settings, manifest: Manifest) -> tuple[Index | None, str]:
    """(the index, "") when the build reads as written, else (None, what is damaged). A
    build deleted meanwhile by another process's rebuild is looked up again."""
    for _ in range(OPEN_ATTEMPTS):
        lease = Lease.acquire(settings.index_dir / "builds" / manifest.build_id)
        if lease is not None:
            break
        fresh = read_manifest(settings)
        if fresh is None or fresh.build_id == manifest.build_id or not _usable(fresh, settings):
            return None, "构建目录不存在"
        manifest = fresh
    else:
        return None, "构建目录不存在"
    index = Index(settings, manifest, lease)
    try:
        index.verify()
    except _Damaged as exc:
        index.close()
        return None, str(exc)
    return index, ""


class Lease:
    """A shared flock on a build's lease file, held while a reader uses the build."""

    def __init__(self, fd: int):
        self.fd = fd

    @classmethod
    def acquire(cls, build: Path) -> Lease | None:
        try:
            fd = os.open(build / LEASE, os.O_RDONLY)
        except FileNotFoundError:
            return None
        fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a builder is deleting this build
        if not (build / LEASE).exists():  # deleted before the lock was ours
            os.close(fd)
            return None
        return cls(fd)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _release(lease: Lease | None, clients: list) -> None:
    for client in clients:
        client.close()
    clients.clear()
    if lease is not None:
        lease.release()


# ---- building ---------------------------------------------------------------------------
def _build(settings: Settings, progress: Progress, notify: Notify = _log_notice,
           incremental: bool = True, read: Mapping[str, Document] | None = None) -> Manifest:
    """A new build beside the live one. When `incremental`, plans whose files are unchanged
    since the live build are taken from it as they are (text, parsed structure, chunks,
    tokens, targets and, in a local store, vectors); only new or changed plans are read,
    parsed and embedded, and a removed plan's rows are left out. Support files or settings
    that changed, a damaged live build, or an explicit rebuild build everything anew."""
    began = time.perf_counter()
    build_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    builds = settings.index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    notice = check_cache(settings.index_dir / "cache" / "embeddings.sqlite")  # only builds use it
    if notice:
        notify(notice)
    staging = builds / f"{STAGING}{build_id}"
    staging.mkdir(parents=True)
    embeddings = make_embeddings(settings)
    previous = read_manifest(settings)
    try:
        progress(0.0, "检查规划文件")
        set_aside_bad = None if read is not None else _setting_aside(settings, notify)  # a staged add: refused whole
        check_corpus(settings, set_aside_bad)
        hash_before = corpus_hash(settings.corpus_dir)
        support = _copy_support(settings, staging / SUPPORT)
        base = _Base.of(settings, previous, support) if incremental else None
        segmenter = _segmenter(settings, support)
        sectors = SectorMap.load(support / settings.departments_file, segmenter)
        cues = TargetCues.load(support / settings.target_cues)
        progress(0.02, "读取并解析规划文本")
        plans = _plan_files(settings)
        # rows as stored (plain dicts): a reused plan's rows are copied, never rebuilt
        documents, parsed, chunks, tokens, fresh, registry, added = [], [], [], [], [], [], []
        for doc_id, (path, digest) in plans.items():
            if base and base.files.get(doc_id) == digest:
                document, blocks, doc_chunks, doc_tokens = base.plan(doc_id)
                targets = base.targets.get(doc_id, [])
            else:
                document = (read or {}).get(doc_id) or _read_or_set_aside(settings, path, set_aside_bad)
                if document is None:
                    continue
                parsed_doc = ParsedDocument(document, parse(document).blocks)
                new_chunks = chunk(parsed_doc, settings.chunk_max_chars)
                doc_tokens = [segmenter.tokens(c.search_text) for c in new_chunks]
                fresh += new_chunks
                added.append(document)
                targets = [asdict(t) for t in extract_targets(parsed_doc, sectors, cues)]
                document, blocks = asdict(document), [asdict(b) for b in parsed_doc.blocks]
                doc_chunks = [asdict(c) for c in new_chunks]
            documents.append(document)
            parsed.append({"doc_id": doc_id, "blocks": blocks})
            chunks += doc_chunks
            tokens += doc_tokens
            registry += targets
        if not documents:
            raise CorpusError(f"语料目录 {settings.corpus_dir} 中没有规划文件，请先添加规划（pdf、docx、txt、md）。")
        if len(documents) < len(plans):  # files set aside: the build is of the corpus as it now is
            plans = {d["doc_id"]: plans[d["doc_id"]] for d in documents}
            hash_before = corpus_hash(settings.corpus_dir)
        _write_json(staging / DOCUMENTS, documents)
        _write_json(staging / PARSED, parsed)
        _write_json(staging / CHUNKS, chunks)
        _write_json(staging / TOKENS, tokens)
        _write_json(staging / TARGETS, registry)
        _write_json(staging / FILES, {doc_id: digest for doc_id, (_, digest) in plans.items()})
        progress(0.04, "整理规划用字")
        dropped = [base.document(d) for d in base.documents  # removed or changed since the live build
                   if d not in plans or base.files.get(d) != plans[d][1]] if base else []
        _write_grams(staging / GRAMS, segmenter, base, added, dropped)
        progress(0.05, "建立关键词索引")
        vocabulary = _build_bm25(staging / "bm25", tokens)
        words = {t for t in vocabulary if t and not t.startswith(BIGRAM_MARK)}
        _write_json(staging / ABBREVIATIONS, Abbreviations.of_plans((d["text"] for d in documents), words, segmenter).full)
        np.save(staging / GRAMS / PATTERNS, patterns(words, PATTERN_MAX))
        segmenter.save_snapshot(staging, builds / previous.build_id if previous else None)
        if base and base.local:
            collection = base.manifest.collection  # the copied store keeps its collection
            shutil.copytree(base.path / "chroma", staging / "chroma")
            kept = {c["id"] for c in chunks} - {c.id for c in fresh}
            stale = [c["id"] for c in base.chunks if c["id"] not in kept]
            _update_chroma(settings, staging / "chroma", collection, stale, fresh, progress, embeddings)
        else:
            collection = f"chunks-{build_id}"
            _build_chroma(settings, staging / "chroma", collection,
                          [_chunk_of(c) for c in chunks], progress, embeddings)
        (staging / LEASE).touch()
        staging.rename(builds / build_id)
    except AssistantError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (OSError, ValueError, RuntimeError, sqlite3.Error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        log.error("index build failed", exc_info=exc)
        raise IndexBuildError(f"索引构建失败（{type(exc).__name__}），已保留原有索引，请检查语料、磁盘空间和配置后重试。"
                              ) from exc
    per_doc = Counter(c["doc_id"] for c in chunks)
    manifest = Manifest(
        build_id=build_id, model_id=embeddings.model_id,
        settings=settings.fingerprint(), corpus_hash=hash_before,
        built_at=time.strftime("%Y-%m-%d %H:%M:%S"),
        build_seconds=round(time.perf_counter() - began, 2),
        documents={d["doc_id"]: per_doc.get(d["doc_id"], 0) for d in documents},
        collection=collection, format=INDEX_FORMAT)
    _write_atomic(settings.index_dir, MANIFEST, json.dumps(asdict(manifest), ensure_ascii=False, indent=2))
    (settings.index_dir / FAILED).unlink(missing_ok=True)
    _remove_old_builds(settings, keep={build_id, previous.build_id if previous else ""})
    progress(1.0, f"索引已就绪：{manifest.chunk_count} 个片段（新处理 {len(fresh)} 个）")
    return manifest


def _setting_aside(settings: Settings, notify: Notify) -> Callable[[Path, UnreadableFile], None]:
    """What a build of the corpus folder does with a plan file it cannot read: moves it (and
    its metadata file) into corpus/.rejected/ and says so, so that the rest is built rather
    than every later build failing on it."""
    def set_aside_one(path: Path, exc: UnreadableFile) -> None:
        set_aside(settings.corpus_dir, path)
        notify(f"规划文件 {path.name} 无法读取，已移到语料目录的 {REJECTED}/ 文件夹，其余规划照常建立索引"
               f"（{exc}）修正后可用“添加规划”重新加入。")

    return set_aside_one


def _read_or_set_aside(settings: Settings, path: Path,
                       set_aside_bad: Callable[[Path, UnreadableFile], None] | None) -> Document | None:
    """The plan file read, or None once `set_aside_bad` has set a file no reader can read
    aside (without it, the error is raised). A file over a limit or a malformed metadata
    file fails the build: it is the user's to fix, and the last good index serves meanwhile."""
    try:
        return read_document(path, settings.read_limits())
    except UnreadableFile as exc:
        if set_aside_bad is None:
            raise
        set_aside_bad(path, exc)
        return None


def _plan_files(settings: Settings) -> dict[str, tuple[Path, str]]:
    """doc id -> (plan file, hash of it and of its metadata file), in file-name order."""
    import hashlib

    out = {}
    for path in plan_paths(settings.corpus_dir, settings.support_files):
        digest = hashlib.sha256(path.read_bytes())
        meta = path.with_suffix(META_SUFFIX)
        if meta.exists():
            digest.update(meta.read_bytes())
        out[path.stem] = (path, digest.hexdigest())
    return out


class _Base:
    """The live build, as far as a new build may reuse it: same format, settings, support
    files and model; None when anything differs (then everything is built anew)."""

    def __init__(self, settings: Settings, manifest: Manifest):
        self.settings = settings
        self.manifest = manifest
        self.path = settings.index_dir / "builds" / manifest.build_id
        self.local = not settings.chroma_host
        self.files = json.loads((self.path / FILES).read_text(encoding="utf-8"))
        self.chunks = json.loads((self.path / CHUNKS).read_text(encoding="utf-8"))
        tokens = json.loads((self.path / TOKENS).read_text(encoding="utf-8"))
        if len(tokens) != len(self.chunks):
            raise ValueError("tokens.json and chunks.json differ in length")
        self.rows: dict[str, tuple[list, list]] = {}  # doc id -> (its chunk rows, their tokens)
        for c, t in zip(self.chunks, tokens, strict=True):
            doc_chunks, doc_tokens = self.rows.setdefault(c["doc_id"], ([], []))
            doc_chunks.append(c)
            doc_tokens.append(t)
        self.documents = {d["doc_id"]: d for d in json.loads((self.path / DOCUMENTS).read_text(encoding="utf-8"))}
        self.blocks = {p["doc_id"]: p["blocks"] for p in json.loads((self.path / PARSED).read_text(encoding="utf-8"))}
        self.targets: dict[str, list[dict]] = {}
        for t in json.loads((self.path / TARGETS).read_text(encoding="utf-8")):
            self.targets.setdefault(t["doc_id"], []).append(t)
        CountTable.load(self.path / GRAMS / TEXT_GRAMS)  # the table a new build adds to and subtracts from

    @classmethod
    def of(cls, settings: Settings, manifest: Manifest | None, support: Path) -> _Base | None:
        if manifest is None or manifest.format != INDEX_FORMAT or manifest.settings != settings.fingerprint():
            return None
        path = settings.index_dir / "builds" / manifest.build_id
        if not all((path / name).exists() for name in (FILES, TOKENS, PARSED, TARGETS, CHUNKS, DOCUMENTS, GRAMS,
                                                        "chroma")):
            return None
        if any(_digest(support / n) != _digest(path / SUPPORT / n) for n in settings.support_files):
            return None  # another dictionary, synonym list or cue file: every plan reads anew
        try:
            return cls(settings, manifest)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged build is never reused

    def plan(self, doc_id: str) -> tuple[dict, list, list, list]:
        """(document, blocks, chunks, tokens) of one unchanged plan, as stored."""
        doc_chunks, doc_tokens = self.rows.get(doc_id, ([], []))
        return self.documents[doc_id], self.blocks[doc_id], doc_chunks, doc_tokens

    def document(self, doc_id: str) -> Document:
        return _document_of(self.documents[doc_id])


def _document_of(row: dict) -> Document:
    return Document(**{**row, "meta": DocumentMeta(**row["meta"])})


def _chunk_of(row: dict) -> Chunk:
    return Chunk(**{**row, "section_path": tuple(row["section_path"])})


def _block_of(row: dict) -> Block:
    return Block(**{**row, "section_path": tuple(row["section_path"]), "cells": tuple(row["cells"])})


def _write_grams(folder: Path, segmenter: Segmenter, base: _Base | None, added: list[Document],
                 dropped: list[Document]) -> None:
    """The character table of the build: the live build's, plus the new plans', less the
    removed or changed plans' (each counted from its own text: O(those plans))."""
    folder.mkdir()

    def table(doc: Document) -> CountTable:
        return text_grams(segmenter.canonical(squash(doc.text)).lower())

    previous = [CountTable.load(base.path / GRAMS / TEXT_GRAMS)] if base else []
    CountTable.combined(previous + [table(d) for d in added], [table(d) for d in dropped]).save(folder / TEXT_GRAMS)


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def _update_chroma(settings: Settings, path: Path, collection: str, stale: list[str], fresh: list[Chunk],
                   progress: Progress, embeddings) -> None:
    """A copied store: the rows of removed or changed plans deleted, the new ones added."""
    from langchain_chroma import Chroma

    client = chroma_client(settings, path)
    try:
        store = Chroma(collection_name=collection, embedding_function=as_langchain(embeddings), client=client,
                       create_collection_if_not_exists=False)
        for i in range(0, len(stale), DELETE_BATCH):
            store.delete(ids=stale[i:i + DELETE_BATCH])
        _add_chunks(store, fresh, progress, "向量化新片段")
    finally:
        client.close()


def _add_chunks(store, chunks: list[Chunk], progress: Progress, label: str) -> None:
    """Embed and add chunks in batches, reporting progress and, from the speed measured on
    the batches so far, the time the rest will take."""
    began = time.perf_counter()
    for i in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[i:i + EMBED_BATCH]
        store.add_texts(texts=[c.search_text for c in batch],
                        metadatas=[{"chunk_id": c.id, "doc_id": c.doc_id} for c in batch],
                        ids=[c.id for c in batch])
        done = min(i + EMBED_BATCH, len(chunks))
        left = time_left(time.perf_counter() - began, done, len(chunks))
        progress(0.1 + 0.85 * done / len(chunks), f"{label} {done}/{len(chunks)}{left}")


def _copy_support(settings: Settings, folder: Path) -> Path:
    folder.mkdir()
    for name in settings.support_files:
        source = settings.support_file(name)
        if source.is_file():
            shutil.copyfile(source, folder / name)
    return folder


def _segmenter(settings: Settings, support: Path, snapshots: Path | None = None) -> Segmenter:
    return Segmenter(support / settings.user_dict, support / settings.synonyms, snapshots)


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _build_bm25(path: Path, corpus_tokens: list[list[str]]) -> dict[str, int]:
    """The lexical index, saved; returns its vocabulary (token -> column)."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    retriever.save(str(path), show_progress=False)
    return retriever.vocab_dict


def _build_chroma(settings: Settings, path: Path, collection: str, chunks: list[Chunk],
                  progress: Progress, embeddings=None) -> None:
    from langchain_chroma import Chroma

    client = chroma_client(settings, path)
    try:
        store = Chroma(collection_name=collection, embedding_function=as_langchain(embeddings or make_embeddings(settings)),
                       client=client, collection_metadata={"hnsw:space": "cosine"})
        _add_chunks(store, chunks, progress, "计算语义向量（片段）")
    finally:
        client.close()  # chromadb keeps a system per path until its clients close


def _write_atomic(index_dir: Path, name: str, text: str) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".{name}.{uuid.uuid4().hex[:6]}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, index_dir / name)


def _remove_orphans(settings: Settings) -> None:
    """Folders and files a killed build or change of plans left behind; called under the
    build lock, so no live build process holds them."""
    for path in (settings.index_dir / "builds").glob(f"{STAGING}*"):
        log.warning("removing the staging folder of an interrupted build: %s", path.name)
        shutil.rmtree(path, ignore_errors=True)
    for path in settings.index_dir.glob(".*.json.*"):  # a manifest or failure record half written
        path.unlink(missing_ok=True)
    if settings.corpus_dir.is_dir():
        for path in settings.corpus_dir.glob(f".*{PARTIAL}"):
            path.unlink(missing_ok=True)


def _remove_old_builds(settings: Settings, keep: set[str]) -> None:
    for old in (settings.index_dir / "builds").iterdir():
        if old.name in keep or old.name.startswith(STAGING) or not old.is_dir():
            continue
        if _remove_unleased(old) and settings.chroma_host:
            _drop_remote_collection(settings, f"chunks-{old.name}")


def _remove_unleased(build: Path) -> bool:
    """Delete a build folder unless a reader holds its lease; True when it is gone."""
    try:
        fd = os.open(build / LEASE, os.O_RDONLY)
    except FileNotFoundError:
        fd = -1  # a build from before leases: no reader of this code holds it
    try:
        if fd >= 0:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # still read by a running process: removed by a later build
        shutil.rmtree(build, ignore_errors=True)
        return not build.exists()
    finally:
        if fd >= 0:
            os.close(fd)


def _drop_remote_collection(settings: Settings, name: str) -> None:
    client = chroma_client(settings, settings.index_dir)
    try:
        if name in {c.name for c in client.list_collections()}:
            client.delete_collection(name)
    finally:
        client.close()


# ---- the live index ---------------------------------------------------------------------
class CorpusStatistics:
    """How many of some plans' chunks hold each token, and the weights that follow."""

    def __init__(self, document_frequency: Counter, chunks: int):
        self.document_frequency = document_frequency
        self.chunks = chunks

    @cached_property
    def idf(self) -> dict[str, float]:
        return {t: self.idf_for_df(f) for t, f in self.document_frequency.items()}

    def idf_for_df(self, df: int) -> float:
        return _idf(df, self.chunks)

    def is_specific(self, word: str) -> bool:
        return _specific(word, self.idf, self.chunks)

    def unseen_idf(self) -> float:
        """Weight of a term no chunk contains: above any seen term."""
        return self._unseen

    @cached_property
    def _unseen(self) -> float:
        return max(self.idf.values(), default=1.0) + 1.0


STATISTICS_KEPT = 8  # plan selections whose statistics stay in memory (the all-plans one always does)


class Index:
    """A live, read-only index: chunks, the lexical index, the dense collection, and the
    documents and support files it was built from. Holds a lease on its build folder until
    it is closed or collected."""

    def __init__(self, settings: Settings, manifest: Manifest, lease: Lease | None = None):
        self.settings = settings
        self.manifest = manifest
        self.path = settings.index_dir / "builds" / manifest.build_id
        self._clients: list = []
        self._finalizer = weakref.finalize(self, _release, lease, self._clients)

    def close(self) -> None:
        self._finalizer()

    def verify(self) -> None:
        """Read every part of the build once; _Damaged names the part that fails."""
        n = self.manifest.chunk_count
        checks = (
            ("片段文件 chunks.json", lambda: len(self.chunks) == n),
            ("文档快照 documents.json", lambda: set(self.documents) == set(self.manifest.documents)),
            ("结构文件 parsed.json", lambda: set(self.parsed) == set(self.manifest.documents)),
            ("词元文件 tokens.json", lambda: (self.path / TOKENS).stat().st_size > 0),  # read by the next build
            ("字符表 grams/", lambda: self.grams.keys.shape == self.grams.counts.shape and self.word_patterns.ndim == 1),
            ("支持文件 support/", lambda: (self.path / SUPPORT).is_dir()),
            ("词法索引 bm25/", lambda: int(self.bm25.scores["num_docs"]) == n),
            ("向量库 chroma/", lambda: self.collection.count() == n),
        )
        for part, check in checks:
            try:
                ok = check()
            except DAMAGE_ERRORS as exc:
                log.warning("index build %s: %s unreadable (%s: %s)", self.manifest.build_id, part,
                            type(exc).__name__, exc)
                raise _Damaged(f"{part}无法读取") from exc
            if not ok:
                raise _Damaged(f"{part}与清单记录的数量不符")

    @cached_property
    def chunks(self) -> list[Chunk]:
        return [_chunk_of(c) for c in json.loads((self.path / CHUNKS).read_text(encoding="utf-8"))]

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self._chunks_by_doc.get(doc_id, [])

    @cached_property
    def _chunks_by_doc(self) -> dict[str, list[Chunk]]:
        out: dict[str, list[Chunk]] = {}
        for c in self.chunks:
            out.setdefault(c.doc_id, []).append(c)
        return out

    @cached_property
    def position(self) -> dict[str, int]:
        return {c.id: i for i, c in enumerate(self.chunks)}

    @cached_property
    def documents(self) -> dict[str, Document]:
        """The plan texts as they were when this index was built (quotes are offsets into them)."""
        data = json.loads((self.path / DOCUMENTS).read_text(encoding="utf-8"))
        return {d["doc_id"]: _document_of(d) for d in data}

    @cached_property
    def segmenter(self) -> Segmenter:
        return _segmenter(self.settings, self.path / SUPPORT, self.path)

    @cached_property
    def sectors(self) -> SectorMap:
        return SectorMap.load(self.path / SUPPORT / self.settings.departments_file, self.segmenter)

    @cached_property
    def bm25(self):
        import bm25s

        return bm25s.BM25.load(str(self.path / "bm25"), mmap=True, show_progress=False)

    @cached_property
    def embeddings(self):
        """The one embedder for this index: queries are embedded with the passages' model."""
        return make_embeddings(self.settings)

    @cached_property
    def _chroma(self):
        client = chroma_client(self.settings, self.path / "chroma")
        self._clients.append(client)
        return client

    @cached_property
    def collection(self):
        """The build's Chroma collection, which answers are searched in directly: through
        langchain-chroma a one-question `ask` would first import langchain_core's retrievers
        and tracers (half a second)."""
        return self._chroma.get_collection(name=self.manifest.collection)

    @cached_property
    def vectorstore(self):
        """The same collection as a langchain VectorStore, for langchain chains."""
        from langchain_chroma import Chroma

        return Chroma(collection_name=self.manifest.collection, embedding_function=as_langchain(self.embeddings),
                      client=self._chroma, create_collection_if_not_exists=False)

    @cached_property
    def parsed(self) -> dict[str, ParsedDocument]:
        """Every plan's parsed structure, as the build stored it (nothing is parsed again)."""
        stored = {p["doc_id"]: p["blocks"] for p in json.loads((self.path / PARSED).read_text(encoding="utf-8"))}
        return {doc_id: ParsedDocument(doc, tuple(_block_of(b) for b in stored[doc_id]))
                for doc_id, doc in self.documents.items()}

    @cached_property
    def registry(self) -> list[Target]:
        """The targets registry, as the build extracted it (nothing is extracted again)."""
        return [Target(**{**t, "section_path": tuple(t["section_path"]), "departments": tuple(t["departments"])})
                for t in json.loads((self.path / TARGETS).read_text(encoding="utf-8"))]

    @cached_property
    def abbreviations(self) -> dict[str, str] | None:
        """The build's abbreviations (公建 -> 公共建筑), or None for a build made before they were kept."""
        path = self.path / ABBREVIATIONS
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    @cached_property
    def grams(self) -> CountTable:
        """Every character, pair and triple of the plans (as words are compared), memory-mapped."""
        return CountTable.load(self.path / GRAMS / TEXT_GRAMS)

    @cached_property
    def word_patterns(self):
        """Sorted keys of every index word with one character blanked (grams.patterns)."""
        return np.load(self.path / GRAMS / PATTERNS, mmap_mode="r", allow_pickle=False)

    @cached_property
    def idf(self) -> Idf:
        """Inverse document frequency of every index token, for weighting question terms:
        read off the lexical index (a token's passages are its column), nothing counted."""
        return Idf(self.bm25.vocab_dict, self.bm25.scores["indptr"], len(self.chunks))

    def idf_for_df(self, df: int) -> float:
        return _idf(df, len(self.chunks))

    def is_specific(self, word: str) -> bool:
        return _specific(word, self.idf, len(self.chunks))

    @cached_property
    def _unseen_idf(self) -> float:
        return self.idf.highest() + 1.0

    def unseen_idf(self) -> float:
        """Weight of a term no chunk contains: above any seen term."""
        return self._unseen_idf

    @cached_property
    def word_counts(self) -> dict[str, int]:
        """Every index word (no character bigram) and how many passages hold it."""
        counts = ((t, self.idf.df(t)) for t in self.bm25.vocab_dict if t and not t.startswith(BIGRAM_MARK))
        return {t: n for t, n in counts if n > 0}

    @cached_property
    def tokens(self) -> list[list[str]]:
        """Every chunk's index tokens, by position, as the build stored them (read only to
        count a plan selection's statistics)."""
        return json.loads((self.path / TOKENS).read_text(encoding="utf-8"))

    def statistics(self, docs: frozenset[str] | None = None):
        """Word statistics over the chunks of the plans in `docs` (all plans when None: this
        index's own): a question asked of chosen plans is weighed, and its words known, by
        those plans only. A selection's statistics are counted once, from the build's tokens."""
        if docs is None or set(self._chunks_by_doc) <= set(docs):
            return self
        key = frozenset(docs)
        if key not in self._statistics:
            chosen = [t for t, c in zip(self.tokens, self.chunks, strict=True) if c.doc_id in key]
            if len(self._statistics) >= STATISTICS_KEPT:
                self._statistics.pop(next(iter(self._statistics)))
            self._statistics[key] = CorpusStatistics(Counter(t for tokens in chosen for t in set(tokens)), len(chosen))
        return self._statistics[key]

    @cached_property
    def _statistics(self) -> dict[frozenset[str], CorpusStatistics]:
        return {}

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
        """1.0 for the chunks of the plans in `docs`, else 0.0."""
        mask = np.zeros(len(self.chunks))
        for doc_id in docs:
            mask[self._doc_positions.get(doc_id, [])] = 1.0
        return mask

    @cached_property
    def _doc_positions(self) -> dict[str, list[int]]:
        """doc id -> the positions of its chunks."""
        out: dict[str, list[int]] = {}
        for i, c in enumerate(self.chunks):
            out.setdefault(c.doc_id, []).append(i)
        return out

    def dense(self, vector: list[float], k: int, docs: frozenset[str] | None = None) -> list[tuple[int, float]]:
        """(chunk position, cosine similarity) best first."""
        where = None if docs is None else {"doc_id": {"$in": sorted(docs)}}
        found = self.collection.query(query_embeddings=[vector], n_results=k, where=where,
                                      include=["metadatas", "distances"])
        return [(self.position[meta["chunk_id"]], 1.0 - float(distance))
                for meta, distance in zip(found["metadatas"][0], found["distances"][0], strict=True)]
