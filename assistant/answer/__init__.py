"""answer: a question's evidence -> an extractive Answer made of the plan's own sentences.

No LLM: an answer quotes the plan verbatim, each quote with a marker [n] that points to its
Source, and states no number its quotes lack (`check_numbers`). One module per kind of answer:

- passages: the sentences retrieval found that answer (or 可能相关 / 规划中未找到), decided
  by the fitted abstention model; evidence ranks the sentences, words weighs the question's
  words, layout finds a passage's paragraph, row and items.
- targets: a sector's or department's targets from the registry; a department's own tasks.
- outline, table, docfacts: answers read off the plan's structure (structure.py finds what
  the question names).
- sectors: what the plan asks of a sector, section by section.
- parts: answers put together (a question in parts; a table answer with the text's words).
- quotes: citations, labels and the number check every kind shares.
"""

from .docfacts import answer_doc_fact
from .evidence import HOW_MUCH, asks_amount
from .outline import answer_outline
from .parts import compose_across_plans, compose_parts, with_text
from .passages import Composer
from .quotes import (
    NO_SUCH_PART,
    NOT_FOUND,
    RELATED_HEAD,
    Evidence,
    NumberFaithfulnessError,
    check_numbers,
    confirmed,
    plan_label,
    span_source,
    why,
)
from .sectors import compose_sections
from .table import answer_table, row_cells
from .targets import (
    by_question,
    compose_mentions,
    compose_named_department,
    compose_targets,
    compose_task_departments,
    department_matches,
    strip_region,
    targets_by_doc,
)

__all__ = [
    "HOW_MUCH", "NO_SUCH_PART", "NOT_FOUND", "RELATED_HEAD", "Composer", "Evidence", "NumberFaithfulnessError",
    "answer_doc_fact", "answer_outline", "answer_table", "asks_amount", "by_question", "check_numbers", "confirmed",
    "compose_across_plans", "compose_mentions", "compose_named_department", "compose_parts", "compose_sections",
    "compose_targets", "compose_task_departments",
    "department_matches", "plan_label", "row_cells", "span_source", "strip_region", "targets_by_doc", "why",
    "with_text",
]
