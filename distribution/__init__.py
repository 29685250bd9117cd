"""Dependency distribution: ship framework code and a Python environment to Spark."""
