"""Refuse stale edits in the admin instead of overwriting them unseen.

Each edited model carries a ``version`` that goes up on every save. Forms
carry the version the editor loaded; saving checks it against the row, locked
for the rest of the admin's transaction, and refuses the save when someone
else saved in between, naming what that person's save left in place.
"""

import datetime

from django import forms
from django.contrib.admin.utils import flatten_fieldsets
from django.db import models, router, transaction
from django.forms.models import BaseModelFormSet
from django.utils import timezone
from django.utils.formats import date_format

VERSION_FIELD = "loaded_version"
STALE_MESSAGE = (
    "{who} changed this {name} after you opened it, so your changes were "
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


def local_time(value):
    """Format a moment on the site's clock: "4 Dec 2026, 09:00 EST".

    The zone is named even for a time that happens twice when the clocks go
    back, where Django's "T" format gives nothing.
    """
    local = timezone.localtime(value)
    return f"{date_format(local, 'j M Y, H:i')} {local.tzname()}"


def describe(instance):
    """Summarise an object's editable values for a stale-edit message."""
    parts = []
    for field in instance._meta.concrete_fields:
        if not field.editable or field.primary_key:
            continue
        value = getattr(instance, field.name)
        if field.choices:
            value = getattr(instance, f"get_{field.name}_display")()
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, datetime.datetime):
            value = local_time(value)
        elif isinstance(value, datetime.date):
            value = date_format(value, "j M Y")
        text = str(value if value not in (None, "") else "—")
        if len(text) > 80:
            text = text[:77] + "…"
        parts.append(f"{field.verbose_name} “{text}”")
    return "; ".join(parts)


def last_editor(instance):
    """Name who saved ``instance`` last and when, as far as history knows."""
    history = getattr(instance, "history", None)
    record = history.order_by("-history_date").first() if history else None
    if record is None or record.history_user is None:
        return "Someone else"
    user = record.history_user
    name = user.get_full_name() or user.get_username()
    return f"Someone else ({name}, {local_time(record.history_date)})"


class VersionedForm(forms.ModelForm):
    """A model form that refuses to save over a newer version of its object."""

    loaded_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, label="version"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        # Reverting to an earlier version (django-simple-history) starts from
        # the historical row: it always changes the object, and its version
        # is long out of date.
        self.is_revert = instance.pk is not None and hasattr(instance, "_history")
        if self.is_revert:
            current = type(instance)._default_manager.filter(pk=instance.pk)
            instance.version = current.values_list("version", flat=True).first() or 1
        if instance.pk is not None:
            self.fields[VERSION_FIELD].initial = instance.version
        # Judge what this editor changed against what they loaded, not
        # against the row as it is now: a row someone else saved meanwhile
        # then counts as changed only if this editor touched it too.
        for name, field in self.fields.items():
            field.show_hidden_initial = name != VERSION_FIELD

    def has_changed(self):
        if self.is_revert:
            return True
        return any(name != VERSION_FIELD for name in self.changed_data)

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk is None or instance._state.adding or not self.has_changed():
            return cleaned
        loaded = cleaned.get(VERSION_FIELD)
        model = type(instance)
        rows = model._default_manager.filter(pk=instance.pk)
        if transaction.get_connection(router.db_for_write(model)).in_atomic_block:
            # Lock the row so a save racing this one waits, then sees ours.
            rows = rows.select_for_update()
        current = rows.first()
        if current is None:
            raise forms.ValidationError(
                f"This {model._meta.verbose_name} was deleted by someone else, "
                "so your changes were not saved.",
                code="deleted",
            )
        if loaded is None or loaded != current.version:
            raise forms.ValidationError(
                STALE_MESSAGE.format(
                    who=last_editor(current),
                    name=model._meta.verbose_name,
                    current=describe(current),
                ),
                code="stale",
            )
        # The save counts on from the row's version, not the loaded copy's.
        instance.version = current.version
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
    """The changelist's formset: rows carry their version; refusals show.

    The changelist shows no row's own non-field errors, so a refused row's
    message is repeated above the table.
    """

    def add_fields(self, form, index):
        super().add_fields(form, index)
        pk_name = self.model._meta.pk.name
        if pk_name in form.fields:
            form.fields[pk_name].widget = VersionedHiddenInput(form[VERSION_FIELD])

    def clean(self):
        super().clean()
        refused = [
            f"{form.instance}: {error}"
            for form in self.forms
            for error in form.non_field_errors()
        ]
        if refused:
            raise forms.ValidationError(refused)


def _with_version_field(fieldsets):
    if VERSION_FIELD in flatten_fieldsets(fieldsets):
        return fieldsets
    (name, options), *rest = fieldsets
    fields = (*options.get("fields", ()), VERSION_FIELD)
    return [(name, {**options, "fields": fields}), *rest]


class VersionedAdminMixin:
    """Admin mixin: stale-edit checks on the change form and list-editable rows.

    The admin's own form and any custom one must subclass ``VersionedForm``.
    """

    form = VersionedForm

    def get_fieldsets(self, request, obj=None):
        return _with_version_field(super().get_fieldsets(request, obj))

    def save_model(self, request, obj, form, change):
        # Saving an untouched object would bump its version and refuse
        # everyone who opened it meanwhile; its inlines save on their own.
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Many-to-many values of an untouched form may be stale too.
        if not change or form.has_changed():
            form.save_m2m()
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changelist_view(self, request, extra_context=None):
        # Django validates list-editable rows before its own transaction
        # starts; the row locks taken while validating must last until the
        # rows are saved.
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().changelist_view(request, extra_context)

    def get_changelist_form(self, request, **kwargs):
        # Not self.form: fields it declares would join every row.
        kwargs.setdefault("form", VersionedForm)
        return super().get_changelist_form(request, **kwargs)

    def get_changelist_formset(self, request, **kwargs):
        kwargs.setdefault("formset", VersionedModelFormSet)
        return super().get_changelist_formset(request, **kwargs)


class VersionedInlineMixin:
    """Inline mixin: each row carries its version and refuses stale saves."""

    form = VersionedForm

    def get_fieldsets(self, request, obj=None):
        return _with_version_field(super().get_fieldsets(request, obj))
