"""Reusable functions and small example pipelines for the test-suite."""
