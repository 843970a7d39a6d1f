import functools
import types

from django.apps import AppConfig


class ChargeOpsConfig(AppConfig):
    name = "chargeops"
    verbose_name = "ChargeOps"

    def ready(self):
        from . import db  # noqa: F401  (registers the `any_of` lookup)

        tables_signature_cache()


def tables_signature_cache() -> None:
    """django-tables2 inspects the signature of a column's render method again for every cell
    it draws, a fifth of the time of a statistics table. A function's signature never changes:
    it is read once per function (a method's once per function, not per bound method, which
    would keep every table alive), such as a column's render method or its `linkify`."""
    from django_tables2 import utils

    inspect_signature = utils.signature
    function_signature = functools.lru_cache(maxsize=1024)(inspect_signature)

    def signature(fn):
        function = getattr(fn, "__func__", None)
        if function is not None:
            arguments, keywords = function_signature(function)
            return arguments[1:], keywords  # a bound method: without its self
        if isinstance(fn, types.FunctionType):
            return function_signature(fn)
        return inspect_signature(fn)

    utils.signature = signature
