"""checks: every file in the corpus folder is validated before a build uses it.

A plan must be UTF-8 text, not empty, not binary and within the size limits; its metadata
and the department table must be valid TOML of the expected shape; the jieba dictionary
and the synonyms list must be UTF-8 text. Each problem is a CorpusError whose Chinese
message names the file and the line, found before a build does any work: a plan file that
cannot be read at all is set aside (corpus/.rejected/), any other bad file fails the build and the
last good index keeps serving.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

from .errors import CorpusError, UnreadableFile
from .load import META_SUFFIX, READERS
from .settings import Settings

TEXT_SUFFIXES = (".txt", ".md")  # plans read as text; other formats are checked by size only
SECTOR_LISTS = ("aliases", "headings", "departments", "department_aliases")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # control characters text rarely holds
CONTROL_SHARE = 0.001  # more than one in a thousand characters (or any NUL): a binary file
MB = 1_000_000


def check_corpus(settings: Settings, bad_plan: Callable[[Path, UnreadableFile], None] | None = None) -> None:
    """Raise CorpusError for the first file in corpus_dir that a build cannot use; with
    `bad_plan`, a plan file that cannot be read at all is handed to it instead (it sets it aside)."""
    corpus = settings.corpus_dir
    if not corpus.is_dir():
        raise CorpusError(f"找不到语料目录 {corpus}，请创建它并放入规划文本（.txt 或 .md）。")
    for path in sorted(p for p in corpus.iterdir() if p.is_file()):
        if not path.exists():  # set aside with the plan it describes
            continue
        if path.name == settings.departments_file:
            check_departments(path)
        elif path.name in (settings.user_dict, settings.synonyms):
            read_text(path, "词表文件")
        elif path.suffix == META_SUFFIX:
            check_metadata(path)
        elif path.suffix in READERS:
            try:
                check_plan(path, settings)
            except UnreadableFile as exc:
                if bad_plan is None:
                    raise
                bad_plan(path, exc)


def check_plan(path: Path, settings: Settings) -> None:
    size = path.stat().st_size
    if size > settings.max_document_bytes:
        raise CorpusError(f"规划文件 {path.name} 有 {size / MB:.1f} MB，超过上限 "
                          f"{settings.max_document_bytes / MB:g} MB（配置项 max_document_bytes）。"
                          "请拆分文件，或由管理员调高上限后重建索引。")
    if path.suffix not in TEXT_SUFFIXES:
        return
    text = read_text(path, "规划文件")
    if not text.strip():
        raise UnreadableFile(f"规划文件 {path.name} 是空的，请放入规划全文后重建索引。")
    if len(text) > settings.max_document_chars:
        raise CorpusError(f"规划文件 {path.name} 有 {len(text):,} 字，超过上限 {settings.max_document_chars:,} 字"
                          "（配置项 max_document_chars）。请拆分文件，或由管理员调高上限后重建索引。")


def check_metadata(path: Path) -> dict:
    data = read_toml(path, "元数据文件")
    plan = any(path.with_suffix(suffix).exists() for suffix in READERS)
    if plan and not str(data.get("title") or "").strip():
        raise CorpusError(f"元数据文件 {path.name} 缺少 title（规划标题），请补上，例如 title = \"某某规划\"。")
    return data


def check_departments(path: Path) -> dict:
    data = read_toml(path, "部门对照表")
    text = path.read_text(encoding="utf-8")
    sectors = data.get("sectors", {})
    if not isinstance(sectors, dict):
        raise CorpusError(f"部门对照表 {path.name}：sectors 应为若干 [sectors.\"领域\"] 小节。")
    for name, spec in sectors.items():
        line = _line_of(text, name)
        where = f"部门对照表 {path.name} 第 {line} 行" if line else f"部门对照表 {path.name}"
        if not isinstance(spec, dict):
            raise CorpusError(f"{where}：领域“{name}”应为一个小节 [sectors.\"{name}\"]。")
        for key in SECTOR_LISTS:
            value = spec.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise CorpusError(f"{where}：领域“{name}”的 {key} 应为字符串列表，例如 {key} = [\"…\"]。")
    return data


def read_text(path: Path, what: str) -> str:
    """The file as UTF-8 text; CorpusError naming the file and the first bad line."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UnreadableFile(f"{what} {path.name} 第 {line} 行不是 UTF-8 编码的文本（可能是 GBK 编码或二进制文件）。"
                          "请另存为 UTF-8 后重建索引。") from exc
    controls = [m.start() for m in _CONTROL.finditer(text)]
    if "\x00" in text or len(controls) > CONTROL_SHARE * len(text):
        line = text.count("\n", 0, controls[0]) + 1
        raise UnreadableFile(f"{what} {path.name} 第 {line} 行含有二进制内容（控制字符），不是文本文件。"
                          "请换成纯文本（UTF-8）后重建索引。")
    return text


def read_toml(path: Path, what: str) -> dict:
    text = read_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POSITION.search(str(exc))
        where = f"第 {m.group(1)} 行第 {m.group(2)} 列" if m else ""
        raise CorpusError(f"{what} {path.name} {where}不是合法的 TOML：请检查引号、等号、方括号是否成对，"
                          "字符串是否用英文双引号括起，修正后重建索引。") from exc


def _line_of(text: str, sector: str) -> int:
    """Line of the [sectors."name"] header, 0 when it is written another way."""
    m = re.search(rf'^[ \t]*\[\s*sectors\s*\.\s*"?{re.escape(sector)}"?\s*\]', text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else 0
