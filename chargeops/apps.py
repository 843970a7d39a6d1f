from django.apps import AppConfig


class ChargeOpsConfig(AppConfig):
    name = "chargeops"
    verbose_name = "ChargeOps"
