"""The chooser: every strategy proposes, one fitted model picks; fitted leaving one plan out."""

import random

import pytest

from assistant.choose import (
    FEATURE_NAMES,
    ChooserModel,
    ProposalFeatures,
    choose,
    describe,
    fit,
    pick,
    relative,
    right,
)
from assistant.types import Answer, EvalItem, Proposal, Source

OUTLINE = Answer(question="q", text="‘三、主要任务’下列有：（一）推进工业节能[1]", found=True, intent="outline",
                 sources=(Source(doc="p", title="甲", section="三", quote="（一）推进工业节能", score=1.0, start=0, end=9),))
PASSAGE = Answer(question="q", text="规划原文如下：\n· 到2025年，工业能耗下降14%[1]", found=True, confidence=0.9,
                 sources=(Source(doc="p", title="甲", section="三", quote="到2025年，工业能耗下降14%", score=1.0,
                                 start=20, end=34),))


def _model(**weights) -> ChooserModel:
    """A hand-set model: unit scale, the named features weighted, the rest 0."""
    n = len(FEATURE_NAMES)
    return ChooserModel(mean=(0.0,) * n, scale=(1.0,) * n, intercept=0.0, margin=0.1,
                        coef=tuple(weights.get(name, 0.0) for name in FEATURE_NAMES))


def test_pick_keeps_the_first_unless_another_scores_a_margin_higher():
    assert pick([0.6, 0.65, 0.2], margin=0.1) == 0
    assert pick([0.6, 0.75, 0.8], margin=0.1) == 2
    assert pick([0.3], margin=0.0) == 0


def test_describe_measures_what_a_proposal_offers():
    features = describe(Proposal("passages", PASSAGE), first=False, terms=["工业", "能耗", "碳排放"], asks_amount=True)
    assert features.coverage == pytest.approx(2 / 3) and features.states_amount == 1.0  # 14, not the year 2025
    assert features.confidence == 0.9 and features.first == 0.0
    assert features.vector()[len(FEATURE_NAMES) - 2] == 1.0  # is_passages (heading_outline comes last)
    outline = describe(Proposal("outline", OUTLINE), first=True, terms=["工业"], asks_amount=True)
    assert outline.states_amount == 0.0 and outline.confidence == 1.0
    gains = relative([outline, features])  # each measured against the first proposal too
    assert gains[0].coverage_gain == 0.0 and gains[1].coverage_gain == pytest.approx(features.coverage - outline.coverage)


def test_choose_takes_the_better_proposal_and_gives_a_structural_answer_the_model_s_confidence():
    proposals = [Proposal("outline", OUTLINE), Proposal("passages", PASSAGE)]
    described = [describe(p, i == 0, ["能耗", "下降"], True) for i, p in enumerate(proposals)]
    amounts = _model(coverage=4.0, states_amount=2.0)
    assert choose(amounts, proposals, described) == PASSAGE  # a how-much question: the sentence with the figure
    outlines = _model(is_outline=3.0)
    chosen = choose(outlines, proposals, described)
    assert chosen.text == OUTLINE.text and 0.5 < chosen.confidence < 1.0  # fitted, not the fixed 1.0
    assert choose(None, proposals, described) == OUTLINE  # no model: the fixed order


def test_right_needs_every_key_fact_or_a_refusal_for_what_the_plan_does_not_say():
    item = EvalItem(id="q", question="q", type="fact", answerable=True, key_facts=("14%",))
    assert right(PASSAGE, item) and not right(OUTLINE, item)
    unanswerable = EvalItem(id="u", question="q", type="out_of_scope", answerable=False)
    assert right(Answer(question="q", text="规划中未找到", found=False), unanswerable)
    assert not right(PASSAGE, unanswerable)


def _rows(n: int, rng: random.Random) -> list[tuple]:
    """Questions where the cascade's first proposal (an outline) is right a third of the time,
    and the right proposal covers the question's words better."""
    rows = []
    for q in range(n):
        outline_right = q % 3 == 0
        described = [
            ProposalFeatures(first=1.0, found=1.0, confidence=1.0, coverage=rng.uniform(0.6, 1.0) if outline_right
                             else rng.uniform(0.0, 0.4), asks_amount=0.0, states_amount=0.0, sources=0.5,
                             section_named=0.5, strategy="outline"),
            ProposalFeatures(first=0.0, found=1.0, confidence=0.8, coverage=rng.uniform(0.0, 0.4) if outline_right
                             else rng.uniform(0.6, 1.0), asks_amount=0.0, states_amount=1.0, sources=0.2,
                             section_named=0.5, strategy="passages"),
        ]
        rows.append((described, [outline_right, not outline_right], f"q{q}", f"plan{q % 4}"))
    return rows


def test_fit_holds_each_plan_out_and_beats_the_fixed_order():
    pytest.importorskip("sklearn")
    model, figures = fit(_rows(120, random.Random(3)))
    assert figures["cross_validation"] == "leave one plan out" and figures["plans"] == 4
    assert figures["cv_right_first"] == pytest.approx(1 / 3, abs=0.01)
    assert figures["cv_right_chosen"] >= 0.95 and figures["cv_right_any"] == 1.0
    assert set(figures["by_plan"]) == {"plan0", "plan1", "plan2", "plan3"}
    assert 0.0 <= model.margin <= 1.0 and len(model.coef) == len(FEATURE_NAMES)


@pytest.mark.slow
def test_every_strategy_proposes_and_the_answer_is_the_chosen_proposal(real_assistant):
    question = "发展现状部分写了哪几方面"  # an outline, and passages that mention 发展现状
    proposals, described = real_assistant.proposals(question)
    strategies = [p.strategy for p in proposals]
    assert strategies[0] == "outline" and strategies[-1] == "passages"
    assert described[0].first == 1.0 and all(d.first == 0.0 for d in described[1:])
    answer = real_assistant.ask(question)
    assert answer.text in {p.answer.text for p in proposals}
    if real_assistant.live.chooser is not None:  # a structural answer's confidence is the chooser's, not 1.0
        assert answer.confidence is not None and answer.confidence < 1.0
