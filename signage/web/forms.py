"""HTML forms (Flask-WTF, which also carries the CSRF token); the domain does the rules."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from signage.domain.users import Role
from signage.domain.windows import WEEKDAYS

ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in Role]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=40)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class UserCreateForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    display_name = StringField("Display name")
    password = PasswordField("Initial password", validators=[DataRequired()])
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES)


class UserEditForm(FlaskForm):
    display_name = StringField("Display name")
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES)
    active = BooleanField("Enabled")


class PasswordResetForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=80)])


class ConfirmForm(FlaskForm):
    """An empty form: a button that carries the CSRF token."""


class LocationForm(FlaskForm):
    name = StringField("Name")
    address = StringField("Address")
    latitude = StringField("Latitude")
    longitude = StringField("Longitude")
    timezone = StringField("Time zone (IANA)")
    screen_width = StringField("Screen width (px)")
    screen_height = StringField("Screen height (px)")
    orientation = SelectField(
        "Orientation",
        choices=[
            SelectChoice("", "From the size"),
            SelectChoice("landscape", "Landscape"),
            SelectChoice("portrait", "Portrait"),
        ],
        default="",
    )
    tags = StringField("Tags (comma-separated)")
    hours_mon = StringField("Monday")
    hours_tue = StringField("Tuesday")
    hours_wed = StringField("Wednesday")
    hours_thu = StringField("Thursday")
    hours_fri = StringField("Friday")
    hours_sat = StringField("Saturday")
    hours_sun = StringField("Sunday")

    def hour_fields(self) -> list[Any]:
        """The seven weekday fields, Monday first."""
        return [getattr(self, f"hours_{day}") for day in WEEKDAYS]

    def to_data(self) -> dict[str, Any]:
        """Plain values for the location service."""
        return {
            "name": self.name.data or "",
            "address": self.address.data or "",
            "latitude": self.latitude.data or None,
            "longitude": self.longitude.data or None,
            "timezone": (self.timezone.data or "").strip() or None,
            "screen_width": self.screen_width.data,
            "screen_height": self.screen_height.data,
            "orientation": self.orientation.data or None,
            "tags": self.tags.data or "",
            "operating_hours": {
                day: (getattr(self, f"hours_{day}").data or "").strip() or None for day in WEEKDAYS
            },
        }

    def fill(self, values: dict[str, Any]) -> None:
        """Load a location's stored values into the form."""
        for key in ("name", "address", "timezone", "orientation"):
            getattr(self, key).data = values[key]
        for key in ("latitude", "longitude", "screen_width", "screen_height"):
            value = values[key]
            getattr(self, key).data = "" if value is None else str(value)
        self.tags.data = ", ".join(values["tags"])
        for day in WEEKDAYS:
            getattr(self, f"hours_{day}").data = values["operating_hours"].get(day) or ""

    def field_for(self, name: str) -> Any:
        """The form field that shows an error for a domain field name."""
        if name.startswith("operating_hours."):
            return getattr(self, "hours_" + name.split(".", 1)[1], None)
        return getattr(self, name, None)
