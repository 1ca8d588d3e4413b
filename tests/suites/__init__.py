"""Test suites shared by backends: each runs as-is against a process or a container stack."""

import pytest

# The suites' asserts are in this package, not in test modules: have pytest explain them too.
pytest.register_assert_rewrite("tests.suites.common", "tests.suites.nodejs", "tests.suites.golang")
