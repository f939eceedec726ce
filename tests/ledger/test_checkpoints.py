"""Signed Merkle checkpoints: made by command or by Celery beat, checked by anyone with gpg."""

from __future__ import annotations

import io
import subprocess

import pytest
from django.core.management import CommandError, call_command

from ledger import merkle
from ledger.canonical import checkpoint_statement, format_timestamp
from ledger.models import Checkpoint, Entry
from ledger.openpgp import SignatureChecker
from ledger.selectors import entry_leaf_hashes
from ledger.services import checkpoint_create
from ledger.signing import platform_public_key
from ledger.tasks import ledger_checkpoint
from tests.ledger.conftest import append

pytestmark = pytest.mark.django_db


def test_a_checkpoint_signs_the_merkle_root_of_every_entry(platform_key):
    for n in range(5):
        append(payload={"n": n})
    checkpoint = checkpoint_create()
    leaves = [bytes.fromhex(h) for h in Entry.objects.values_list("hash", flat=True)]
    assert checkpoint.tree_size == 5
    assert checkpoint.root_hash == merkle.root(leaves).hex()
    assert checkpoint.key_fingerprint == platform_key
    statement = checkpoint_statement(
        tree_size=5,
        root_hash=checkpoint.root_hash,
        timestamp=format_timestamp(checkpoint.created_at),
    )
    with SignatureChecker(platform_public_key()) as checker:
        assert checker.valid(statement, checkpoint.signature)
        assert not checker.valid(
            statement.replace(b'"tree_size":5', b'"tree_size":6'), checkpoint.signature
        )


def test_the_signature_verifies_with_plain_gpg_and_the_published_key(platform_key, tmp_path):
    append()
    checkpoint = checkpoint_create()
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    (tmp_path / "key.asc").write_text(platform_public_key())
    (tmp_path / "statement.json").write_bytes(
        checkpoint_statement(
            tree_size=checkpoint.tree_size,
            root_hash=checkpoint.root_hash,
            timestamp=format_timestamp(checkpoint.created_at),
        )
    )
    (tmp_path / "statement.json.asc").write_text(checkpoint.signature)
    gpg = ["gpg", "--batch", "--homedir", str(home)]
    subprocess.run([*gpg, "--import", str(tmp_path / "key.asc")], check=True, capture_output=True)
    result = subprocess.run(
        [*gpg, "--verify", str(tmp_path / "statement.json.asc"), str(tmp_path / "statement.json")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Good signature" in result.stderr


def test_without_new_entries_the_last_checkpoint_is_returned(platform_key):
    append()
    first = checkpoint_create()
    assert checkpoint_create().pk == first.pk
    append()
    assert checkpoint_create().tree_size == 2
    assert Checkpoint.objects.count() == 2


def test_an_empty_ledger_has_nothing_to_sign():
    with pytest.raises(CommandError, match="no entries yet"):
        call_command("ledger_checkpoint", stdout=io.StringIO())


def test_the_command_prints_the_signed_root(platform_key):
    append()
    out = io.StringIO()
    call_command("ledger_checkpoint", stdout=out)
    checkpoint = Checkpoint.objects.get()
    assert f"Checkpoint at tree size 1: root {checkpoint.root_hash}" in out.getvalue()


def test_the_beat_task_signs_only_when_there_is_something_new(platform_key, settings):
    assert ledger_checkpoint.delay().get() is None
    append()
    assert ledger_checkpoint.delay().get() == 1
    assert settings.CELERY_BEAT_SCHEDULE["ledger-checkpoint"]["task"] == ledger_checkpoint.name


def test_leaves_are_the_entry_hashes_in_seq_order():
    entries = [append(payload={"n": n}) for n in range(3)]
    assert entry_leaf_hashes(size=3) == [bytes.fromhex(e.hash) for e in entries]
