"""The segmenter: jieba with the domain dictionary, shared by the segmenters of a process."""

from assistant.segment import Segmenter


def test_segmenters_sharing_a_dictionary_tag_its_words_alike(tmp_path):
    user_dict = tmp_path / "userdict.txt"
    user_dict.write_text("绿能示范园 50 n\n", encoding="utf-8")
    first, second = Segmenter(user_dict), Segmenter(user_dict)
    assert "绿能示范园" in first.nouns("建设绿能示范园")
    assert "绿能示范园" in second.nouns("建设绿能示范园")  # the second tagger must not lose the domain tags
