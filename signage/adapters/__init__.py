"""Implementations of the ports: database, files, rendering, signing, clock."""
