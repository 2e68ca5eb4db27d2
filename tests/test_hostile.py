"""Hostile and heavy plan files: each is built here (no large binaries in the repository),
refused within seconds and in bounded memory, and leaves the corpus folder, the live index
and the project folder as they were, with the old index answering right after."""

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.chunk import chunk
from assistant.errors import CorpusError
from assistant.load import read_document
from assistant.parse import parse
from assistant.readers import read_docx

from .conftest import copy_corpus

SEED_QUESTION = "大宗固废综合利用率到2025年要达到多少？"
REFUSED_WITHIN = 10.0  # seconds
PEAK_RSS_MB = 600


def docx_bomb(path: Path, inflated_mb: int) -> Path:
    """A .docx whose document.xml inflates to `inflated_mb` MB of one repeated paragraph."""
    paragraph = ("<w:p><w:r><w:t>" + "节能" * 200 + "</w:t></w:r></w:p>").encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            block = paragraph * (1_000_000 // len(paragraph))
            for _ in range(inflated_mb):
                member.write(block)
            member.write(b"</w:body></w:document>")
    return path


def ascii_pdf(path: Path, pages: int, chars_per_page: int = 600) -> Path:
    """Text with no Chinese sentence punctuation at all, `pages` pages of it."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    line = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    for page in range(pages):
        text = (line * (chars_per_page // len(line) + 1))[:chars_per_page]
        for row in range(0, len(text), 90):
            c.drawString(40, 800 - row // 90 * 14, text[row:row + 90])
        c.drawString(40, 30, f"page {page}")
        c.showPage()
    c.save()
    return path


@pytest.fixture
def project(tmp_path):
    """A project folder: corpus (the seed plan), index built with the hash embedder, config."""
    corpus = copy_corpus(tmp_path / "corpus")
    config = tmp_path / "assistant.toml"
    config.write_text(f'corpus_dir = "{corpus}"\nindex_dir = "{tmp_path / "index"}"\nembedding_backend = "hash"\n',
                      encoding="utf-8")
    settings = Settings.load(config, env={})
    Assistant(settings).ensure()
    return settings, config


def snapshot(settings: Settings) -> dict:
    """What a failed change must leave as it was."""
    root = settings.index_dir.parent
    return {"corpus": sorted((p.name, p.stat().st_size) for p in settings.corpus_dir.iterdir()),
            "project": sorted(p.name for p in root.iterdir()),
            "manifest": json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))["build_id"]}


MEASURED = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True)
sys.stdout.buffer.write(done.stdout)
sys.stderr.buffer.write(done.stderr)
sys.stderr.write(f"\\nPEAK_RSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(done.returncode)
"""


def cli(config: Path, *args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run the CLI; (result, seconds, peak RSS in MB of it and of every process it started),
    measured by a parent of its own (this test process's children include earlier tests')."""
    began = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURED, sys.executable, "-m", "assistant", "--config", str(config),
                             *args], capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - began
    result.stderr, _, peak = result.stderr.rpartition("\nPEAK_RSS_KB=")
    return result, seconds, int(peak) / 1024


def assert_refused_and_unchanged(project, path: Path, reason: str) -> None:
    settings, config = project
    before = snapshot(settings)
    result, seconds, peak_mb = cli(config, "add", str(path))
    assert result.returncode == 2 and reason in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert seconds < REFUSED_WITHIN and peak_mb < PEAK_RSS_MB, (seconds, peak_mb)
    assert snapshot(settings) == before
    answer = Assistant(settings).ask(SEED_QUESTION)
    assert answer.found and "40%" in answer.text


def test_a_docx_that_inflates_to_400_mb_is_refused_from_its_zip_directory(project, tmp_path):
    bomb = docx_bomb(tmp_path / "bomb.docx", 400)
    assert bomb.stat().st_size < 3_000_000
    assert_refused_and_unchanged(project, bomb, "max_unzipped_bytes")


def test_a_docx_bomb_is_stopped_by_its_ratio_its_size_or_its_text(tmp_path):
    bomb = docx_bomb(tmp_path / "bomb.docx", 30)
    with pytest.raises(CorpusError, match="压缩比异常"):
        read_docx(bomb, Settings().read_limits())
    limits = Settings(max_zip_ratio=1e9, max_unzipped_bytes=20_000_000).read_limits()
    with pytest.raises(CorpusError, match="max_unzipped_bytes"):
        read_docx(bomb, limits)
    began = time.perf_counter()
    limits = Settings(max_zip_ratio=1e9).read_limits()  # streamed until the character limit
    with pytest.raises(CorpusError, match="max_document_chars"):
        read_docx(bomb, limits)
    assert time.perf_counter() - began < REFUSED_WITHIN


def test_a_3000_page_pdf_is_refused_by_its_page_count_before_any_text_is_read(project, tmp_path):
    pdf = ascii_pdf(tmp_path / "huge.pdf", 3000, chars_per_page=90)
    assert_refused_and_unchanged(project, pdf, "max_document_pages")


def test_a_pdf_over_the_character_limit_stops_being_read_when_it_passes_it(tmp_path):
    pdf = ascii_pdf(tmp_path / "long.pdf", 40, chars_per_page=1500)
    with pytest.raises(CorpusError, match="max_document_chars"):
        read_document(pdf, Settings(max_document_chars=20_000).read_limits())


def test_a_reader_that_runs_out_of_memory_or_time_costs_its_child_process_only(tmp_path):
    pdf = ascii_pdf(tmp_path / "plan.pdf", 3)
    with pytest.raises(CorpusError, match="read_memory_mb"):
        read_document(pdf, Settings(read_memory_mb=20).read_limits())
    with pytest.raises(CorpusError, match="read_timeout_seconds"):
        read_document(pdf, Settings(read_timeout_seconds=0.01).read_limits())


def test_a_file_that_is_no_regular_file_or_has_a_bad_name_is_refused(project, tmp_path):
    settings, config = project
    link = tmp_path / "passwd.txt"
    link.symlink_to("/etc/passwd")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    long_name = tmp_path / ("规" * 80 + ".txt")
    for path, reason in ((link, "符号链接"), (folder, "不是普通文件"), (long_name, "文件名过长"),
                         (Path("/dev/null.txt"), "找不到文件")):
        before = snapshot(settings)
        with pytest.raises(CorpusError, match=reason):
            Assistant(settings).add_plans([path])
        assert snapshot(settings) == before


def test_a_plan_with_no_chinese_punctuation_is_chunked_within_the_limit_and_answers_fast(tmp_path):
    words = [f"item{i} energy saving target value" for i in range(20000)]
    text = "一、Plan without punctuation\n" + " ".join(words)[:499_000] + "\n"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ascii.txt").write_text(text, encoding="utf-8")
    settings = Settings.load(env={}, corpus_dir=corpus, index_dir=tmp_path / "index", embedding_backend="hash")
    document = read_document(corpus / "ascii.txt", settings.read_limits())
    chunks = chunk(parse(document), settings.chunk_max_chars)
    assert max(len(c.text) for c in chunks) <= settings.chunk_max_chars
    assistant = Assistant(settings)
    assistant.warm_up()  # what the app does at start: the time asked for is the answer's
    began = time.perf_counter()
    answer = assistant.ask("item1234 energy saving target value 是多少")
    assert time.perf_counter() - began < 2.0
    assert all(len(s.quote) <= 1000 for s in answer.sources)
