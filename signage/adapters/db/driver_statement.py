"""A Core statement compiled once for a dialect, run on the driver's own cursor.

For the two hot paths that skip SQLAlchemy's per-execution work (the plan poll's one
read, the bulk insert of play records): the SQL text is rendered once, and values are
handed to the driver in the order the caller names them — a tuple for drivers with
positional parameters (SQLite), a dict for named ones (psycopg).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ClauseElement


class DriverStatement:
    """`statement` compiled for `dialect`; `names` are its bound parameters, in order."""

    def __init__(self, dialect: Dialect, statement: ClauseElement, names: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        self.names = tuple(names)
        self.positional = bool(compiled.positional)
        bound = tuple(compiled.positiontup or ()) if self.positional else tuple(compiled.binds)
        same = bound == self.names if self.positional else set(bound) == set(self.names)
        if not same:
            raise ValueError(f"the statement binds {bound}, not {self.names}")
        self.sql = str(compiled)

    def args(self, values: tuple[Any, ...]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters for `values` (given in the order of `names`)."""
        return values if self.positional else dict(zip(self.names, values, strict=True))
