"""The user's exports written in the background (`ExportJob`): their list, which follows the
ones still being written, and the download of a file. Each user sees only their own."""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.generic import ListView, View

from .choices import ExportStatus
from .models import ExportJob
from .services import job_progress


class ExportJobListView(ListView):
    template_name = "chargeops/export_jobs.html"
    context_object_name = "jobs"

    def get_queryset(self):
        return ExportJob.objects.filter(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["waiting"] = any(job.is_running for job in context["jobs"])
        for job in context["jobs"]:
            job.progress = job_progress(job)
        context["keep_hours"] = settings.EXPORT_KEEP_HOURS
        return context


class ExportJobDownloadView(View):
    def get(self, request, pk):
        job = get_object_or_404(ExportJob, pk=pk, user=request.user, status=ExportStatus.DONE)
        if not job.file:
            raise Http404("The file is no longer kept")
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)
