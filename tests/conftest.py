"""Fixtures for every test."""

import sys

import pytest


@pytest.fixture(autouse=True)
def keep_main_module():
    """AppTest runs its script as ``__main__`` and leaves it there. multiprocessing's spawn (the sweep's
    worker processes) re-runs ``__main__`` in each worker, and an ``AppTest.from_function`` script only
    works inside AppTest: the workers died. Every test gets the real ``__main__`` back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
