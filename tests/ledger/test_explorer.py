"""The ledger explorer: every entry reachable page by page, filters, one entry in full."""

from __future__ import annotations

import hashlib
import html
import re

import pytest
from django.contrib.staticfiles import finders

from ledger.models import Entry
from tests.ledger.conftest import append

pytestmark = pytest.mark.django_db


def seqs(page) -> list[int]:
    """The seq numbers listed on an explorer page, in order."""
    return [int(s) for s in re.findall(r'href="/ledger/entries/(\d+)/" aria-label', page)]


def text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_every_entry_is_reachable_page_by_page_newest_first(client):
    for n in range(30):
        append(payload={"n": n})
    first = text(client.get("/ledger/"))
    assert seqs(first) == list(range(30, 5, -1))
    assert "page 1 of 2" in first
    second = text(client.get("/ledger/?page=2"))
    assert seqs(second) == [5, 4, 3, 2, 1]  # the oldest entries are not cut off
    assert seqs(text(client.get("/ledger/?page=99"))) == [5, 4, 3, 2, 1]  # past the end: last page


def test_an_entry_links_to_its_own_page_not_to_the_api(client):
    append(payload={"n": 1})
    page = text(client.get("/ledger/"))
    assert 'href="/ledger/entries/1/"' in page
    assert 'href="/api/ledger/entries/1/"' not in page


def test_entries_filter_by_kind_campaign_and_account(client, fund, alice, bob):
    append(kind="campaign.launched", campaign_id=7, payload={"campaign": 7, "name": "diabetes"})
    append(kind="gradient.submitted", campaign_id=7, payload={"campaign": 7})
    append(kind="gradient.submitted", campaign_id=8, payload={"campaign": 8})
    alices_wallet = fund(alice, 5_000)
    fund(bob, 7_000)
    assert seqs(text(client.get("/ledger/?kind=gradient.submitted"))) == [3, 2]
    assert seqs(text(client.get("/ledger/?campaign=7"))) == [2, 1]
    assert seqs(text(client.get("/ledger/?kind=gradient.submitted&campaign=7"))) == [2]
    by_account = text(client.get(f"/ledger/?account={alices_wallet.public_id}"))
    assert seqs(by_account) == [4]
    assert "50.00" in by_account and "70.00" not in by_account
    # Filters stay in the page links.
    for n in range(30):
        append(kind="gradient.submitted", campaign_id=7, payload={"n": n})
    assert "?kind=gradient.submitted&page=2" in text(client.get("/ledger/?kind=gradient.submitted"))


def test_a_bad_filter_is_explained_beside_its_field_and_lists_nothing(client):
    append(payload={"n": 1})
    page = text(client.get("/ledger/?account=robert'); DROP TABLE&campaign=-3"))
    assert "An account id starts with acct_" in page
    assert "Ensure this value is greater than or equal to 1." in page
    assert seqs(page) == []
    assert "No entry matches these filters." in page


def test_the_entry_page_shows_the_bytes_its_hash_commits_to(client):
    append(kind="campaign.launched", campaign_id=3, payload={"campaign": 3, "name": "Ünïcode"})
    append(payload={"n": 2})
    entry = Entry.objects.get(seq=1)
    page = text(client.get("/ledger/entries/1/"))
    canonical = re.search(r'<pre class="canonical" id="canonical" tabindex="0">(.*?)</pre>', page)
    digest = hashlib.sha256(b"\x00" + canonical.group(1).encode("ascii")).hexdigest()
    assert digest == entry.hash
    assert entry.hash in page
    assert '"name":"\\u00dcn\\u00efcode"' in canonical.group(1)  # exactly as hashed: escaped
    assert 'href="/sonar/campaigns/3/"' in page
    assert 'href="/ledger/entries/2/" rel="next"' in page
    assert "the first entry" in page and "(genesis)" in page
    last = text(client.get("/ledger/entries/2/"))
    assert 'href="/ledger/entries/1/" rel="prev"' in last and "the newest entry" in last


def test_a_transfer_entry_shows_its_amount_and_both_accounts(client, fund, alice):
    wallet = fund(alice, 12_345)
    entry = Entry.objects.get(kind="account.deposit")
    page = text(client.get(f"/ledger/entries/{entry.seq}/"))
    assert "123.45" in page
    assert f'href="/ledger/?account={wallet.public_id}"' in page


def test_an_entry_that_does_not_exist_is_a_404_page(client):
    append(payload={"n": 1})
    response = client.get("/ledger/entries/2/")
    assert response.status_code == 404


def test_the_entry_page_offers_the_in_browser_check_without_inline_script(client, platform_key):
    from ledger.services import checkpoint_create

    append(payload={"n": 1})
    checkpoint = checkpoint_create()
    append(payload={"n": 2})
    page = text(client.get("/ledger/entries/1/"))
    assert f'data-root="{checkpoint.root_hash}"' in page
    assert "not signed yet" in page  # the current size (2) has no checkpoint
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []  # CSP: scripts by URL only
    assert "/static/ledger/inclusion.js" in page
    assert finders.find("ledger/inclusion.js")  # collectstatic ships it; nothing is fetched


def test_the_checkpoints_page_lists_each_with_how_to_verify_it(client, platform_key):
    from ledger.services import checkpoint_create

    append(payload={"n": 1})
    first = checkpoint_create()
    append(payload={"n": 2})
    second = checkpoint_create()
    page = text(client.get("/ledger/checkpoints/"))
    assert page.index(second.root_hash) < page.index(first.root_hash)
    assert "python -m ledger.verify_remote http://" in page
    assert '"tree_size":2' in page and "BEGIN PGP SIGNATURE" in page


def test_the_explorer_needs_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    for n in range(30):
        append(payload={"n": n})
    with django_assert_max_num_queries(8):
        client.get("/ledger/?kind=gradient.submitted")


def test_a_deep_page_of_the_whole_chain_is_read_by_seq_range_not_by_offset(
    client, django_assert_max_num_queries
):
    for n in range(60):
        append(payload={"n": n})
    with django_assert_max_num_queries(6) as queries:
        page = text(client.get("/ledger/?page=3"))
    assert seqs(page) == list(range(10, 0, -1))
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "OFFSET" not in sql and "COUNT(" not in sql
