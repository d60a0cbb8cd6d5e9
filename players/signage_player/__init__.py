"""The Signage billboard player."""

__version__ = "0.1.0"
