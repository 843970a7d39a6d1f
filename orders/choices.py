from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    CHARGING = "charging", _("Charging")
    COMPLETED = "completed", _("Completed")
    ABNORMAL = "abnormal", _("Abnormal")


class PaymentMethod(models.TextChoices):
    RFID_CARD = "rfid_card", _("RFID card")
    APP = "app", _("App")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CREDIT_CARD = "credit_card", _("Credit card")
    FREE = "free", _("Free")
    # The driver portal's prepaid wallet (drivers/): debited when the order stops.
    WALLET = "wallet", _("Wallet")


class StopReason(models.TextChoices):
    """OCPP 1.6 StopTransaction reasons."""

    EMERGENCY_STOP = "EmergencyStop", _("Emergency stop")
    EV_DISCONNECTED = "EVDisconnected", _("Vehicle disconnected")
    HARD_RESET = "HardReset", _("Hard reset")
    LOCAL = "Local", _("Stopped at the pile")
    OTHER = "Other", _("Other")
    POWER_LOSS = "PowerLoss", _("Power loss")
    REBOOT = "Reboot", _("Reboot")
    REMOTE = "Remote", _("Stopped remotely")
    SOFT_RESET = "SoftReset", _("Soft reset")
    UNLOCK_COMMAND = "UnlockCommand", _("Unlock command")
    DE_AUTHORIZED = "DeAuthorized", _("Id tag de-authorized")
