"""nnatlas.data.topics: the synthetic topic world is seeded, labelled and linked by passages."""

from __future__ import annotations

import pytest

from nnatlas.data.topics import TOPICS, topic_corpus
from nnatlas.testing.bad_inputs import assert_clear_error


def test_sizes_labels_and_seed():
    c = topic_corpus(30, 5, 2, 40, seed=1)
    assert len(c.topics) == 30 and len(TOPICS) >= 30
    assert len(c.texts) == 150 and c.labels.bincount().tolist() == [5] * 30
    assert len(c.passages) == 30 * 12 * 2 + 40 == c.passage_topics.numel()
    assert int((c.passage_topics == -1).sum()) == 40
    again = topic_corpus(30, 5, 2, 40, seed=1)
    assert again.texts == c.texts and again.passages == c.passages
    assert topic_corpus(30, 5, 2, 40, seed=2).texts != c.texts


def test_headlines_carry_their_word_and_passages_link_siblings():
    c = topic_corpus(10, 8, 3, 5, seed=0)
    for text, label, word in zip(c.texts, c.labels.tolist(), c.words, strict=True):
        assert word.lower() in text.lower() and word in TOPICS[label][1]
    words = {w: t for t, (_, vocab) in enumerate(TOPICS[:10]) for w in vocab}
    for passage, topic in zip(c.passages, c.passage_topics.tolist(), strict=True):
        if topic >= 0:
            assert TOPICS[topic][0] in passage
            # the passage names at least three other words of its own topic (the link)
            assert sum(w in passage for w, t in words.items() if t == topic) >= 3
        else:
            assert not any(f" {w} " in f" {passage} " for w in words)
    # topic words are unique across topics (a word identifies its class)
    all_words = [w for _, vocab in TOPICS for w in vocab]
    assert len(all_words) == len(set(all_words))


@pytest.mark.parametrize(
    "kwargs, arg",
    [
        ({"num_topics": 1}, "num_topics"),
        ({"num_topics": 999}, "num_topics"),
        ({"texts_per_topic": 0}, "texts_per_topic"),
        ({"passages_per_word": 4}, "passages_per_word"),
        ({"distractors": -1}, "distractors"),
    ],
)
def test_bad_arguments(kwargs, arg):
    assert_clear_error(topic_corpus, argument=arg, **kwargs)
