"""The generic management views every model's pages are declared with.

A model's list, detail, edit and delete pages are subclasses that set four or five attributes
(model, queryset, filterset, table, form, services); scoping to the user's operator, permission
checks, paging, export and error handling live here once.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView
from django_tables2 import LazyPaginator, SingleTableMixin

from .export import table_export_response

PAGE_SIZES = [10, 15, 25, 50, 100]
DEFAULT_PAGE_SIZE = 15


def model_url(model, action: str, *args) -> str | None:
    """The URL named `<app>:<model>_<action>`, or None where the app has no such page."""
    opts = model._meta
    try:
        return reverse(f"{opts.app_label}:{opts.model_name}_{action}", args=args)
    except NoReverseMatch:
        return None


def model_permission(model, action: str) -> str:
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


class UncountedPaginator(LazyPaginator):
    """Pages that never COUNT the rows: only whether a next page exists is looked up. For
    tables of millions of rows (charging orders), where a count per page view costs more than
    the page."""

    uncounted = True


def page_size(request) -> int:
    """The page size the request asks for, when it is one of PAGE_SIZES."""
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def table_order(table, request) -> None:
    """Sort `table` as the request asks (`sort`, or `<prefix>sort`); unknown columns are ignored."""
    order_by = request.GET.getlist(table.prefixed_order_by_field)
    if order_by:
        table.order_by = order_by


# Past the end of any table, and low enough that the rows it skips fit the database's integers
# (an uncounted page asks the database for them).
MAX_PAGE = 10**9


def table_paginate(table, request, per_page: int, paginator_class=None) -> None:
    """Page `table` as the request asks; a page past the end shows the last (or, uncounted,
    the first) page."""
    paginator_class = paginator_class or Paginator
    table.page_sizes = PAGE_SIZES
    try:
        page = min(max(int(request.GET.get(table.prefixed_page_field, 1)), 1), MAX_PAGE)
    except ValueError:
        page = 1
    try:
        table.paginate(paginator_class=paginator_class, page=page, per_page=per_page)
    except EmptyPage:
        last = 1 if getattr(paginator_class, "uncounted", False) else table.paginator.num_pages
        table.paginate(paginator_class=paginator_class, page=last, per_page=per_page)


class ObjectViewMixin:
    """Reads only what the signed-in user's operator owns and checks the model permission that
    the view's `action` needs: a missing permission is a 403, another operator's object a 404."""

    model = None
    queryset = None
    action = "view"
    # The permission to ask for instead of the model's `<action>_<model>` one, for views that act
    # on one model by making another (a pile's page sends a command).
    permission: str | None = None
    # The services' keyword for the object, where it is not the model's name (`work_order`, and
    # `account` for a user, since `user` is whoever acts).
    service_object_name: str | None = None

    def service_object(self, obj) -> dict:
        return {self.service_object_name or self.model._meta.model_name: obj}

    def get_action(self) -> str:
        return self.action

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs:
            # Another operator's object is not found, whatever the role asks to do with it.
            self.get_scoped_object()
        if not request.user.has_perm(self.permission or model_permission(self.model, self.get_action())):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        queryset = self.queryset if self.queryset is not None else self.model.objects.all()
        return queryset.all().for_user(self.request.user)

    def get_scoped_object(self):
        """The object of the URL among the user's operator's (read once per request)."""
        if getattr(self, "_scoped_object", None) is None:
            self._scoped_object = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        return self._scoped_object

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            model_name=self.model._meta.verbose_name,
            model_name_plural=self.model._meta.verbose_name_plural,
            list_url=model_url(self.model, "list"),
            can_add=user.has_perm(model_permission(self.model, "add")),
            can_change=user.has_perm(model_permission(self.model, "change")),
            can_delete=user.has_perm(model_permission(self.model, "delete")),
        )
        return context


class ObjectListView(ObjectViewMixin, SingleTableMixin, FilterView):
    """A filter bar, a paged table and Excel export of what the filters select."""

    template_name = "chargeops/object_list.html"
    filterset_class = None
    table_class = None
    # Extra buttons beside "Add": (label, URL name, permission action).
    list_buttons: list[tuple[str, str, str]] = []
    paginator_class = Paginator

    def get_page_size(self) -> int:
        return page_size(self.request)

    def get_table_kwargs(self):
        return {}

    def get_table_data(self):
        rows = super().get_table_data()
        if not rows.ordered:
            # Aggregating querysets (counts per row) drop Meta.ordering; pages must stay stable.
            rows = rows.order_by(*(self.model._meta.ordering or ["pk"]))
        return rows

    def build_table(self, rows):
        """The table of `rows`, sorted as the request asks. Not django-tables2's RequestConfig:
        that would take `per_page` from the query string unchecked."""
        table = self.get_table_class()(rows, **self.get_table_kwargs())
        table.request = self.request
        table_order(table, self.request)
        return table

    def get_table(self, **kwargs):
        table = self.build_table(self.get_table_data())
        table_paginate(table, self.request, self.get_page_size(), self.paginator_class)
        return table

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("export")
        if not export_format:
            return super().get(request, *args, **kwargs)
        # The same rows the page shows, unpaged: invalid filters export nothing, as they list nothing.
        self.filterset = self.get_filterset(self.get_filterset_class())
        valid = not self.filterset.is_bound or self.filterset.is_valid()
        self.object_list = self.filterset.qs if valid else self.filterset.queryset.none()
        table = self.build_table(self.get_table_data())
        return table_export_response(request, table, self.model._meta.verbose_name_plural, export_format)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            add_url=model_url(self.model, "add") if context["can_add"] else None,
            page_size=self.get_page_size(),
            list_buttons=[
                (label, reverse(url_name))
                for label, url_name, action in self.list_buttons
                if user.has_perm(model_permission(self.model, action))
            ],
        )
        return context


class ObjectDetailView(ObjectViewMixin, DetailView):
    """One object's page. Templates are `<app>/<model>_detail.html`."""

    def get_object(self, queryset=None):
        return self.get_scoped_object()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            edit_url=model_url(self.model, "edit", self.object.pk) if context["can_change"] else None,
            delete_url=model_url(self.model, "delete", self.object.pk) if context["can_delete"] else None,
        )
        return context


