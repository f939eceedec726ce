"""The bytes the ledger hashes: one text per value, the same in Python and in PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from ledger.canonical import (
    GENESIS_HASH,
    canonical_json,
    entry_canonical_bytes,
    entry_hash,
    format_timestamp,
    parse_timestamp,
)
from ledger.models import EntryKind
from tests.ledger.conftest import on_postgres

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def test_keys_are_sorted_and_there_are_no_spaces():
    assert canonical_json({"b": 1, "a": [True, None, "x"]}) == '{"a":[true,null,"x"],"b":1}'


def test_non_ascii_is_escaped_so_the_text_is_pure_ascii():
    assert canonical_json({"name": "Zoë ✓"}) == '{"name":"Zo\\u00eb \\u2713"}'


def test_a_float_is_refused_with_its_path():
    with pytest.raises(ValueError, match=r"payload\['scores'\]\[1\] is a float \(0.5\)"):
        canonical_json({"scores": [1, 0.5]})


def test_other_types_and_non_string_keys_are_refused():
    with pytest.raises(ValueError, match="bytes"):
        canonical_json({"blob": b"x"})
    with pytest.raises(ValueError, match="keys must be strings"):
        canonical_json({1: "one"})


@given(json_values)
def test_canonical_text_round_trips_to_the_same_text(value):
    text = canonical_json(value)
    assert canonical_json(json.loads(text)) == text
    assert text.isascii()


@given(
    seq=st.integers(min_value=1, max_value=2**62),
    campaign=st.none() | st.integers(min_value=1, max_value=2**62),
    kind=st.sampled_from(EntryKind.values),
    payload=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    micros=st.integers(min_value=0, max_value=10**15),
)
def test_the_fast_entry_template_equals_canonical_json_of_the_entry(
    seq, campaign, kind, payload, micros
):
    moment = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    fields = {
        "campaign": campaign,
        "kind": kind,
        "payload": payload,
        "prev_hash": GENESIS_HASH,
        "seq": seq,
        "timestamp": format_timestamp(moment),
        "version": 1,
    }
    assert (
        entry_canonical_bytes(
            version=1,
            seq=seq,
            prev_hash=GENESIS_HASH,
            kind=kind,
            campaign_id=campaign,
            payload_json=canonical_json(payload),
            timestamp=format_timestamp(moment),
        )
        == canonical_json(fields).encode()
    )


def test_an_entry_hash_is_sha256_of_a_zero_byte_and_its_canonical_bytes():
    fields = dict(
        version=1,
        seq=1,
        prev_hash=GENESIS_HASH,
        kind="account.deposit",
        campaign_id=None,
        payload_json="{}",
        timestamp="2026-01-01T00:00:00.000000Z",
    )
    expected = (
        '{"campaign":null,"kind":"account.deposit","payload":{},"prev_hash":"'
        + GENESIS_HASH
        + '","seq":1,"timestamp":"2026-01-01T00:00:00.000000Z","version":1}'
    )
    assert entry_canonical_bytes(**fields) == expected.encode()
    import hashlib

    assert entry_hash(**fields) == hashlib.sha256(b"\x00" + expected.encode()).hexdigest()


def test_timestamps_are_utc_with_microseconds_and_a_z():
    moment = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2)))
    assert format_timestamp(moment) == "2026-03-04T03:06:07.000000Z"
    assert parse_timestamp(format_timestamp(moment)) == moment


def test_a_naive_timestamp_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2026, 1, 1))


@on_postgres
@pytest.mark.django_db
def test_postgresql_formats_timestamps_exactly_like_python():
    # ledger_verify reads timestamps already formatted by PostgreSQL (to_char) for speed.
    moments = [
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1999, 2, 3, 4, 5, 6, 120, tzinfo=UTC),
        datetime(2026, 6, 1, 12, 0, 0, 500000, tzinfo=timezone(timedelta(hours=-7))),
    ]
    with connection.cursor() as cursor:
        for moment in moments:
            cursor.execute(
                "SELECT to_char(%s::timestamptz AT TIME ZONE 'UTC', "
                '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')',
                [moment],
            )
            assert cursor.fetchone()[0] == format_timestamp(moment)


@given(
    entries=st.lists(
        st.tuples(
            st.none() | st.integers(min_value=1, max_value=2**62),
            st.sampled_from(EntryKind.values),
            st.dictionaries(st.text(max_size=8), json_values, max_size=3),
            st.integers(min_value=0, max_value=10**12),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_verifiers_fast_path_renders_entries_exactly_as_they_were_hashed(entries):
    from ledger.chainscan import ChainScanner

    rows, prev, moment = [], GENESIS_HASH, datetime(2020, 1, 1, tzinfo=UTC)
    for seq, (campaign, kind, payload, micros) in enumerate(entries, start=1):
        moment += timedelta(microseconds=micros)
        fields = dict(
            version=1,
            seq=seq,
            prev_hash=prev,
            kind=kind,
            campaign_id=campaign,
            payload_json=canonical_json(payload),
            timestamp=format_timestamp(moment),
        )
        prev = entry_hash(**fields)
        rows.append(
            (
                seq,
                1,
                fields["timestamp"],
                kind,
                campaign,
                fields["payload_json"],
                fields["prev_hash"],
                prev,
            )
        )
    scanner = ChainScanner(kinds=EntryKind.values)
    scanner.feed(rows)
    assert scanner.count == len(entries)
    assert [leaf.hex() for leaf in scanner.leaves] == [row[7] for row in rows]
