"""Refuse stale edits in the admin instead of overwriting them unseen.

Each edited model carries a ``version`` that goes up on every save. Forms
carry the version the editor loaded; saving checks it against the row, locked
for the rest of the admin's transaction, and refuses the save when someone
else saved in between, naming what that person's save left in place.
"""

from django import forms
from django.db import models
from django.forms.models import BaseModelFormSet

STALE_MESSAGE = (
    "Someone else changed this {name} after you opened it, so your changes were "
    "not saved. It now reads: {current}. Reload the page to see their version, "
    "then make your change again."
)


class VersionedModel(models.Model):
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)


def describe(instance):
    """Summarise an object's editable values for a stale-edit message."""
    parts = []
    for field in instance._meta.concrete_fields:
        if not field.editable or field.primary_key:
            continue
        value = getattr(instance, field.name)
        if field.choices:
            value = getattr(instance, f"get_{field.name}_display")()
        text = str(value if value not in (None, "") else "—")
        if len(text) > 80:
            text = text[:77] + "…"
        parts.append(f"{field.verbose_name} “{text}”")
    return "; ".join(parts)


class VersionedForm(forms.ModelForm):
    """A model form that refuses to save over a newer version of its object."""

    loaded_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, label="version"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["loaded_version"].initial = self.instance.version

    def has_changed(self):
        return any(name != "loaded_version" for name in self.changed_data)

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk is None or instance._state.adding or not self.has_changed():
            return cleaned
        loaded = cleaned.get("loaded_version")
        model = type(instance)
        # Lock the row so a save racing this one waits, then sees our version.
        current = model._default_manager.select_for_update().filter(pk=instance.pk)
        current = current.first()
        if current is None:
            raise forms.ValidationError(
                f"This {model._meta.verbose_name} was deleted by someone else.",
                code="deleted",
            )
        if loaded is None or loaded != current.version:
            raise forms.ValidationError(
                STALE_MESSAGE.format(
                    name=model._meta.verbose_name, current=describe(current)
                ),
                code="stale",
            )
        return cleaned


class VersionedHiddenInput(forms.HiddenInput):
    """The row's id in a list-editable table, followed by its loaded version.

    The changelist only renders the id field of each row outside the editable
    columns, so the version travels beside it.
    """

    def __init__(self, version_field, attrs=None):
        super().__init__(attrs)
        self.version_field = version_field

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        return html + self.version_field.as_hidden()


class VersionedModelFormSet(BaseModelFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        pk_name = self.model._meta.pk.name
        if pk_name in form.fields:
            form.fields[pk_name].widget = VersionedHiddenInput(form["loaded_version"])


class VersionedAdminMixin:
    """Admin mixin: stale-edit checks on the change form and list-editable rows."""

    form = VersionedForm

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", self.form)
        return super().get_changelist_form(request, **kwargs)

    def get_changelist_formset(self, request, **kwargs):
        kwargs.setdefault("formset", VersionedModelFormSet)
        return super().get_changelist_formset(request, **kwargs)


class VersionedInlineMixin:
    form = VersionedForm
