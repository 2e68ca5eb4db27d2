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
