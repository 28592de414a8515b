"""TOTP (django-otp) for councilors: enrolment from a QR code, verification, and the state the
sign-in needs. The sign-in itself (session and token) is directory's; it asks django-otp's
device directly, so directory never imports council.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit import services as audit
from audit.exceptions import ValidationFailed
from audit.transactions import atomic_service
from directory.models import Person

DEVICE_NAME = "tablet"


def is_councilor_user(user: Any) -> bool:
    return Person.objects.filter(user=user, kind=Person.Kind.COUNCILOR).exists()


def has_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@atomic_service
def enrolment_start(*, user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled (a new secret each time it is started afresh)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def pending_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def provisioning_uri(device: TOTPDevice) -> str:
    return device.config_url


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code (no image library, no CDN)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


@atomic_service
def enrolment_confirm(*, user: Any, code: str, request: Any = None) -> TOTPDevice:
    """Confirm the pending device with a code from the app; raises ValidationFailed (400)."""
    device = pending_device(user)
    code = "".join(str(code or "").split())
    if device is None or not code.isdigit() or not device.verify_token(code):
        raise ValidationFailed(_("The code is not correct. Please try again."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    audit.record(action="council.totp_enrolled", actor=user, target=user, request=request)
    return device


def issuer() -> str:
    return getattr(settings, "OTP_TOTP_ISSUER", "Kairan")
