"""library: the plans the assistant holds — add plan files, remove a plan.

A change of plans is made whole or not at all, and the corpus folder is its truth:

1. New files are checked before anything is written: regular files (no links, devices or
   folders), a supported type, a usable name, within `max_document_bytes`.
2. Under the build lock, a staged corpus is made beside the index (hard links of the corpus
   files, the new files copied in, a removed plan's files left out). New plans are read
   from there, each in a child process within the read limits, and refused when their text
   repeats an indexed plan's. The new index is built from the staged corpus while the
   corpus folder and the live index stay as they are; questions keep being answered.
3. Only once the new index is live are the files moved into (or out of) the corpus folder.

A failure, or a kill, before step 3 leaves the corpus folder and the live index as they were
(the staged corpus is removed by the next holder of the lock). A kill inside step 3 leaves
an index that no longer matches the corpus folder; the next use rebuilds it to match.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import stat
import uuid
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from pathlib import Path

from .errors import CorpusError
from .index import PARTIAL, STAGING, build_lock
from .load import META_SUFFIX, check_file_size, corpus_files, read_document
from .readers import READERS
from .settings import Settings
from .text import squash
from .types import Document

MAX_NAME_BYTES = 200  # a file name the corpus folder can hold with its temporary prefix and suffix
Build = Callable[[Settings, Mapping[str, Document]], object]  # (staged settings, plans read) -> manifest


def add_plans(settings: Settings, paths: list[Path], indexed: Mapping[str, Document], build: Build,
              notify: Callable[[str], None] | None = None, replace: bool = False) -> list[Document]:
    """Add plan files (with a metadata file beside each, if there is one); all or none.
    `indexed` are the plans of the live index (to refuse a text already indexed); `build`
    builds and swaps in the index of a staged corpus; with `replace`, a plan of the same id
    is replaced rather than refused."""
    sources = [_checked_source(settings, Path(p)) for p in paths]
    ids = [p.stem for p in sources]
    if len(set(ids)) < len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise CorpusError(f"同一批文件中有重复的规划编号“{'、'.join(twice)}”（文件名相同、扩展名不同），请改名后再添加。")
    with build_lock(settings, notify):
        present = plan_ids(settings)  # under the lock: another process's add has landed or not
        if not replace and (taken := [i for i in ids if i in present]):
            raise CorpusError(f"已有编号为“{'、'.join(taken)}”的规划，请先删除它、把文件改名，或用 add --replace 替换它。")
        replaced = [f for i in ids if i in present for f in plan_files(settings, i)]
        with _staged_corpus(settings, leave_out=replaced) as staged:
            files = [target for source in sources for target in _copy_in(source, staged)]
            documents = [read_document(staged / p.name, settings.read_limits()) for p in sources]
            _refuse_repeats(documents, {d: doc for d, doc in indexed.items() if d not in ids})
            build(settings.replace(corpus_dir=staged),
                  {d.doc_id: dataclasses.replace(d, path=str(settings.corpus_dir / Path(d.path).name))
                   for d in documents})
            for path in replaced:
                if not (staged / path.name).exists():
                    path.unlink(missing_ok=True)  # the replaced plan's other file type, or its old metadata
            for path in files:
                _move_into(path, settings.corpus_dir)
    return documents


def remove_plan(settings: Settings, doc_id: str, build: Build, notify: Callable[[str], None] | None = None) -> list[Path]:
    """Take one plan out of the corpus and the index; on failure nothing changes."""
    files = plan_files(settings, doc_id)
    if not files:
        raise CorpusError(f"没有编号为“{doc_id}”的规划。可删除的规划：{'、'.join(sorted(plan_ids(settings)))}")
    with build_lock(settings, notify), _staged_corpus(settings, leave_out=files) as staged:
        build(settings.replace(corpus_dir=staged), {})
        for path in files:
            path.unlink(missing_ok=True)
    return files


def plan_ids(settings) -> set[str]:
    """The ids (file stems) of the plans in the corpus folder."""
    return {p.stem for p in corpus_files(settings.corpus_dir)
            if p.suffix.lower() in READERS and p.name not in settings.support_files}


def plan_files(settings, doc_id: str) -> list[Path]:
    """The plan file (and its metadata file) of one plan in the corpus."""
    corpus = settings.corpus_dir
    files = [p for p in corpus_files(corpus) if p.stem == doc_id and p.suffix.lower() in READERS
             and p.name not in settings.support_files]
    return files + [p for p in (corpus / f"{doc_id}{META_SUFFIX}",) if p.is_file()] if files else []


def _checked_source(settings, path: Path) -> Path:
    """A file that may be read as a plan, or a CorpusError saying why not; nothing is read yet."""
    name = path.name
    if path.suffix.lower() not in READERS:
        raise CorpusError(f"不支持的文件类型“{path.suffix or name}”（{name}），可添加的类型：{'、'.join(sorted(READERS))}。")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise CorpusError(f"文件名过长（{len(name.encode('utf-8'))} 字节，上限 {MAX_NAME_BYTES}），请改短文件名后再添加。")
    if name.startswith("."):
        raise CorpusError(f"文件 {name} 以“.”开头（隐藏文件），请改名后再添加。")
    if name in settings.support_files:
        raise CorpusError(f"{name} 是助手的配置文件名，不能作为规划添加，请改名后再添加。")
    try:
        info = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        raise CorpusError(f"找不到文件 {path}。") from None
    except OSError as exc:
        raise CorpusError(f"无法读取文件 {name}（{exc.strerror}）。") from None
    if stat.S_ISLNK(info.st_mode):
        raise CorpusError(f"{name} 是符号链接，不是文件本身；请添加它指向的规划文件。")
    if not stat.S_ISREG(info.st_mode):
        raise CorpusError(f"{name} 不是普通文件（可能是文件夹或设备），请选择规划文件（{'、'.join(sorted(READERS))}）。")
    check_file_size(name, info.st_size, settings.max_document_bytes)
    return path


@contextmanager
def _staged_corpus(settings, leave_out: list[Path]):
    """The corpus folder as hard links (copies across file systems) in a staging folder of
    the index, less `leave_out`; removed afterwards (or by the next lock holder after a kill)."""
    staged = settings.index_dir / "builds" / f"{STAGING}corpus-{uuid.uuid4().hex[:8]}"
    staged.mkdir(parents=True)
    try:
        skipped = {p.name for p in leave_out}
        for path in corpus_files(settings.corpus_dir):
            if path.name not in skipped:
                _link_or_copy(path, staged / path.name)
        yield staged
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _copy_in(source: Path, staged: Path) -> list[Path]:
    """The plan file and its metadata file (when there is one, and it is a regular file),
    copied into the staged corpus; a metadata file of the same name there is replaced."""
    meta = source.with_suffix(META_SUFFIX)
    copied = []
    for path in [source] + ([meta] if meta.is_file() and not meta.is_symlink() else []):
        target = staged / path.name
        target.unlink(missing_ok=True)  # a hard link to the corpus file it replaces: never written through
        shutil.copyfile(path, target)
        copied.append(target)
    return copied


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _move_into(path: Path, corpus: Path) -> None:
    """Put one staged file into the corpus folder in one rename (through a hidden partial
    file, so a kill never leaves half a plan under its own name)."""
    partial = corpus / f".{path.name}{PARTIAL}"
    shutil.copyfile(path, partial)
    os.replace(partial, corpus / path.name)


def _refuse_repeats(documents: list[Document], indexed: Mapping[str, Document]) -> None:
    """A plan whose text (whitespace aside) is already indexed, or given twice, is refused."""
    seen = {_text_key(doc): doc for doc in indexed.values()}
    for doc in documents:
        twin = seen.get(_text_key(doc))
        if twin is not None:
            raise CorpusError(f"文件 {Path(doc.path).name} 与已有规划“{twin.doc_id}”（{twin.meta.title}）内容相同，"
                              "未重复添加。如需更新该规划，请用 add --replace 或先删除它。")
        seen[_text_key(doc)] = doc


def _text_key(document: Document) -> str:
    return hashlib.sha256(squash(document.text).encode("utf-8")).hexdigest()
