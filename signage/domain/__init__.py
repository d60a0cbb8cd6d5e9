"""Pure domain model: value objects and rules, standard library only."""
