"""Use cases: primitives in, domain objects out; each owns one unit of work."""
