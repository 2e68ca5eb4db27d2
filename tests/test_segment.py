"""The segmenter: jieba with the domain dictionary, shared by the segmenters of a process."""

from assistant.segment import Segmenter


def test_segmenters_sharing_a_dictionary_tag_its_words_alike(tmp_path):
    user_dict = tmp_path / "userdict.txt"
    user_dict.write_text("绿能示范园 50 n\n", encoding="utf-8")
    first, second = Segmenter(user_dict), Segmenter(user_dict)
    assert "绿能示范园" in first.nouns("建设绿能示范园")
    assert "绿能示范园" in second.nouns("建设绿能示范园")  # the second tagger must not lose the domain tags


def test_content_terms_leave_out_words_that_only_say_how_it_is_asked():
    segmenter = Segmenter()
    terms = segmenter.content_terms("重点用能企业摸底下来每年有两个评价")
    assert "摸底" in terms and "企业" in terms and "评价" in terms
    assert not {"下来", "每年", "两个"} & set(terms)  # time word, pronoun, numeral


def test_a_word_jieba_makes_up_counts_by_what_the_tagger_reads_inside_it():
    segmenter = Segmenter()
    assert "往外" not in segmenter.content_terms("塔城往外输出了多少电")  # 往 (preposition) + 外
    subject = segmenter.content_terms("新疆天舜铂鑫环保科技的项目", nouns=True)
    assert any("天舜" in w for w in subject)  # a name jieba does not know is still a noun


def test_subject_words_are_nouns_not_verbs_or_adjectives():
    segmenter = Segmenter()
    nouns = segmenter.content_terms("能耗强度平均每年下降多少", nouns=True)
    assert "强度" in nouns and "平均" not in nouns and "下降" not in nouns


def test_question_tokens_leave_out_pronouns_and_wrong_cuts_but_keep_ordinals_and_time_words():
    segmenter = Segmenter()
    tokens = segmenter.query_tokens("电力热力生产供应业有几家")
    assert "业有" not in tokens and "热力" in tokens  # 供应业|有 cut in the wrong place
    assert "那年" not in segmenter.query_tokens("2020年收官那年能耗增量")
    assert "中期" in segmenter.query_tokens("规划的中期评估在哪一年")  # what such a question turns on
    assert segmenter.query_tokens("那年")  # a question of nothing else keeps its words


def test_the_corpus_synonyms_read_everyday_wordings_as_the_plans_word():
    from .conftest import ROOT

    segmenter = Segmenter(ROOT / "assistant" / "data" / "userdict.txt", ROOT / "assistant" / "data" / "synonyms.txt")
    assert segmenter.canonical("能耗强度平均每年下降多少") == segmenter.canonical("能耗强度年均下降多少")
    assert segmenter.canonical("规上工业") == "规模以上工业"
    # a plan writes its counties three ways; a question writes them a fourth
    assert {segmenter.canonical(w) for w in ("县市", "县（市）", "市（县）", "市县")} == {"县市"}
    # the table's row says 输入/出, its text says 调入: one word for each direction
    assert segmenter.canonical("外地调入的电") == "外地输入的电" and segmenter.canonical("调出") == "输出"


def test_the_domain_dictionary_keeps_the_plans_energy_user_words_in_a_question():
    from .conftest import ROOT

    segmenter = Segmenter(ROOT / "assistant" / "data" / "userdict.txt", ROOT / "assistant" / "data" / "synonyms.txt")
    words = segmenter.query_words("排查出的重点用能企业里有哪些属于化工行业")
    assert "重点用能企业" in words  # not 重点 + 企业 with 用能 dropped as a made-up word
    assert "用能" in segmenter.query_words("园区用能结构怎么调整")


def test_asking_for_things_to_do_names_no_subject():
    segmenter = Segmenter()
    assert "事情" not in segmenter.content_terms("住建局牵头要办哪些事情")  # 事情 is how it is asked


