from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DriversConfig(AppConfig):
    name = "drivers"
    verbose_name = _("Drivers")

    def ready(self):
        from . import signals  # noqa: F401  (a wallet is credited when its top-up is paid)
