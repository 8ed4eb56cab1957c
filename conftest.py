"""Shared pytest set-up for tests/ and paper_checks/: the runtime, markers and the Hypothesis profile."""

import os

import pytest
from hypothesis import settings

from toyvae import runtime

# The entry point's configuration (toyvae.runtime): JAX on the CPU unless JAX_PLATFORMS says otherwise,
# one device per core, the persistent compilation cache (a second test run skips most compilation).
runtime.configure()

# One deterministic profile (style.md item 11): the same examples on every run, no deadline
# (JAX compilation and first-call costs would trip one).
settings.register_profile("toyvae", derandomize=True, deadline=None, max_examples=60, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "toyvae"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")
    parser.addoption("--rungpu", action="store_true", default=False, help="run tests marked gpu")


def pytest_collection_modifyitems(config, items):
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    skip_gpu = pytest.mark.skip(reason="needs a GPU: run with --rungpu")
    for item in items:
        if "slow" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(skip_slow)
        if "gpu" in item.keywords and not config.getoption("--rungpu"):
            item.add_marker(skip_gpu)
