"""Shared base model and the two cross-cutting tables.

common/ holds no domain tables. The operation log and idempotency keys are here because
every domain app writes them, and no single domain owns them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.action_labels import action_label


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class OperationLog(models.Model):
    """Who changed what, when and from where. Written in the same transaction as the change."""

    # No database FK: writing a log row must not take a shared lock on the actor's user row.
    # Services lock that row for update later in the same transaction (points, late
    # cancels, caps), and a shared lock held first turns two such writers into a deadlock.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_constraint=False,
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("operation log")
        verbose_name_plural = _("operation logs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="oplog_object")
        ]

    def __str__(self) -> str:
        return f"{action_label(self.action)} {self.object_type}#{self.object_id}"


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an Idempotency-Key header, replayed on retries."""

    # No database FK: the insert must not take a shared lock on the user row, which the
    # booking transaction that follows locks for update (S then X on one row deadlocks).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        verbose_name=_("user"),
    )
    scope = models.CharField(_("scope"), max_length=64)
    key = models.CharField(_("key"), max_length=128)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"],
                name="idempotency_unique_user_scope_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class JobRun(models.Model):
    """When beat last showed it was alive, and when each watched periodic job last
    succeeded (common/job_runs.py). One row per name, updated in place; in the database
    rather than Redis, so a flushed cache does not make every job look never run."""

    BEAT = "beat"

    # "beat", or a watched job's task name.
    name = models.CharField(_("job"), max_length=200, unique=True)
    last_success_at = models.DateTimeField(_("last success at"))
    # Beat only: when the beat now holding the lock started sending.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")

    def __str__(self) -> str:
        return self.name
