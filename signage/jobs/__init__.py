"""Periodic jobs (as data) and the worker process that runs them."""
