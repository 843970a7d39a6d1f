"""Operator scoping shared by every domain model.

Each scoped model names the path from itself to its `accounts.Operator` in `operator_path`;
`Model.objects.for_user(user)` is then the one way to read rows a user may see. Platform admins
(superusers without an operator) see every operator's rows; anyone else sees only their own
operator's, and a user with neither sees nothing.

Also the models of the generic machinery: `ImportJob`, a batch import from a template, and
`ExportJob`, a large export written in the background.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ExportStatus, ImportStatus


class ScopedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what one user or operator may see."""

    def for_operator(self, operator):
        return self.filter(**{self.model.operator_path: getattr(operator, "pk", operator)})

    def for_user(self, user):
        if user.is_superuser and user.operator_id is None:
            return self.all()
        if user.operator_id is None:
            return self.none()
        return self.filter(**{self.model.operator_path: user.operator_id})


class DeepPagesQuerySet(ScopedQuerySet):
    """For tables of millions of rows: a slice deep into the rows (a page thousands of rows
    in) first reads only the ids of its rows, which an index that covers the order, the filters
    and the id yields without visiting the table, then those rows. Skipping thirty thousand
    orders to their page then reads thirty thousand index entries, not thirty thousand rows
    scattered over the table."""

    DEEP = 1000

    def __getitem__(self, key):
        deep = isinstance(key, slice) and (key.start or 0) >= self.DEEP and not self.query.is_sliced
        if not deep or self._result_cache is not None or self._iterable_class is not models.query.ModelIterable:
            return super().__getitem__(key)
        ids = list(self.values_list("pk", flat=True)[key])
        rows = {row.pk: row for row in self.filter(pk__in=ids).order_by()}
        return [rows[pk] for pk in ids if pk in rows]


class ScopedModel(models.Model):
    """Base for models that belong to one operator, directly or through a parent."""

    operator_path = "operator"

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def get_operator(self):
        obj = self
        for part in self.operator_path.split("__"):
            obj = getattr(obj, part)
        return obj


class CoveringUniqueConstraint(models.UniqueConstraint):
    """A unique constraint whose index also holds the `include` columns, so that sums over a
    range of its keys read the index alone (PostgreSQL). Where the database has no covering
    indexes (SQLite) it is a plain unique constraint; Django would make none at all there."""

    def _written(self, schema_editor) -> models.UniqueConstraint:
        include = self.include if schema_editor.connection.features.supports_covering_indexes else ()
        return models.UniqueConstraint(fields=self.fields, name=self.name, include=include)

    def constraint_sql(self, model, schema_editor):
        return self._written(schema_editor).constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        return self._written(schema_editor).create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        return self._written(schema_editor).remove_sql(model, schema_editor)

    def _check(self, model, connection):
        # Django warns that SQLite makes no constraint with non-key columns; this one does.
        return [error for error in super()._check(model, connection) if error.id != "models.W039"]


def fields_set(instance, fields, data: dict) -> None:
    """Set on `instance` those of `fields` that `data` names: a service's partial update."""
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])


def import_upload_to(job, filename: str) -> str:
    # A random name: the uploader's file name is shown, never used as a path.
    return f"imports/{job.kind}/{uuid.uuid4().hex}.xlsx"


class ImportJob(ScopedModel):
    """One upload of a filled-in template and what became of it: checked in the background,
    shown as a preview, confirmed by the person who uploaded it, imported in the background.
    The file is kept only while the import can still be confirmed; what the check found (the
    counts, the first problems and rows) stays on the job for its page."""

    operator = models.ForeignKey(
        "accounts.Operator",
        verbose_name=_("operator"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="import_jobs",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The importer's name (`piles`): see chargeops.imports.register.
    kind = models.CharField(_("kind"), max_length=30)
    file = models.FileField(_("file"), upload_to=import_upload_to, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    # The uploader's language: the checks' messages are written in it, away from their request.
    language = models.CharField(_("language"), max_length=10)
    update_existing = models.BooleanField(_("update existing objects"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus, default=ImportStatus.PENDING)
    # Why a file was refused or an import failed.
    message = models.TextField(_("message"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    to_create = models.PositiveIntegerField(_("to create"), default=0)
    to_update = models.PositiveIntegerField(_("to update"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    bad_rows = models.PositiveIntegerField(_("rows with problems"), default=0)
    # The first problems as [row, column, message] and good rows as [row, action, cells…].
    errors = models.JSONField(_("problems found"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    # When the running phase (checking or importing) began, and when the import ended.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["operator", "kind", "-created_at"], name="import_job_recent_idx")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_running(self) -> bool:
        return self.status in ImportStatus.running()

    @property
    def rows_to_write(self) -> int:
        return self.to_create + self.to_update

    @property
    def can_confirm(self) -> bool:
        """Checked, and with something to write: a file whose rows all match is not imported."""
        return self.status == ImportStatus.CHECKED and self.rows_to_write > 0


def export_upload_to(job, filename: str) -> str:
    # A random name: a file is reached through its owner's download link only.
    return f"exports/{uuid.uuid4().hex}.{job.export_format}"


class ExportJob(models.Model):
    """A table's export too large to write while its user waits: the page (path and filters)
    is read again in the background, as its user, and the file kept for them to download for
    EXPORT_KEEP_HOURS. Only the user who asked sees it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="export_jobs"
    )
    title = models.CharField(_("title"), max_length=200)
    # The page's path with its query, export and table included: what is read again.
    path = models.TextField(_("page"))
    export_format = models.CharField(_("format"), max_length=10)
    # The user's language: the file's header and values are written in it.
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus, default=ExportStatus.QUEUED)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(_("file"), upload_to=export_upload_to, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    # Why an export failed.
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("asked for at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["user", "-created_at"], name="export_job_recent_idx")]

    def __str__(self) -> str:
        return self.file_name or self.title

    @property
    def is_running(self) -> bool:
        return self.status in ExportStatus.running()
