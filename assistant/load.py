"""load: the corpus folder -> Document objects, one reader per file type (see readers.py).

A document's identity comes from the metadata file beside it (same stem, .toml); fields
that file leaves out, or all of them when there is none, are read from the document's
own front matter (title, issuer, 文号, date, region).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from .errors import CorpusError, UnreadableFile
from .frontmatter import front_matter, region_of
from .readers import READERS, read_plan_text
from .settings import Settings
from .types import Document, DocumentMeta, ReadLimits

META_SUFFIX = ".toml"
REJECTED = ".rejected"  # corpus files a build could not read, set aside (not deleted)
SUPPORTED = "、".join(sorted(READERS))


def load_corpus(corpus_dir: Path, support_files: tuple[str, ...] = (),
                limits: ReadLimits | None = None) -> list[Document]:
    """Every plan document in corpus_dir, sorted by file name; `support_files` (the jieba
    dictionary, the synonyms list) live there too but are not plans."""
    documents = [read_document(p, limits) for p in plan_paths(corpus_dir, support_files)]
    if not documents:
        raise CorpusError(f"语料目录 {corpus_dir} 中没有规划文件（{SUPPORTED}）。")
    return documents


def plan_paths(corpus_dir: Path, support_files: tuple[str, ...] = ()) -> list[Path]:
    """The plan files in corpus_dir (the support files beside them are no plans), by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"找不到语料目录 {corpus_dir}，请创建它并放入规划文件（{SUPPORTED}）。")
    return [p for p in corpus_files(corpus_dir) if p.suffix.lower() in READERS and p.name not in support_files]


def read_document(path: Path, limits: ReadLimits | None = None) -> Document:
    """One plan file as a Document, read within `limits` (the default settings' when not
    given); a Chinese CorpusError says what is wrong with it."""
    limits = limits or Settings().read_limits()
    if path.suffix.lower() not in READERS:
        raise CorpusError(f"不支持的文件类型“{path.suffix or path.name}”（{path.name}），可添加的类型：{SUPPORTED}。")
    if not path.is_file():
        raise CorpusError(f"找不到文件 {path}。")
    check_file_size(path.name, path.stat().st_size, limits.max_document_bytes)
    text = read_plan_text(path, limits)
    if not text.strip():
        raise UnreadableFile(f"文件 {path.name} 是空的，请放入规划全文。")
    if len(text) > limits.max_document_chars:
        raise CorpusError(f"规划文件 {path.name} 的正文有 {len(text):,} 字，超过上限 {limits.max_document_chars:,} 字"
                          "（配置项 max_document_chars）。请拆分文件，或由管理员调高上限后再添加。")
    return Document(doc_id=path.stem, path=str(path), text=text, meta=_load_meta(path, text))


def check_file_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise CorpusError(f"文件 {name} 过大（{size / 1e6:.1f} MB，上限 {max_bytes / 1e6:g} MB，"
                          "配置项 max_document_bytes），请拆分或只保留规划正文后再添加。")


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
        fields["region"] = region_of(fields["title"], fields.get("issuer", ""), text) or printed.get("region", "")
    return DocumentMeta(**{k: v for k, v in fields.items() if k in DocumentMeta.__dataclass_fields__})


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every file a build may use: the regular files at the top of corpus_dir, by name.
    Hidden files and folders (a plan being moved in, files set aside) are not the corpus."""
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and not p.name.startswith("."))


def corpus_hash(corpus_dir: Path) -> str:
    """Hash of every file that shapes the index: documents, metadata, dictionaries."""
    digest = hashlib.sha256()
    for path in corpus_files(corpus_dir):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def set_aside(corpus_dir: Path, path: Path) -> Path:
    """Move a plan file a build cannot read (and its metadata file) into corpus/.rejected/,
    under a name not taken there yet; the folder it lands in."""
    folder = corpus_dir / REJECTED
    folder.mkdir(exist_ok=True)
    stem, n = path.stem, 1
    while any((folder / f"{stem}{suffix}").exists() for suffix in (path.suffix, META_SUFFIX)):
        stem, n = f"{path.stem}.{n}", n + 1
    meta = path.with_suffix(META_SUFFIX)
    if meta.is_file() and meta != path:
        meta.rename(folder / f"{stem}{META_SUFFIX}")
    path.rename(folder / f"{stem}{path.suffix}")
    return folder


def rejected_files(corpus_dir: Path) -> list[str]:
    """Names of the files set aside in corpus/.rejected/."""
    folder = corpus_dir / REJECTED
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
