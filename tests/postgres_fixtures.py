"""Fixtures for running store tests on both engines; import them into a test module.

``pg_cluster`` is one throwaway PostgreSQL server for the whole test run. Without
PostgreSQL installed its tests are skipped on a developer's machine, but in CI
(CI=true) they fail: the PostgreSQL tests must run there.
"""

from __future__ import annotations

import itertools
import os

import pytest

from proto_trainer_tui.store import Store

from .pg_cluster import Cluster, find_bin_dir

ENGINES = ("sqlite", "postgresql")
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster():
    bin_dir = find_bin_dir()
    if bin_dir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}: in CI the PostgreSQL tests must run", pytrace=False)
        pytest.skip(message)
    cluster = Cluster(bin_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """The superuser's URL to a fresh, empty database."""
    return pg_cluster.new_database(f"t{os.getpid()}_{next(_numbers)}")


@pytest.fixture(params=ENGINES)
def open_store(request, tmp_path):
    """A function opening a Store on this test's database (the same one each time), for each engine."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    return lambda: Store.open(tmp_path, url)


@pytest.fixture
def store(open_store):
    with open_store() as opened:
        yield opened
