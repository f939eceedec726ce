"""The text adapter: one post per line, optionally 'label<TAB>text'."""

from __future__ import annotations

import re

import pytest

from adapters import AdapterError, Schema, read_table

POSTS = Schema.from_json([{"name": "post", "type": "text", "hash_features": 32}])
SENTIMENT = Schema.from_json(
    [{"name": "sentiment", "type": "category", "categories": ["negative", "positive"]}]
)


def test_each_line_is_one_post_and_blank_lines_are_skipped():
    table = read_table(b"I love this\n\nworst day ever\twith a tab\n", adapter="text",
                       schema=POSTS)  # fmt: skip
    assert table.rows == [{"post": "I love this"}, {"post": "worst day ever\twith a tab"}]
    assert table.features().shape == (2, 32)


def test_with_an_output_field_each_line_is_label_tab_text():
    data = b"positive\tI love this\nnegative\tworst day ever\n"
    table = read_table(data, adapter="text", schema=POSTS, output=SENTIMENT)
    assert table.rows[0] == {"post": "I love this", "sentiment": "positive"}
    assert table.target().tolist() == [1, 0]


def test_a_boolean_label_reads_true_and_false_words():
    spam = Schema.from_json([{"name": "spam", "type": "bool"}])
    table = read_table(b"1\tbuy now\nno\thello mum\n", adapter="text", schema=POSTS, output=spam)
    assert table.target().tolist() == [1, 0]


def test_a_line_without_a_tab_is_refused_when_labels_are_expected():
    with pytest.raises(AdapterError) as caught:
        read_table(b"positive\tgood\njust text\n", adapter="text", schema=POSTS, output=SENTIMENT)
    assert str(caught.value) == (
        "Line 2 has no tab; with an output field each line is the label ('sentiment'), a tab, "
        "then the text."
    )
    assert (caught.value.line, caught.value.field) == (2, "sentiment")


def test_an_unknown_label_is_refused():
    with pytest.raises(AdapterError) as caught:
        read_table(b"positive\tgood\nmeh\tok\n", adapter="text", schema=POSTS, output=SENTIMENT)
    assert str(caught.value) == (
        "Line 2, field 'sentiment': expected one of negative, positive, got 'meh'."
    )


def test_the_text_adapter_needs_a_schema_of_exactly_one_text_field():
    schema = Schema.from_json([{"name": "post", "type": "text"}, {"name": "n", "type": "int"}])
    with pytest.raises(AdapterError) as caught:
        read_table(b"hello\n", adapter="text", schema=schema)
    assert str(caught.value) == (
        "The text adapter reads one text per line, so the input schema must be exactly one "
        "field of type text; this one has 2 fields (post, n)."
    )


def test_an_empty_text_file_is_refused():
    with pytest.raises(
        AdapterError, match=re.escape("The file is empty; write one text per line.")
    ):
        read_table(b"", adapter="text", schema=POSTS)
