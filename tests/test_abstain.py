"""The abstention model: fitted on labelled features, rewordings held out with their question."""

import random

import pytest

from assistant.abstain import EvidenceFeatures, fit

pytest.importorskip("sklearn")


def _features(answerable: bool, rng: random.Random) -> EvidenceFeatures:
    covered = rng.uniform(0.6, 1.0) if answerable else rng.uniform(0.0, 0.45)
    return EvidenceFeatures(coverage=covered, answering_coverage=covered, has_answering=float(answerable),
                            how_much=1.0, unknown_words=0.0 if answerable else 1.0, focus_share=covered,
                            dense_top=0.85, agreement=1.0, quantity=1.0, year_held=1.0, rule=float(answerable))


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
