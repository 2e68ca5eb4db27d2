"""retrieve: hybrid search, dense (Chroma) + lexical (BM25), fused by reciprocal rank fusion."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from .types import Hit


@dataclass(frozen=True)
class HybridRetriever:
    """Each Hit keeps its lexical and dense ranks and scores, so a reader can see why it came up.
    `as_langchain()` is the same search as a langchain BaseRetriever; the retriever itself is
    not one, because importing langchain_core's retrievers (and langsmith's tracers with them)
    takes half a second that a one-question `ask` would pay before answering."""

    index: Any
    segmenter: Any
    embeddings: Any
    k: int = 8
    candidates: int = 30
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    context_words: frozenset = frozenset()  # the plans' title words: every passage is about them

    def search(self, question: str, k: int | None = None, docs: frozenset[str] | None = None) -> list[Hit]:
        """The best chunks for a question, from the plans in `docs` (all plans when None)."""
        k = k or self.k
        tokens = self.segmenter.query_tokens(question)
        specific = [t for t in tokens if t not in self.context_words]
        lexical = self.index.lexical(specific or tokens, self.candidates, docs)
        dense = self.index.dense(self.embeddings.embed_query(question), self.candidates, docs)
        fused: dict[int, dict] = {}
        for name, weight, ranking in (("lexical", self.lexical_weight, lexical),
                                      ("dense", self.dense_weight, dense)):
            for rank, (position, score) in enumerate(ranking, start=1):
                entry = fused.setdefault(position, {"score": 0.0})
                entry["score"] += weight / (self.rrf_k + rank)
                entry[f"{name}_rank"] = rank
                entry[f"{name}_score"] = score
        # each retriever's best passage is kept: one only lexical search finds (a word nothing
        # else holds: 能评), however far ahead, fuses to half the score of one both rank lower
        kept = {ranking[0][0] for ranking in (lexical, dense) if ranking}
        ranked = sorted(fused.items(), key=lambda item: -item[1]["score"])
        kept.update([position for position, _ in ranked if position not in kept][:max(0, k - len(kept))])
        order = [item for item in ranked if item[0] in kept][:k]
        return [Hit(chunk=self.index.chunks[position], rank=rank, **entry)
                for rank, (position, entry) in enumerate(order, start=1)]

    def as_langchain(self):
        """This search as a langchain_core BaseRetriever (`.invoke(question)` -> Documents)."""
        return _langchain_retriever_class()(hybrid=self)


@functools.cache
def _langchain_retriever_class():
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class LangChainRetriever(BaseRetriever):
        """A HybridRetriever's hits as langchain Documents, with their ranks in the metadata."""

        model_config = ConfigDict(arbitrary_types_allowed=True)
        hybrid: Any

        def _get_relevant_documents(self, query: str, *,
                                    run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
            return [LCDocument(page_content=h.chunk.text,
                               metadata={"chunk_id": h.chunk.id, "doc_id": h.chunk.doc_id,
                                         "section": h.chunk.section, "score": h.score,
                                         "lexical_rank": h.lexical_rank, "dense_rank": h.dense_rank})
                    for h in self.hybrid.search(query)]

    return LangChainRetriever
