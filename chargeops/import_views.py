"""The pages of the generic batch import, declared per kind of object with one attribute
(`importer`): the upload with the recent imports, the template, the job's page (progress,
preview, result) and the confirmation. The work is `chargeops.services`' import job."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import DetailView, TemplateView, View

from .export import XLSX_TYPE
from .forms import ImportForm
from .imports import Importer
from .models import ImportJob
from .services import ERRORS_KEPT, PREVIEW_KEPT, import_job_confirm, import_job_create, job_progress
from .views import ObjectViewMixin, model_url

RECENT_IMPORTS = 10


class ImportViewMixin(ObjectViewMixin):
    """Reads the operator's import jobs of one kind; every page asks for the permission to add
    that kind of object."""

    model = ImportJob
    importer: Importer | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.importer is not None:
            cls.permission = cls.importer.permission("add")

    def get_queryset(self):
        jobs = ImportJob.objects.filter(kind=self.importer.kind).select_related("user")
        return jobs.for_user(self.request.user)

    def job_url(self, job: ImportJob) -> str:
        return reverse(self.importer.url_name("import_job"), args=[job.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        importer = self.importer
        context.update(
            importer=importer,
            list_url=model_url(importer.model, "list"),
            start_url=reverse(importer.url_name("import")),
            template_url=reverse(importer.url_name("import_template")),
        )
        return context


class ImportStartView(ImportViewMixin, TemplateView):
    """Upload a filled-in template; its check is queued and its page follows it. Beside the
    form, the operator's recent imports, to come back to one."""

    template_name = "chargeops/import_start.html"

    def get_form(self):
        data, files = (self.request.POST, self.request.FILES) if self.request.method == "POST" else (None, None)
        return ImportForm(data, files, user=self.request.user, importer=self.importer)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        jobs = list(self.get_queryset()[:RECENT_IMPORTS])
        context.update(
            jobs=[(job, self.job_url(job)) for job in jobs],
            can_export=self.importer.can_export,
        )
        return context

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            try:
                job = import_job_create(
                    user=request.user,
                    kind=self.importer.kind,
                    file=form.cleaned_data["file"],
                    update_existing=form.cleaned_data.get("update_existing", False),
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return HttpResponseRedirect(self.job_url(job))
        return self.render_to_response(self.get_context_data(form=form))


class ImportTemplateView(ImportViewMixin, View):
    """The Excel template with the user's choices in its drop-down lists; with `?filled=1`,
    filled with the user's objects instead of the example row."""

    def get(self, request, *args, **kwargs):
        importer = self.importer
        rows = None
        if request.GET.get("filled") == "1" and importer.can_export:
            rows = importer.export_rows(user=request.user, limit=settings.IMPORT_MAX_ROWS)
        content = importer.template_build(user=request.user, rows=rows)
        name = f"{importer.kind}-{'export' if rows is not None else 'import-template'}.xlsx"
        response = HttpResponse(content, content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ImportJobView(ImportViewMixin, DetailView):
    """One import: its progress while it runs (the page refreshes itself), then the preview to
    confirm, the problems to fix, or the result."""

    template_name = "chargeops/import_job.html"
    context_object_name = "job"

    def get_object(self, queryset=None):
        return self.get_scoped_object()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.object
        context.update(
            progress=job_progress(job),
            more_errors=max(job.error_count - ERRORS_KEPT, 0),
            more_rows=max(job.rows_to_write - PREVIEW_KEPT, 0),
            confirm_url=reverse(self.importer.url_name("import_confirm"), args=[job.pk]),
            may_confirm=job.can_confirm and job.user_id == self.request.user.pk,
        )
        return context


class ImportConfirmView(ImportViewMixin, View):
    """Confirm a checked import: it is queued, and its page follows it."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        job = self.get_scoped_object()
        try:
            import_job_confirm(user=request.user, job=job)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(self.job_url(job))