def test_a_word_made_only_of_function_characters_says_nothing_about_the_subject():
    segmenter = Segmenter()
    assert segmenter.is_function_phrase("是从")  # 是 + 从: how it is asked (能耗是从多少降到多少)
    assert segmenter.is_function_phrase("都要")
    assert not segmenter.is_function_phrase("能耗")
    assert not segmenter.is_function_phrase("kw")  # letters are a unit someone typed, not a particle


def test_a_demonstrative_with_a_count_points_back_and_names_nothing():
    terms = Segmenter().content_terms("规划对公交和出租车这两块是怎么安排的")
    assert "这两块" not in terms and "公交" in terms


def test_a_space_between_chinese_characters_splits_no_word():
    segmenter = Segmenter()
    assert "节能" in segmenter.words("等形式的节 能宣传宣讲活动")  # a PDF line break inside 节能
    assert segmenter.canonical("控制在 1.5 以下") == "控制在 1.5 以下"  # a space beside a number stays


def test_a_tagger_reads_the_tags_of_its_tokenizers_dictionary():
    import jieba

    from assistant.segment import _tagger_for

    tagger = _tagger_for(jieba.Tokenizer())
    assert tagger.word_tag_tab["能源"] == "n" and len(tagger.word_tag_tab) > 300_000


def _fresh_process(monkeypatch):
    """No tokenizer loaded yet, as in a new process."""
    import assistant.segment as segment

    for table in ("_TOKENIZERS", "_TAGGERS", "_SNAPSHOT_TAGS"):
        monkeypatch.setattr(segment, table, {})


def test_a_snapshot_loads_the_same_words_and_tags_as_jiebas_own_files(tmp_path, monkeypatch):
    user_dict = tmp_path / "userdict.txt"
    user_dict.write_text("绿能示范园 50 n\n", encoding="utf-8")
    question = "建设绿能示范园，能耗强度下降多少"
    read = Segmenter(user_dict)
    read.save_snapshot(tmp_path)
    expected = (read.words(question), read.tagged_terms(question), read.nouns(question))

    _fresh_process(monkeypatch)
    import jieba
    import jieba.posseg

    def read_files(*_):
        raise AssertionError("jieba's dictionary files read despite the snapshot")

    monkeypatch.setattr(jieba.Tokenizer, "initialize", read_files)
    monkeypatch.setattr(jieba.posseg.POSTokenizer, "load_word_tag", read_files)
    loaded = Segmenter(user_dict, snapshots=tmp_path)
    assert (loaded.words(question), loaded.tagged_terms(question), loaded.nouns(question)) == expected
    assert "绿能示范园" in loaded.nouns(question)


def test_a_snapshot_of_other_dictionaries_or_one_that_does_not_read_is_passed_over(tmp_path, monkeypatch):
    user_dict = tmp_path / "userdict.txt"
    user_dict.write_text("绿能示范园 50 n\n", encoding="utf-8")
    old = Segmenter(user_dict).save_snapshot(tmp_path)
    user_dict.write_text("绿能示范园 50 n\n零碳服务站 50 n\n", encoding="utf-8")  # a word added since
    (tmp_path / "later").mkdir()
    new = Segmenter(user_dict).save_snapshot(tmp_path / "later", earlier=tmp_path)  # not the old one linked
    assert new.name != old.name and not new.samefile(old)
    new.rename(tmp_path / new.name)  # a snapshot of other dictionaries by the name of these
    old.rename(tmp_path / new.name)

    _fresh_process(monkeypatch)
    assert "零碳服务站" in Segmenter(user_dict, snapshots=tmp_path).nouns("建零碳服务站")

    (tmp_path / new.name).write_bytes(b"not a pickle")
    _fresh_process(monkeypatch)
    assert "零碳服务站" in Segmenter(user_dict, snapshots=tmp_path).nouns("建零碳服务站")
