"""Fixtures for every test."""

import sys

import pytest
import torch


@pytest.fixture(autouse=True)
def keep_main_module():
    """AppTest runs its script as ``__main__`` and leaves it there. multiprocessing's spawn (the sweep's
    worker processes) re-runs ``__main__`` in each worker, and an ``AppTest.from_function`` script only
    works inside AppTest: the workers died. Every test gets the real ``__main__`` back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def one_torch_thread():
    """Torch on one thread, as the runners train: two OpenMP threads spinning on a loaded 2-core
    machine made small (and batched) steps many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def fresh_sessions():
    """The session-scoped holder survives between AppTests in one process (fixed session id): clear it."""
    import streamlit as st

    from ui import session
    from ui.kept import KEPT

    st.cache_resource.clear()  # session_trainer.clear() is refused outside a script thread
    KEPT.expire_released()  # as when the session's disconnectedSessionTTL has passed
    yield
    for holder in session.REGISTRY.holders():
        holder.close()
    st.cache_resource.clear()
    KEPT.expire_released()
