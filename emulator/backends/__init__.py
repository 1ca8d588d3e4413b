"""Execution-environment backends: process and docker."""
