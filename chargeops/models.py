"""Operator scoping shared by every domain model.

Each scoped model names the path from itself to its `accounts.Operator` in `operator_path`;
`Model.objects.for_user(user)` is then the one way to read rows a user may see. Platform admins
(superusers without an operator) see every operator's rows; anyone else sees only their own
operator's, and a user with neither sees nothing.
"""

from django.db import models


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


def fields_set(instance, fields, data: dict) -> None:
    """Set on `instance` those of `fields` that `data` names: a service's partial update."""
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])
