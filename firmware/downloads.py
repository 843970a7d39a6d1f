"""Signed, expiring links that piles download firmware from.

A pile cannot sign in, so the link is its own permission: it names the package and the moment
it stops working, signed with the SECRET_KEY. Each link carries its own end rather than being
checked against an age, because a pile told to download tonight must still find the file then.
"""

import time
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import FirmwarePackage

SALT = "firmware.download"
# `make demo` serves the platform here; a deployment says where piles reach it.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:8000"


def download_base_url() -> str:
    """Where piles reach the platform over HTTP(S), without a trailing slash; empty when a
    production deployment has not said."""
    base = settings.FIRMWARE_DOWNLOAD_BASE_URL or (DEVELOPMENT_BASE_URL if settings.DEBUG else "")
    return base.rstrip("/")


def download_url(package: FirmwarePackage, *, until: datetime) -> str:
    token = signing.dumps({"package": package.pk, "until": int(until.timestamp())}, salt=SALT, compress=True)
    return download_base_url() + reverse("firmware:firmwarepackage_download", args=[token, package.file_name])


def download_package(token: str) -> FirmwarePackage | None:
    """The package a link names, or None when the link was changed, made with another key or
    has expired."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("until"), int) or data["until"] < time.time():
        return None
    return FirmwarePackage.objects.filter(pk=data.get("package")).first()
