"""The notebooks run under nbmake as integration tests (they use the real model), on a
tiny slice unless FACTCHECK_NB_LIMIT says otherwise."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("FACTCHECK_NB_LIMIT", "4")  # the kernel inherits it


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.integration)
