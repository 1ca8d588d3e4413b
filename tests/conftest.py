"""Shared pytest configuration: the pytester fixture for testing lambdock's own plugin."""

pytest_plugins = ["pytester"]
