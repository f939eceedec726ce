import multiprocessing
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from syft import encrypted as encrypted_module
from syft import parallel
from syft.encrypted import EncryptedArray, plaintext_matvec
from syft.errors import SyftError
from syft.parallel import get_workers, set_workers


@pytest.fixture(autouse=True)
def default_workers():
    yield
    set_workers(None)


def test_syft_workers_environment_variable_sets_the_pool_size(monkeypatch):
    monkeypatch.setenv("SYFT_WORKERS", "3")
    assert get_workers() == 3


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_invalid_syft_workers_values_are_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv("SYFT_WORKERS", value)
    with pytest.raises(SyftError, match="SYFT_WORKERS"):
        get_workers()


def test_set_workers_overrides_the_environment_until_reset(monkeypatch):
    monkeypatch.setenv("SYFT_WORKERS", "3")
    set_workers(1)
    assert get_workers() == 1
    set_workers(None)
    assert get_workers() == 3
    with pytest.raises(SyftError):
        set_workers(0)


def _matvec_in_daemon(public_key, ciphertexts, matrix, results):
    """What a Celery prefork child does: large syft work inside a daemonic process."""
    set_workers(2)
    encrypted_module.PARALLEL_MIN_WORK = 0
    weights = EncryptedArray(
        public_key, ciphertexts, shape=(len(ciphertexts),), exponent=0, magnitude_bits=8
    )
    results.put(plaintext_matvec(matrix, weights).ciphertexts)


def test_daemonic_processes_compute_in_process_instead_of_starting_a_pool(paillier_keys):
    public_key, _ = paillier_keys
    weights = EncryptedArray.encrypt(public_key, np.arange(6), exponent=0)
    matrix = np.arange(36).reshape(6, 6) - 17
    # spawn, not fork: the test process (a pytest-xdist worker) runs threads, and a forked
    # child can inherit one of their locks held and hang.
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(
        target=_matvec_in_daemon,
        args=(public_key, weights.ciphertexts, matrix, results),
        daemon=True,
    )
    child.start()
    ciphertexts = results.get(timeout=30)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert ciphertexts == plaintext_matvec(matrix, weights).ciphertexts


_POOL_WITH_A_BUSY_THREAD = """
import threading, time
from syft.parallel import run_in_processes, set_workers, shutdown_pools
from tests.syft import lock_holder

held = threading.Event()
def hold_lock_forever():
    with lock_holder.LOCK:
        held.set()
        time.sleep(3600)

threading.Thread(target=hold_lock_forever, daemon=True).start()
held.wait()
set_workers(2)
print(run_in_processes(lock_holder.double_under_lock, [(1,), (2,), (3,)]))
shutdown_pools()
"""


def test_the_process_pool_works_while_another_thread_holds_a_lock():
    # A plain fork would copy the held lock into every child, which would then wait forever
    # on it: this is how the suite hung after the browser tests had started their threads.
    completed = subprocess.run(
        [sys.executable, "-c", _POOL_WITH_A_BUSY_THREAD],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[2, 4, 6]"


def test_the_process_pool_never_uses_a_plain_fork():
    assert parallel._mp_context().get_start_method() in {"forkserver", "spawn"}
