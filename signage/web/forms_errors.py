"""Putting a domain validation error onto the form field it names."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from signage.domain.errors import ConflictError, ValidationError


def attach_error(form: FlaskForm, error: ValidationError | ConflictError) -> None:
    """Show the error beside its field, or at the top of the form."""
    name = error.field or ""
    finder = getattr(form, "field_for", None)
    field: Any = finder(name) if finder else getattr(form, name, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), error.reason]
    else:
        form.form_errors.append(f"{name}: {error.reason}" if name else error.reason)
