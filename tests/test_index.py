import json

import pytest

from assistant import Assistant
from assistant import index as index_module
from assistant.errors import IndexBuildError
from assistant.index import build_index, ensure_index, read_manifest


def test_build_writes_manifest_and_answers(fake_settings):
    manifest = ensure_index(fake_settings)
    data = json.loads((fake_settings.index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert data["model_id"] == "hash/256" and data["settings"]["chunk_max_chars"] == 220
    assert data["corpus_hash"] == manifest.corpus_hash and manifest.chunk_count > 100
    answer = Assistant(fake_settings).ask("大宗固废综合利用率到2025年要达到多少？")
    assert answer.found and "40%" in answer.text


def test_rebuild_when_corpus_changes(fake_settings):
    first = ensure_index(fake_settings)
    assert ensure_index(fake_settings).build_id == first.build_id  # unchanged: reused
    extra = fake_settings.corpus_dir / "001_extra.txt"
    extra.write_text("一、总则\n\n（一）目标\n\n到 2025 年，森林覆盖率达到 25%。\n", encoding="utf-8")
    second = ensure_index(fake_settings)
    assert second.build_id != first.build_id
    assert second.documents["001_extra"] >= 1
    builds = fake_settings.index_dir / "builds"
    assert (builds / first.build_id).exists()  # the previous build stays for readers that still use it
    extra.write_text("一、总则\n\n（一）目标\n\n到 2025 年，森林覆盖率达到 30%。\n", encoding="utf-8")
    third = ensure_index(fake_settings)
    assert not (builds / first.build_id).exists()  # older than the previous one: removed
    assert {p.name for p in builds.iterdir()} == {second.build_id, third.build_id}


def test_rebuild_when_settings_change(fake_settings):
    first = ensure_index(fake_settings)
    second = ensure_index(fake_settings.replace(chunk_max_chars=150))
    assert second.build_id != first.build_id and second.settings["chunk_max_chars"] == 150


def test_rebuild_when_the_programs_default_data_changes(fake_settings, monkeypatch, tmp_path):
    """A new default cue word or synonym (assistant/data/) changes what an index holds, as
    new code does; a user's override in corpus/ is part of the corpus hash already."""
    import shutil

    from assistant import settings as settings_module

    first = ensure_index(fake_settings)
    data = tmp_path / "data"
    shutil.copytree(settings_module.DATA_DIR, data)
    monkeypatch.setattr(settings_module, "DATA_DIR", data)
    assert ensure_index(fake_settings).build_id == first.build_id  # the same files: reused
    with (data / "synonyms.txt").open("a", encoding="utf-8") as fh:
        fh.write("综合能耗 总能耗\n")
    assert ensure_index(fake_settings).build_id != first.build_id


def test_failed_rebuild_keeps_previous_index(fake_settings, monkeypatch):
    assistant = Assistant(fake_settings)
    before = assistant.ensure()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(index_module, "_build_chroma", broken)
    with pytest.raises(IndexBuildError, match="已保留原有索引"):
        build_index(fake_settings)
    assert read_manifest(fake_settings).build_id == before.build_id
    assert not any(p.name.startswith(".staging") for p in (fake_settings.index_dir / "builds").iterdir())
    fresh = Assistant(fake_settings)  # a new process would load the old, intact index
    assert fresh.ask("数据中心PUE有什么要求").found


def test_embedding_cache_is_reused(fake_settings, monkeypatch):
    build_index(fake_settings)
    calls = []
    from assistant.embed import HashEmbeddings

    original = HashEmbeddings.embed_documents
    monkeypatch.setattr(HashEmbeddings, "embed_documents",
                        lambda self, texts: calls.append(len(texts)) or original(self, texts))
    build_index(fake_settings)
    assert sum(calls) == 0  # every passage vector came from the cache


def _counted(index):
    """The text table and idf as a full count over the build's own texts and tokens gives them."""
    import math
    from collections import Counter

    from assistant.grams import CountTable, text_grams
    from assistant.text import squash

    docs = list(index.documents.values())
    text = CountTable.combined(text_grams(index.segmenter.canonical(squash(d.text)).lower()) for d in docs)
    tokens = json.loads((index.path / index_module.TOKENS).read_text(encoding="utf-8"))
    df = Counter(t for row in tokens for t in set(row))
    n = len(tokens)
    idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
    return text, idf


def _same(a, b) -> bool:
    import numpy as np

    return np.array_equal(np.asarray(a.keys), np.asarray(b.keys)) and np.array_equal(np.asarray(a.counts),
                                                                                      np.asarray(b.counts))


def test_incremental_builds_keep_the_character_tables_and_idf_exact(fake_settings):
    """Adding and removing a plan adds and subtracts its counts: the tables, and the idf read
    off the lexical index, equal a full count over the build's texts and tokens."""
    ensure_index(fake_settings)
    extra = fake_settings.corpus_dir / "001_extra.txt"
    extra.write_text("一、总则\n\n（一）目标\n\n到 2025 年，森林覆盖率达到 25%，湿地保护率达到 55%。\n", encoding="utf-8")
    for step in ("add", "remove"):
        if step == "remove":
            extra.unlink()
        build_index(fake_settings, incremental=True)
        assistant = Assistant(fake_settings)
        index = assistant.index
        text, idf = _counted(index)
        assert _same(index.grams, text)
        assert dict(index.idf) == idf and index.unseen_idf() == max(idf.values()) + 1.0
        assert ("森林" in index.idf) == (step == "add")


def test_lookups_find_what_the_scans_found(fake_settings):
    """The structure lookups (headings, tables, 专栏/表 numbers) give what scanning every block gave."""
    from assistant.structure import find_scope, outline_subject, table_lookup

    assistant = Assistant(fake_settings)
    live = assistant.live
    questions = ["专栏2有哪些内容", "表1里2025年的目标是多少", "表 3 列了什么", "第三章讲了什么", "主要任务有哪些",
                 "交通运输领域的节能有哪些措施", "单位地区生产总值能耗2025年下降多少", "专栏99有什么", "重点工程包括哪些"]
    for q in questions:
        assert find_scope(q, live.parsed, live.lookup) == find_scope(q, live.parsed)
        assert outline_subject(q, live.parsed, live.ask_cues, live.lookup) == outline_subject(q, live.parsed, live.ask_cues)
        assert table_lookup(q, live.parsed, live.ask_cues, live.lookup) == table_lookup(q, live.parsed, live.ask_cues)


def test_a_build_keeps_the_plans_abbreviations_as_they_would_be_worked_out_at_start(fake_settings):
    from assistant import Assistant
    from assistant.understand import Abbreviations

    assistant = Assistant(fake_settings)
    assistant.ensure()
    live = assistant.live
    kept = live.index.abbreviations
    assert kept["工园"] == "工业园区"  # a term the seed plan prints, written out
    assert kept == Abbreviations.of_plans((d.text for d in live.documents.values()), live.index.word_counts, live.segmenter).full
    assert live.abbreviations.full == kept


def test_a_build_keeps_its_segmenters_dictionaries_for_the_next_start(fake_settings, monkeypatch):
    import jieba

    import assistant.segment as segment

    manifest = ensure_index(fake_settings)
    builds = fake_settings.index_dir / "builds"
    [snapshot] = (builds / manifest.build_id).glob("segmenter-*.pickle")
    assert snapshot.stat().st_size > 0
    rebuilt = build_index(fake_settings)  # the same dictionaries: the file is linked, not written again
    assert (builds / rebuilt.build_id / snapshot.name).samefile(snapshot)
    for table in ("_TOKENIZERS", "_TAGGERS", "_SNAPSHOT_TAGS"):  # a new process
        monkeypatch.setattr(segment, table, {})
    monkeypatch.setattr(jieba.Tokenizer, "initialize", lambda *_: pytest.fail("jieba's own files read at start"))
    answer = Assistant(fake_settings).ask("大宗固废综合利用率到2025年要达到多少？")
    assert answer.found and "40%" in answer.text


def test_a_build_says_how_long_the_rest_of_its_vectors_will_take(fake_settings):
    steps = []
    build_index(fake_settings, progress=lambda fraction, message: steps.append(message))
    vectors = [m for m in steps if m.startswith("计算语义向量")]
    assert len(vectors) > 2 and "预计还需约" in vectors[1] and "预计还需约" not in vectors[-1]