def form_add_service_error(form, error: ValidationError) -> None:
    """Show a service's validation error on the form: on its fields where it names them."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ObjectEditView(ObjectViewMixin, TemplateView):
    """Add (no `pk` in the URL) or edit an object through its services.

    `create_service(user=..., **cleaned_data)` and `update_service(user=..., <model_name>=obj,
    **cleaned_data)` do the write; a ValidationError they raise re-renders the form with the
    message and nothing is changed. `formset_class` adds an inline formset (a pile's guns) whose
    rows reach the services as `<formset prefix>=[cleaned rows]`.
    """

    template_name = "chargeops/object_edit.html"
    form_class = None
    formset_class = None
    create_service = None
    update_service = None

    def get_action(self) -> str:
        return "change" if "pk" in self.kwargs else "add"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = None

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs and request.user.is_authenticated:
            self.object = self.get_scoped_object()
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict:
        return {key: value for key, value in self.request.GET.items() if key in self.form_class.base_fields}

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        form = self.form_class(data, instance=self.object, initial=self.get_initial(), user=self.request.user)
        if data is not None and form.is_multipart():
            # Only a form with a file field takes files (the others' signatures have no place for them).
            form.files = self.request.FILES
        return form

    def get_formset(self):
        if self.formset_class is None:
            return None
        data = self.request.POST if self.request.method == "POST" else None
        return self.formset_class(data, instance=self.object, user=self.request.user)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form(), formset=self.get_formset()))

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        formset = self.get_formset()
        valid = form.is_valid()
        if formset is not None:
            valid = formset.is_valid() and valid
        if valid:
            try:
                obj = self.save(form, formset)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                # In context: Chinese words the verbs apart from the fields “updated” and “created”.
                verb = pgettext("object saved", "updated") if self.object else pgettext("object saved", "created")
                messages.success(
                    request,
                    _("%(model)s “%(obj)s” %(verb)s.")
                    % {
                        "model": self.model._meta.verbose_name.capitalize(),
                        "obj": obj,
                        "verb": verb,
                    },
                )
                return HttpResponseRedirect(self.get_success_url(obj))
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def save(self, form, formset):
        data = dict(form.cleaned_data)
        if formset is not None:
            data[formset.prefix] = formset.cleaned_rows()
        user = self.request.user
        if self.object is None:
            return self.create_service(user=user, **data)
        return self.update_service(user=user, **self.service_object(self.object), **data)

    def get_success_url(self, obj) -> str:
        return obj.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            cancel_url=self.object.get_absolute_url() if self.object else model_url(self.model, "list"),
        )
        return context


class ObjectDeleteView(ObjectViewMixin, TemplateView):
    """Confirm, then delete through `delete_service(user=..., <model_name>=obj)`. A service that
    refuses (a station that still has piles) raises ValidationError and its reason is shown."""

    template_name = "chargeops/object_confirm_delete.html"
    action = "delete"
    delete_service = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = self.get_scoped_object()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

    def post(self, request, *args, **kwargs):
        name = str(self.object)
        try:
            with transaction.atomic():
                self.delete_service(user=request.user, **self.service_object(self.object))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(self.object.get_absolute_url())
        messages.success(
            request,
            _("%(model)s “%(obj)s” deleted.")
            % {
                "model": self.model._meta.verbose_name.capitalize(),
                "obj": name,
            },
        )
        return HttpResponseRedirect(model_url(self.model, "list"))


class ObjectActionView(ObjectViewMixin, TemplateView):
    """A POST-only action on one object (enable, disable, move, send a command): calls `service`
    and goes back. With a `form_class`, the posted form is validated first and its
    `service_kwargs()` join the call."""

    http_method_names = ["post"]
    action = "change"
    service = None
    service_kwargs: dict = {}
    success_message = ""
    form_class = None

    def form_kwargs(self, obj) -> dict:
        return {}

    def result_message(self, obj, result) -> tuple[int, str]:
        """The message level and text once the service ran."""
        return messages.SUCCESS, self.success_message % {"obj": obj}

    def post(self, request, *args, **kwargs):
        obj = self.get_scoped_object()
        kwargs = dict(self.service_kwargs)
        form = self.form_class(request.POST, **self.form_kwargs(obj)) if self.form_class else None
        if form is not None and not form.is_valid():
            errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
            messages.error(request, " ".join(errors))
            return self.redirect_back(obj)
        if form is not None:
            kwargs.update(form.service_kwargs())
        try:
            result = self.service(user=request.user, **self.service_object(obj), **kwargs)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.add_message(request, *self.result_message(obj, result))
        return self.redirect_back(obj)

    def redirect_back(self, obj):
        request = self.request
        next_url = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(next_url)
        return HttpResponseRedirect(obj.get_absolute_url())
