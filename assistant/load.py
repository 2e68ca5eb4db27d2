"""load: the corpus folder -> Document objects, one reader per file type."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from pathlib import Path

from .errors import CorpusError
from .types import Document, DocumentMeta


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"文件 {path.name} 不是 UTF-8 编码的文本，请转换编码后再放入 corpus/。") from exc


def _read_markdown(path: Path) -> str:
    # Markdown headings carry the same numbering (一、/（一）) as plain text plans; the
    # leading #'s are replaced by spaces so character offsets stay those of the file.
    lines = _read_text(path).splitlines(keepends=True)
    return "".join(_unhash(line) for line in lines)


def _unhash(line: str) -> str:
    stripped = line.lstrip("#")
    return " " * (len(line) - len(stripped)) + stripped if line.startswith("#") else line


READERS: dict[str, Callable[[Path], str]] = {".txt": _read_text, ".md": _read_markdown}
META_SUFFIX = ".toml"


def load_corpus(corpus_dir: Path, support_files: tuple[str, ...] = ()) -> list[Document]:
    """Every plan document in corpus_dir, sorted by file name; `support_files` (the jieba
    dictionary, the synonyms list) live there too but are not plans."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"找不到语料目录 {corpus_dir}，请创建它并放入规划文本（.txt 或 .md）。")
    paths = sorted(p for p in corpus_dir.iterdir() if p.suffix in READERS and p.name not in support_files)
    documents = [_load_document(p) for p in paths]
    if not documents:
        raise CorpusError(f"语料目录 {corpus_dir} 中没有规划文本（.txt 或 .md）。")
    return documents


def _load_document(path: Path) -> Document:
    text = READERS[path.suffix](path)
    if not text.strip():
        raise CorpusError(f"文件 {path.name} 是空的，请放入规划全文。")
    return Document(doc_id=path.stem, path=str(path), text=text, meta=_load_meta(path, text))


def _load_meta(path: Path, text: str) -> DocumentMeta:
    meta_path = path.with_suffix(META_SUFFIX)
    if not meta_path.exists():
        first_line = next((line.strip() for line in text.splitlines() if line.strip()), path.stem)
        return DocumentMeta(title=first_line)
    try:
        data = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"元数据文件 {meta_path.name} 格式错误：{exc}") from exc
    if "title" not in data:
        raise CorpusError(f"元数据文件 {meta_path.name} 缺少 title（规划标题）。")
    return DocumentMeta(**{k: str(v) for k, v in data.items() if k in DocumentMeta.__dataclass_fields__})


def corpus_hash(corpus_dir: Path) -> str:
    """Hash of every file that shapes the index: documents, metadata, dictionaries."""
    digest = hashlib.sha256()
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(corpus_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
