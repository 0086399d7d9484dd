"""Permissions as staff read them: "医院 | 医生 | 可以修改", in the language of the page.

Django stores a permission's name in English when migrate creates it ("Can add doctor"),
so the stored name cannot follow the page's language. The label is built at display time
instead: the app's and the model's verbose names, then the action read from the codename.
A custom permission (Meta.permissions) shows its name through gettext, which finds it
when the model marks it for translation.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

_ACTIONS = {
    "add": _("can add"),
    "change": _("can change"),
    "delete": _("can delete"),
    "view": _("can view"),
}


def permission_label(permission: Permission) -> str:
    """ "<app> | <model> | <action>", translated; needs permission.content_type loaded."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:  # a stale content type: its model is gone
        return f"{content_type.app_label} | {content_type.model} | {permission.name}"
    app_name = apps.get_app_config(content_type.app_label).verbose_name
    action, _sep, model_name = permission.codename.partition("_")
    if action in _ACTIONS and model_name == model._meta.model_name:
        what = _ACTIONS[action]
    else:
        what = gettext(permission.name)
    return f"{app_name} | {model._meta.verbose_name} | {what}"


def permissions_by_name(names: Iterable[str]) -> QuerySet[Permission]:
    """The Permission rows for "app_label.codename" strings, content types joined."""
    condition = Q(pk__in=[])
    for name in names:
        app_label, _sep, codename = name.partition(".")
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return (
        Permission.objects.filter(condition)
        .select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename")
    )


class PermissionMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Permission) -> str:
        return permission_label(obj)


class TranslatedPermissionsMixin:
    """For a ModelAdmin: every many-to-many to Permission lists translated labels."""

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ):
        if db_field.related_model is Permission:
            kwargs["form_class"] = PermissionMultipleChoiceField
            # One query for the list, not one per permission for its content type.
            queryset = kwargs.get("queryset", Permission.objects.all())
            kwargs["queryset"] = queryset.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
