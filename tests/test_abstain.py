"""The abstention model: fitted on labelled features, rewordings held out with their question."""

import random

import pytest

from assistant.abstain import EvidenceFeatures, fit

pytest.importorskip("sklearn")


def _features(answerable: bool, rng: random.Random) -> EvidenceFeatures:
    covered = rng.uniform(0.6, 1.0) if answerable else rng.uniform(0.0, 0.45)
    return EvidenceFeatures(coverage=covered, answering_coverage=covered, has_answering=float(answerable),
                            how_much=1.0, unknown_words=0.0 if answerable else 1.0, focus_share=covered,
                            dense_top=0.85, agreement=1.0, quantity=1.0, year_held=1.0, focus_in_sentence=covered,
                            kind_asked=0.0, kind_held=1.0, rule=float(answerable))


def test_fit_separates_answerable_from_not_and_holds_twins_out_together():
    rng = random.Random(7)
    rows = []
    for n in range(40):
        answerable = n % 3 != 0
        for _twin in ("", "-p1", "-p2"):  # a question and its two rewordings: one group
            rows.append((_features(answerable, rng), answerable, f"q{n}"))
    model, figures = fit(rows, folds=5)
    assert figures["items"] == 120 and figures["folds"] == 5
    assert figures["cv_accuracy"] >= 0.95
    assert model.decide(_features(True, rng))[1] == "answered"
    assert model.decide(_features(False, rng))[1] == "not_found"


def test_fit_by_plan_holds_each_plan_out_in_turn_and_scores_the_model_in_use():
    rng = random.Random(11)
    rows = [(_features(n % 3 != 0, rng), n % 3 != 0, f"plan{n % 4}") for n in range(80)]
    model, figures = fit(rows, by_plan=True)
    assert figures["folds"] == 4 and figures["cross_validation"] == "leave one plan out"
    assert set(figures["by_plan"]) == {"plan0", "plan1", "plan2", "plan3"}
    assert min(figures["by_plan"].values()) >= 0.9
    _, again = fit(rows, by_plan=True, current=model)
    assert again["current_accuracy"] >= 0.95  # fitted on these rows: it scores them well


def test_a_model_fitted_on_another_embedders_similarities_is_not_used(fake_settings):
    from assistant import Assistant
    from assistant.abstain import AbstentionModel

    shipped = AbstentionModel.load()
    assert shipped.embedder  # the shipped weights say which dense model they were fitted on
    assistant = Assistant(fake_settings)  # the hash embedder
    assert assistant.abstention is None  # its similarities mean nothing to those weights: the coverage rule decides


def test_a_kind_of_answer_asked_that_the_best_sentence_lacks_only_relates():
    import dataclasses

    rng = random.Random(11)
    rows = [(_features(n % 3 != 0, rng), n % 3 != 0, f"q{n}") for n in range(60)]
    model, _ = fit(rows, folds=5)
    strong = _features(True, rng)
    assert model.decide(strong)[1] == "answered"
    no_year = dataclasses.replace(strong, kind_asked=1.0, kind_held=0.0)  # 哪年投产, no year in the sentence
    assert model.decide(no_year)[1] == "related"
    assert model.decide(dataclasses.replace(strong, kind_asked=1.0, kind_held=1.0))[1] == "answered"


def test_a_unit_asked_is_held_by_a_number_with_a_magnitude_between():
    from assistant.settings import DATA_DIR
    from assistant.structure import AskCues

    cues = AskCues.load(DATA_DIR / "ask_cues.toml")
    assert cues.kind_held("照明改造能省下多少标准煤", "累计实现节能量1万吨标准煤") == (True, True)
    assert cues.kind_held("项目总投资多少", "建设中水回用项目") == (True, False)
    assert cues.kind_held("政府投资的项目优先用什么方式", "优先采用钢结构")[0] is False  # 政府投资 asks no sum
    assert cues.kind_held("平台要具备几个特征", "六大特征")[0] is False  # 几个: any count answers
