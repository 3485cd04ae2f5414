from memsvc.stores.lexical import fts_match
from memsvc.stores.partitions import parse_partition, partition_key

from memsvc.domain.text import content_words, words


def test_words_cut_possessives_and_keep_contractions() -> None:
    assert words("Rex's bowl, don't MOVE it") == ["rex", "bowl", "don't", "move", "it"]
    assert content_words("What did I buy for my sister?") == ["buy", "sister"]


def test_partition_keys_round_trip_awkward_ids() -> None:
    key = partition_key("t/1", "user 7|x", "turn")
    assert parse_partition(key) == ("t/1", "user 7|x", "turn")
    assert parse_partition(partition_key("t", None, "fact")) == ("t", None, "fact")


def test_fts_match_quotes_terms_so_operators_cannot_be_injected() -> None:
    match = fts_match(["p"], 'NEAR(a b) OR "x" *')
    assert match is not None
    assert '"near"' in match and '"""x"""' not in match
    assert fts_match(["p"], "the of and") is None
