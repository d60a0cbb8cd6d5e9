"""HTML forms (Flask-WTF, which also carries the CSRF token); the domain does the rules."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
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


LANGUAGE_CHOICES = [
    SelectChoice("tg", "Tajik"),
    SelectChoice("ru", "Russian"),
    SelectChoice("en", "English"),
]


class QuoteForm(FlaskForm):
    text = TextAreaField("Quote")
    language = SelectField("Language", choices=LANGUAGE_CHOICES, default="tg")
    author = StringField("Author")
    author_role = StringField("Author's role")
    source = StringField("Source")
    tags = StringField("Tags (comma-separated)")

    def to_data(self) -> dict[str, Any]:
        """Plain values for the quote service."""
        return {
            "text": self.text.data or "",
            "language": self.language.data or "",
            "author": self.author.data or "",
            "author_role": self.author_role.data or "",
            "source": self.source.data or "",
            "tags": self.tags.data or "",
        }


class TranslationForm(FlaskForm):
    translation_of = StringField("Quote number of the translation")


class UploadForm(FlaskForm):
    file = FileField("Image or video")


class TemplateAdjustForm(FlaskForm):
    """The adjustable look of a template copy."""

    name = StringField("Name of the copy")
    background = StringField("Background colour")
    text_colour = StringField("Text colour")
    accent_colour = StringField("Accent colour")
    footer_colour = StringField("Footer colour")
    font_family = StringField("Font family")
    duration_s = StringField("Duration (s)")
    fade_in_s = StringField("Fade in (s)")
    fade_out_s = StringField("Fade out (s)")
    margin = StringField("Safe margin (fraction of the screen, e.g. 0.06)")
    hashtags = TextAreaField("Hashtags (one per line)")
    contact_line = StringField("Contact line")

    LOOK = (
        "background",
        "text_colour",
        "accent_colour",
        "footer_colour",
        "font_family",
        "duration_s",
        "fade_in_s",
        "fade_out_s",
        "contact_line",
    )

    def fill(self, spec: dict[str, Any]) -> None:
        """Show a template's current values."""
        for key in self.LOOK:
            getattr(self, key).data = str(spec[key])
        self.hashtags.data = "\n".join(spec["hashtags"])
        self.margin.data = str(spec["safe_margins"]["left"])

    def changes(self) -> dict[str, Any]:
        """The values staff changed, as template adjustments."""
        changes: dict[str, Any] = {}
        for key in self.LOOK:
            value = (getattr(self, key).data or "").strip()
            if value:
                changes[key] = value
        if (self.hashtags.data or "").strip():
            changes["hashtags"] = self.hashtags.data
        margin = (self.margin.data or "").strip()
        if margin:
            changes["safe_margins"] = {side: margin for side in ("left", "top", "right", "bottom")}
        return changes


class CreativeForm(FlaskForm):
    name = StringField("Name (optional)")
    quote_id = SelectField("Quote", choices=[], validate_choice=False)
    template_id = SelectField("Template", choices=[], validate_choice=False)
    image_sha256 = SelectField("Photo (optional)", choices=[], validate_choice=False)


class AssetCreativeForm(FlaskForm):
    name = StringField("Name (optional)")
    asset_sha256 = SelectField("Uploaded image or video", choices=[], validate_choice=False)


class RenderForm(FlaskForm):
    sizes = StringField("Screen sizes (e.g. 1920x1080, 1080x1920)")
