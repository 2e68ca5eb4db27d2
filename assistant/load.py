"""load: the corpus folder -> Document objects, one reader per file type (see readers.py).

A document's identity comes from the metadata file beside it (same stem, .toml); fields
that file leaves out, or all of them when there is none, are read from the document's
own front matter (title, issuer, 文号, date, region).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from .errors import CorpusError
from .frontmatter import front_matter, region_of
from .readers import READERS
from .types import Document, DocumentMeta

META_SUFFIX = ".toml"
SUPPORTED = "、".join(sorted(READERS))


def load_corpus(corpus_dir: Path, support_files: tuple[str, ...] = (),
                max_bytes: int | None = None) -> list[Document]:
    """Every plan document in corpus_dir, sorted by file name; `support_files` (the jieba
    dictionary, the synonyms list) live there too but are not plans."""
    documents = [read_document(p, max_bytes) for p in plan_paths(corpus_dir, support_files)]
    if not documents:
        raise CorpusError(f"语料目录 {corpus_dir} 中没有规划文件（{SUPPORTED}）。")
    return documents


def plan_paths(corpus_dir: Path, support_files: tuple[str, ...] = ()) -> list[Path]:
    """The plan files in corpus_dir (the support files beside them are no plans), by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"找不到语料目录 {corpus_dir}，请创建它并放入规划文件（{SUPPORTED}）。")
    return sorted(p for p in corpus_dir.iterdir()
                  if p.suffix.lower() in READERS and p.name not in support_files and p.is_file())


def read_document(path: Path, max_bytes: int | None = None) -> Document:
    """One plan file as a Document; a Chinese CorpusError says what is wrong with it."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise CorpusError(f"不支持的文件类型“{path.suffix or path.name}”（{path.name}），可添加的类型：{SUPPORTED}。")
    if not path.is_file():
        raise CorpusError(f"找不到文件 {path}。")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise CorpusError(f"文件 {path.name} 过大（{size / 1e6:.1f} MB，上限 {max_bytes / 1e6:.0f} MB），"
                          "请拆分或只保留规划正文后再添加。")
    text = reader(path)
    if not text.strip():
        raise CorpusError(f"文件 {path.name} 是空的，请放入规划全文。")
    return Document(doc_id=path.stem, path=str(path), text=text, meta=_load_meta(path, text))


def _load_meta(path: Path, text: str) -> DocumentMeta:
    printed = front_matter(text)
    meta_path = path.with_suffix(META_SUFFIX)
    given: dict = {}
    if meta_path.exists():
        try:
            given = tomllib.loads(meta_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CorpusError(f"元数据文件 {meta_path.name} 格式错误：{exc}") from exc
        if "title" not in given:
            raise CorpusError(f"元数据文件 {meta_path.name} 缺少 title（规划标题）。")
    fields = {**printed, **{k: str(v) for k, v in given.items()}}
    fields.setdefault("title", path.stem)
    if "region" not in given:
        fields["region"] = region_of(fields["title"], fields.get("issuer", "")) or printed.get("region", "")
    return DocumentMeta(**{k: v for k, v in fields.items() if k in DocumentMeta.__dataclass_fields__})


def corpus_hash(corpus_dir: Path) -> str:
    """Hash of every file that shapes the index: documents, metadata, dictionaries."""
    digest = hashlib.sha256()
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(corpus_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
