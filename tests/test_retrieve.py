"""The hybrid retriever's fusion: each retriever's best passage survives the cut."""

from types import SimpleNamespace

from assistant.retrieve import HybridRetriever


class _Index:
    """Six passages; lexical search ranks 0 first by far, dense search never finds it."""

    chunks = [SimpleNamespace(id=f"c{i}", text=f"第{i}段", doc_id="规划", section="一、总体要求") for i in range(6)]

    def lexical(self, tokens, n, docs):
        return [(0, 20.0), (1, 7.5), (2, 6.6), (3, 3.9)][:n]

    def dense(self, vector, n, docs):
        return [(4, 0.9), (1, 0.88), (2, 0.87), (3, 0.86), (5, 0.85)][:n]


class _Segmenter:
    def query_tokens(self, question):
        return ["能评"]


class _Embeddings:
    def embed_query(self, question):
        return [0.0]


def _retriever(k):
    return HybridRetriever(index=_Index(), segmenter=_Segmenter(), embeddings=_Embeddings(), k=k)


def test_a_passage_only_lexical_search_ranks_first_is_kept_among_few_hits():
    hits = _retriever(3).search("区域能评有啥要求")
    ids = [h.chunk.id for h in hits]
    assert "c0" in ids and "c4" in ids and len(ids) == 3  # both retrievers' best, then the fused best
    assert ids[0] in ("c1", "c2")  # fused order is kept: one both rank still comes first


def test_with_room_for_all_the_fused_order_is_unchanged():
    hits = _retriever(6).search("区域能评有啥要求")
    assert [h.rank for h in hits] == list(range(1, 7))
    assert [h.chunk.id for h in hits][:3] == ["c1", "c2", "c3"]


def test_the_same_search_is_a_langchain_retriever():
    documents = _retriever(3).as_langchain().invoke("区域能评有啥要求")
    hits = _retriever(3).search("区域能评有啥要求")
    assert [d.page_content for d in documents] == [h.chunk.text for h in hits]
    assert [d.metadata["chunk_id"] for d in documents] == [h.chunk.id for h in hits]
    assert documents[0].metadata["section"] == "一、总体要求" and documents[0].metadata["score"] == hits[0].score


def test_answering_a_question_imports_no_langchain(fake_settings):
    """langchain_core's retrievers, tracers and callbacks cost a one-question `ask` most of a
    second before it answers; the answer path calls Chroma and the embedder directly (a build
    still goes through langchain-chroma)."""
    import subprocess
    import sys

    from assistant import Assistant

    Assistant(fake_settings).ensure()
    s = fake_settings
    code = ("import sys; from assistant import Assistant, Settings; "
            f"s = Settings.load(env={{}}, corpus_dir={str(s.corpus_dir)!r}, index_dir={str(s.index_dir)!r}, "
            "embedding_backend='hash'); "
            "assert Assistant(s).ask('数据中心PUE有什么要求').found; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('langchain_core', 'langsmith', 'langchain_chroma')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
