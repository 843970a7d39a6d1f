"""A reusable test base for a model's management pages, fed with data (NetBox's ViewTestCases
are the model). A subclass names the model's URL prefix and says how to make an object for an
operator and what valid and invalid form data look like; every behaviour below is then tested
for that model: scoping, permissions, list, filter, export, create, edit, delete."""

from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.choices import Role

from .factories import UserFactory


class ModelViewTests:
    model = None
    url_prefix = ""  # "stations:station"
    # The permission each role has on the model: analysts read, admins do everything.
    technician_can_view = True
    supports_edit = True
    supports_delete = True

    # --- data a subclass provides -------------------------------------------------------
    def make(self, operator):
        """An object that belongs to `operator`."""
        raise NotImplementedError

    def valid_data(self, operator) -> dict:
        raise NotImplementedError

    def invalid_data(self, operator) -> tuple[dict, str]:
        """Form data that must be refused, and a piece of the message the user must see."""
        raise NotImplementedError

    def changed_data(self, obj) -> tuple[dict, str, object]:
        """Form data editing `obj`, the field it changes and the value expected after."""
        raise NotImplementedError

    def filter_case(self, operator) -> tuple[dict, object, object]:
        """GET parameters, an object they select and an object they leave out."""
        raise NotImplementedError

    # --- helpers ------------------------------------------------------------------------
    def url(self, action, *args):
        return reverse(f"{self.url_prefix}_{action}", args=args)

    def login(self, client, operator, role):
        user = UserFactory(operator=operator, role=role)
        client.force_login(user)
        return user

    # --- the tests ----------------------------------------------------------------------
    def test_anonymous_is_sent_to_login(self, client, db):
        response = client.get(self.url("list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))

    def test_list_shows_own_objects_only(self, client, operator, other_operator):
        own, foreign = self.make(operator), self.make(other_operator)
        self.login(client, operator, Role.ANALYST)
        response = client.get(self.url("list"))
        assert response.status_code == 200
        assert str(own) in response.content.decode()
        assert str(foreign) not in response.content.decode()

    def test_list_query_count_does_not_grow_with_rows(self, client, operator, django_assert_max_num_queries):
        self.login(client, operator, Role.ANALYST)
        self.make(operator)
        with CaptureQueriesContext(connection) as few:
            client.get(self.url("list"))
        for _ in range(5):
            self.make(operator)
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(self.url("list"))

    def test_filter_selects_matching_rows(self, client, operator):
        params, selected, left_out = self.filter_case(operator)
        self.login(client, operator, Role.ANALYST)
        response = client.get(self.url("list"), params)
        rows = list(response.context["table"].data)
        assert selected in rows
        assert left_out not in rows

    def test_export_is_xlsx_of_own_rows(self, client, operator, other_operator):
        own, foreign = self.make(operator), self.make(other_operator)
        self.login(client, operator, Role.ANALYST)
        response = client.get(self.url("list"), {"export": "xlsx"})
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(response.content)).active
        cells = {str(cell.value) for row in sheet.iter_rows() for cell in row}
        assert str(own) in cells
        assert str(foreign) not in cells

    def test_detail_of_another_operator_is_404(self, client, operator, other_operator):
        own, foreign = self.make(operator), self.make(other_operator)
        self.login(client, operator, Role.OPERATOR_ADMIN)
        assert client.get(own.get_absolute_url()).status_code == 200
        assert client.get(foreign.get_absolute_url()).status_code == 404
        if self.supports_edit:
            assert client.get(self.url("edit", foreign.pk)).status_code == 404
            assert client.post(self.url("edit", foreign.pk), self.valid_data(operator)).status_code == 404

    def test_create_with_valid_data(self, client, operator):
        self.login(client, operator, Role.OPERATOR_ADMIN)
        assert client.get(self.url("add")).status_code == 200
        before = self.model.objects.count()
        response = client.post(self.url("add"), self.valid_data(operator))
        assert response.status_code == 302, response.context and response.context["form"].errors
        assert self.model.objects.count() == before + 1

    def test_create_with_bad_data_changes_nothing(self, client, operator):
        self.login(client, operator, Role.OPERATOR_ADMIN)
        data, message = self.invalid_data(operator)
        before = self.model.objects.count()
        response = client.post(self.url("add"), data)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert self.model.objects.count() == before

    def test_edit_changes_the_object(self, client, operator):
        if not self.supports_edit:
            pytest.skip("not editable")
        obj = self.make(operator)
        self.login(client, operator, Role.OPERATOR_ADMIN)
        data, field, expected = self.changed_data(obj)
        response = client.post(self.url("edit", obj.pk), data)
        assert response.status_code == 302, response.context and response.context["form"].errors
        obj.refresh_from_db()
        assert getattr(obj, field) == expected

    def test_delete(self, client, operator, other_operator):
        if not self.supports_delete:
            pytest.skip("not deletable")
        own, foreign = self.make(operator), self.make(other_operator)
        self.login(client, operator, Role.OPERATOR_ADMIN)
        assert client.post(self.url("delete", foreign.pk)).status_code == 404
        assert client.get(self.url("delete", own.pk)).status_code == 200
        assert client.post(self.url("delete", own.pk)).status_code == 302
        assert not self.model.objects.filter(pk=own.pk).exists()
        assert self.model.objects.filter(pk=foreign.pk).exists()

    def test_analyst_reads_but_cannot_change(self, client, operator):
        obj = self.make(operator)
        self.login(client, operator, Role.ANALYST)
        assert client.get(self.url("list")).status_code == 200
        assert client.get(obj.get_absolute_url()).status_code == 200
        assert client.get(self.url("add")).status_code == 403
        assert client.post(self.url("add"), self.valid_data(operator)).status_code == 403
        if self.supports_edit:
            assert client.post(self.url("edit", obj.pk), self.valid_data(operator)).status_code == 403
        if self.supports_delete:
            assert client.post(self.url("delete", obj.pk)).status_code == 403
        assert self.model.objects.filter(pk=obj.pk).exists()

    def test_technician_reads_but_cannot_change(self, client, operator):
        obj = self.make(operator)
        self.login(client, operator, Role.TECHNICIAN)
        expected = 200 if self.technician_can_view else 403
        assert client.get(self.url("list")).status_code == expected
        assert client.get(self.url("add")).status_code == 403
        if self.supports_delete:
            assert client.post(self.url("delete", obj.pk)).status_code == 403

    def test_platform_admin_sees_every_operator(self, client, operator, other_operator, platform_admin):
        own, foreign = self.make(operator), self.make(other_operator)
        client.force_login(platform_admin)
        content = client.get(self.url("list")).content.decode()
        assert str(own) in content and str(foreign) in content
