"""The shape of a route-matrix case, shared by the per-area case tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.conftest import ROLES

ANYONE = (*ROLES, "anonymous")

__all__ = ["ANYONE", "ROLES", "Case", "fixed"]


@dataclass(frozen=True)
class Case:
    """A valid request for one route and who may make it."""

    allowed: tuple[str, ...]
    status: int
    path: Callable[[Any, str], str]
    body: Callable[[Any, str], Any] | None = None
    json: bool = False
    raw: bool = False


def fixed(path: str) -> Callable[[Any, str], str]:
    return lambda _svc, _role: path
