"""library: the plans the assistant holds — add plan files, remove a plan.

Adding reads every file first (a file that cannot be read changes nothing), copies it into
the corpus folder, then updates the index; removing takes the plan's files out of the corpus
folder, then updates the index. Either way the new index goes live in one atomic switch, and
if the update fails the files are put back as they were and the previous index keeps serving.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import AssistantError, CorpusError
from .load import META_SUFFIX, read_document
from .readers import READERS
from .types import Document


def add_plans(settings, paths: list[Path], update: Callable[[], object]) -> list[Document]:
    """Copy the plan files into the corpus and update the index with `update`; all or none."""
    corpus = settings.corpus_dir
    existing = {p.stem for p in corpus.iterdir() if p.suffix.lower() in READERS}
    documents = []
    for path in paths:
        document = read_document(Path(path), settings.max_document_bytes)
        if document.doc_id in existing or any(d.doc_id == document.doc_id for d in documents):
            raise CorpusError(f"已有编号为“{document.doc_id}”的规划，请先删除它或把文件改名后再添加。")
        if Path(path).name in settings.support_files:
            raise CorpusError(f"{Path(path).name} 是助手的配置文件名，不能作为规划添加，请改名后再添加。")
        documents.append(document)
    copied: list[Path] = []
    try:
        for path in paths:
            for source in (Path(path), Path(path).with_suffix(META_SUFFIX)):
                if source.exists():  # the plan, and a metadata file beside it if there is one
                    target = corpus / source.name
                    shutil.copy2(source, target)
                    copied.append(target)
        update()
    except (AssistantError, OSError):
        for target in copied:
            target.unlink(missing_ok=True)
        raise
    return documents


def plan_files(settings, doc_id: str) -> list[Path]:
    """The plan file (and its metadata file) of one plan in the corpus."""
    corpus = settings.corpus_dir
    files = [p for p in corpus.iterdir() if p.stem == doc_id and p.suffix.lower() in READERS
             and p.name not in settings.support_files]
    return files + [p for p in (corpus / f"{doc_id}{META_SUFFIX}",) if p.exists()] if files else []


def remove_plan(settings, doc_id: str, update: Callable[[], object]) -> list[Path]:
    """Take one plan out of the corpus and update the index; on failure nothing changes."""
    files = plan_files(settings, doc_id)
    if not files:
        known = "、".join(sorted(p.stem for p in settings.corpus_dir.iterdir()
                                if p.suffix.lower() in READERS and p.name not in settings.support_files))
        raise CorpusError(f"没有编号为“{doc_id}”的规划。可删除的规划：{known}")
    holding = Path(tempfile.mkdtemp(prefix=".removing-", dir=settings.index_dir.parent
                                    if settings.index_dir.parent.exists() else None))
    moved = []
    try:
        for path in files:
            moved.append((shutil.move(str(path), holding / path.name), path))
        update()
    except (AssistantError, OSError):
        for held, original in moved:
            shutil.move(held, original)
        raise
    finally:
        shutil.rmtree(holding, ignore_errors=True)  # after a success: the removed files
    return files
