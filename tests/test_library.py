"""Adding and removing plans: PDF (as published, and made here with page numbers and a
running header) and DOCX made here from the seed text; only new plans are processed; a
removed plan is never quoted again; a bad file changes nothing."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.errors import CorpusError
from assistant.index import read_manifest
from assistant.text import is_verbatim

from .conftest import ROOT, copy_corpus

PLANS = ROOT.parent / "shared" / "plans"
ANHUI = PLANS / "anhui_14th_fyp_energy_saving_emission_reduction.pdf"
SEED = ROOT / "corpus" / "000_8a2f0d3686d36b01.txt"
needs_plans = pytest.mark.skipif(not PLANS.is_dir(), reason="shared/plans is not beside the checkout")


def seed_paragraphs(place: str) -> list[str]:
    """The seed plan's body lines (after its table of contents), with another place name."""
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    body = lines[lines.index("五、保障措施", lines.index("五、保障措施.....\t- 31 -") + 1) - 200:]
    return [line.replace("塔城", place) for line in body if "\t" not in line][:120]


def seed_pdf(path: Path, place: str) -> Path:
    """A PDF of seed text with page numbers and a running header, lines wrapped at print width."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    width, y, page = 34, 760, 1

    def new_page():
        nonlocal y, page
        c.setFont("STSong-Light", 9)
        c.drawString(200, 40, f"— {page} —")
        c.showPage()
        page += 1
        y = 760

    c.setFont("STSong-Light", 9)
    c.drawString(72, 800, f"{place}节能规划")
    c.setFont("STSong-Light", 12)
    c.drawString(72, 780, f"{place}地区“十四五”节能规划")
    for paragraph in seed_paragraphs(place):
        indent = "" if paragraph[:1] in "一二三四五六七八九十（(1234567890专表" else "　　"
        text = indent + paragraph
        for i in range(0, len(text), width):
            if y < 70:
                new_page()
                c.setFont("STSong-Light", 9)
                c.drawString(72, 800, f"{place}节能规划")
            c.setFont("STSong-Light", 12)
            c.drawString(72, y, text[i:i + width])
            y -= 18
    new_page()
    c.save()
    return path


def seed_docx(path: Path, place: str) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph(f"{place}县“十四五”节能规划")
    for paragraph in seed_paragraphs(place):
        d.add_paragraph(paragraph)
    table = d.add_table(rows=2, cols=3)
    for r, row in enumerate([("指标", "单位", "2025 年目标值"), (f"{place}绿色建筑占比", "%", "97")]):
        for col, value in enumerate(row):
            table.cell(r, col).text = value
    d.save(path)
    return path


@pytest.fixture
def library(tmp_path):
    settings = Settings.load(env={}, corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index",
                             embedding_backend="hash")
    assistant = Assistant(settings)
    assistant.ensure()
    return assistant, settings


def fresh_count(messages: list[str]) -> int:
    last = [m for m in messages if "新处理" in m][-1]
    return int(last.split("新处理 ")[1].split(" ")[0])


@needs_plans
def test_add_pdfs_and_docx_ask_only_they_answer_then_remove_one(library, tmp_path):
    assistant, settings = library
    before = assistant.status().chunk_count
    made_pdf = seed_pdf(tmp_path / "qingyuan.pdf", "青原")
    made_docx = seed_docx(tmp_path / "songxi.docx", "松溪")
    messages: list[str] = []
    added = assistant.add_plans([ANHUI, made_pdf, made_docx], lambda f, m: messages.append(m))
    assert {d.doc_id for d in added} == {ANHUI.stem, "qingyuan", "songxi"}
    new_chunks = assistant.status().chunk_count - before
    assert fresh_count(messages) == new_chunks  # only the new plans were chunked and embedded

    text = assistant.documents["qingyuan"].text
    assert "— 1 —" not in text and "青原节能规划\n" not in text  # page numbers, running header

    answer = assistant.ask("青原的大宗固废综合利用率到2025年要达到多少？")
    assert answer.found and {s.doc for s in answer.sources} == {"qingyuan"}
    assert all(is_verbatim(s.quote, assistant.documents[s.doc].text) for s in answer.sources)
    assert "〔" in answer.text  # several plans indexed: every line names its plan
    table = assistant.ask("松溪绿色建筑占比的2025年目标值是多少？")
    assert table.found and "97%" in table.text and {s.doc for s in table.sources} == {"songxi"}
    anhui = assistant.ask("安徽省秸秆综合利用率要达到多少？")
    assert anhui.found and "95%" in anhui.text and {s.doc for s in anhui.sources} == {ANHUI.stem}

    messages.clear()
    assistant.remove_plan("qingyuan", lambda f, m: messages.append(m))
    assert fresh_count(messages) == 0 and "qingyuan" not in assistant.documents
    assert not (settings.corpus_dir / "qingyuan.pdf").exists()
    for question in ("青原的大宗固废综合利用率到2025年要达到多少？", "大宗固废综合利用率要达到多少？"):
        answer = assistant.ask(question)
        assert all(s.doc != "qingyuan" for s in answer.sources)
    assert all(t.doc_id != "qingyuan" for t in assistant.registry)
    index = assistant.live.index
    assert all(c.doc_id != "qingyuan" for c in index.chunks)
    assert index.vectorstore._collection.count() == len(index.chunks)


def test_a_bad_file_changes_nothing(library, tmp_path):
    assistant, settings = library
    manifest = assistant.status()
    files = sorted(p.name for p in settings.corpus_dir.iterdir())
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    for bad in ("broken.pdf", "notes.xlsx"):
        with pytest.raises(CorpusError):
            assistant.add_plans([tmp_path / bad])
    with pytest.raises(CorpusError, match="已有编号"):
        assistant.add_plans([SEED])
    with pytest.raises(CorpusError, match="没有编号"):
        assistant.remove_plan("no-such-plan")
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == files
    assert assistant.status().build_id == manifest.build_id


def test_add_and_remove_from_the_command_line(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    config = tmp_path / "assistant.toml"
    config.write_text(f'corpus_dir = "{corpus}"\nindex_dir = "{tmp_path / "index"}"\nembedding_backend = "hash"\n',
                      encoding="utf-8")
    doc = seed_docx(tmp_path / "songxi.docx", "松溪")
    run = [sys.executable, "-m", "assistant", "--config", str(config)]
    added = subprocess.run([*run, "add", str(doc)], capture_output=True, text=True)
    assert added.returncode == 0 and "已添加：songxi" in added.stdout, added.stderr
    plans = subprocess.run([*run, "plans"], capture_output=True, text=True, check=True).stdout
    assert "songxi" in plans and "000_8a2f0d3686d36b01" in plans
    asked = subprocess.run([*run, "ask", "--json", "--doc", "songxi", "绿色建筑占比的2025年目标值是多少"],
                           capture_output=True, text=True, check=True).stdout
    data = json.loads(asked)
    assert data["found"] and {s["doc"] for s in data["sources"]} == {"songxi"}
    removed = subprocess.run([*run, "remove", "songxi"], capture_output=True, text=True)
    assert removed.returncode == 0 and "已删除" in removed.stdout
    again = subprocess.run([*run, "ask", "--json", "--doc", "songxi", "绿色建筑占比"], capture_output=True, text=True)
    assert again.returncode == 2 and "没有编号" in again.stderr and "Traceback" not in again.stderr


@needs_plans
def test_one_indicator_across_plans_with_a_plan_column(library):
    import csv
    import io

    from assistant.targets import to_csv

    assistant, _ = library
    assistant.add_plans([ANHUI])
    across = assistant.targets(indicator="规模以上工业单位增加值能耗")
    assert {t.doc_id for t in across} == {"000_8a2f0d3686d36b01", ANHUI.stem}
    rows = list(csv.reader(io.StringIO(to_csv(across))))
    assert rows[0][-1] == "规划" and {r[-1] for r in rows[1:]} == {d.meta.title for d in assistant.documents.values()}
    only = assistant.targets(docs=[ANHUI.stem])
    assert only and all(t.doc_id == ANHUI.stem for t in only)
    answer = assistant.ask("交通领域有哪些目标？")
    assert answer.found and all("〔" in line for line in answer.text.splitlines()[1:] if line.startswith("·"))


def test_the_same_text_under_another_name_is_refused_and_replace_updates_a_plan(library, tmp_path):
    assistant, settings = library
    twin = tmp_path / "copy_of_seed.txt"
    twin.write_text(SEED.read_text(encoding="utf-8").replace("\n", "\n\n"), encoding="utf-8")  # whitespace aside
    with pytest.raises(CorpusError, match="000_8a2f0d3686d36b01"):
        assistant.add_plans([twin])
    assert not (settings.corpus_dir / twin.name).exists()

    assistant.add_plans([seed_docx(tmp_path / "songxi.docx", "松溪")])
    newer = tmp_path / "newer" / "songxi.txt"
    newer.parent.mkdir()
    newer.write_text("松溪县“十四五”节能规划\n一、发展目标\n到2025年，松溪县新建建筑中绿色建筑占比达到88%。\n",
                     encoding="utf-8")
    with pytest.raises(CorpusError, match="--replace"):
        assistant.add_plans([newer])
    assistant.add_plans([newer], replace=True)
    assert not (settings.corpus_dir / "songxi.docx").exists() and (settings.corpus_dir / "songxi.txt").exists()
    answer = assistant.ask("松溪新建建筑中绿色建筑占比要达到多少？")
    assert answer.found and "88%" in answer.text and {s.doc for s in answer.sources} == {"songxi"}


def test_a_plan_removed_or_added_by_another_process_is_served_at_the_next_question(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    config = tmp_path / "assistant.toml"
    config.write_text(f'corpus_dir = "{corpus}"\nindex_dir = "{tmp_path / "index"}"\nembedding_backend = "hash"\n',
                      encoding="utf-8")
    app = Assistant(Settings.load(config, env={}))  # a running app's assistant
    assert app.ask("大宗固废综合利用率要达到多少？").found
    run = [sys.executable, "-m", "assistant", "--config", str(config)]
    doc = seed_docx(tmp_path / "songxi.docx", "松溪")
    subprocess.run([*run, "add", str(doc)], capture_output=True, text=True, check=True)
    table = app.ask("松溪绿色建筑占比的2025年目标值是多少？")
    assert table.found and {s.doc for s in table.sources} == {"songxi"}
    subprocess.run([*run, "remove", "songxi"], capture_output=True, text=True, check=True)
    for question in ("松溪绿色建筑占比的2025年目标值是多少？", "绿色建筑占比要达到多少"):
        assert all(s.doc != "songxi" for s in app.ask(question).sources)
    assert "songxi" not in app.documents


KILL_AT = {  # where a change of plans is killed: what to replace with a SIGKILL of the process
    "reading": "assistant.load.read_plan_text",
    "embedding": "assistant.index._add_chunks",
    "swapping": "assistant.index._write_atomic",  # the manifest's rename
    "moving": "assistant.library._move_into",  # after the swap: the plan file into the corpus
}
KILLER = """
import importlib, os, signal, sys
from pathlib import Path
from assistant import Assistant, Settings
where, config, action, arg = sys.argv[1:5]
module_name, attribute = where.rsplit(".", 1)
module = importlib.import_module(module_name)
original = getattr(module, attribute)
def killed(*args, **kwargs):
    if attribute != "_write_atomic" or args[1] == "manifest.json":
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
setattr(module, attribute, killed)
if action == "remove":
    real_unlink = Path.unlink
    def unlink(self, *args, **kwargs):
        if self.parent.name == "corpus":
            os.kill(os.getpid(), signal.SIGKILL)
        return real_unlink(self, *args, **kwargs)
    Path.unlink = unlink
assistant = Assistant(Settings.load(config))
assistant.add_plans([Path(arg)]) if action == "add" else assistant.remove_plan(arg)
"""


@pytest.mark.parametrize("action,where", [("add", w) for w in KILL_AT] + [("remove", "embedding"),
                                                                            ("remove", "swapping"),
                                                                            ("remove", "moving")])
def test_a_change_of_plans_killed_at_any_step_leaves_corpus_and_project_as_they_were(tmp_path, action, where):
    corpus = copy_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    config = tmp_path / "assistant.toml"
    config.write_text(f'corpus_dir = "{corpus}"\nindex_dir = "{index_dir}"\nembedding_backend = "hash"\n',
                      encoding="utf-8")
    settings = Settings.load(config, env={})
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    doc = seed_docx(incoming / "songxi.docx", "松溪")
    if action == "remove":
        Assistant(settings).add_plans([doc])
    else:
        Assistant(settings).ensure()
    manifest = read_manifest(settings).build_id
    corpus_before = sorted((p.name, p.stat().st_size) for p in corpus.iterdir())
    project_before = sorted(p.name for p in tmp_path.iterdir())

    killed = subprocess.run([sys.executable, "-c", KILLER, KILL_AT[where], str(config), action,
                             str(doc) if action == "add" else "songxi"], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr

    assert sorted((p.name, p.stat().st_size) for p in corpus.iterdir()) == corpus_before
    assert sorted(p.name for p in tmp_path.iterdir()) == project_before
    if where != "moving":  # killed after the swap: the next use rebuilds to match the corpus
        assert read_manifest(settings).build_id == manifest
    after = Assistant(settings)
    present = after.ask("松溪绿色建筑占比的2025年目标值是多少？").sources
    assert all(s.doc == "songxi" for s in present) if action == "remove" else all(s.doc != "songxi" for s in present)
    assert ("songxi" in after.documents) == (action == "remove")
    after.add_plans([seed_docx(incoming / "qingxi.docx", "青溪")])  # the next change clears what the kill left
    assert not list((index_dir / "builds").glob(".staging-*"))
