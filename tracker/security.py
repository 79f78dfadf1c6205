"""Security helpers: the client address behind a proxy, the sign-in form and
lockout page, and framing for pages meant to be embedded on other sites."""

import ipaddress
import math
from functools import wraps

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.validators import MaxLengthValidator
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override


class SignInForm(AdminAuthenticationForm):
    """The admin's sign-in form, refusing a name longer than any account's.

    Django only sets the field's max_length after building it, so nothing
    checks it, and django-axes would fail to record the failed sign-in.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


def client_ip(request):
    """Return the address a request came from, for django-axes.

    Behind PROXY_COUNT trusted proxies, REMOTE_ADDR is the nearest proxy; the
    client is the entry those proxies appended to X-Forwarded-For, counted
    from the right. Entries further left come from the client itself and
    could be forged to dodge a lockout.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    hops = settings.PROXY_COUNT
    if not hops:
        return remote_addr
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if len(forwarded) < hops:
        return remote_addr
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return remote_addr


def lockout_response(request, original_response=None, credentials=None):
    """Render the lockout page in the site's design, for django-axes."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60)
    response = render(request, "lockout.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


def embeddable(view_func):
    """Let the sites in EMBED_FRAME_ANCESTORS show this view in a frame.

    Every other page keeps `frame-ancestors 'none'` and X-Frame-Options DENY.
    """

    @wraps(view_func)
    def _view(request, *args, **kwargs):
        policy = {
            **settings.SECURE_CSP,
            "frame-ancestors": settings.EMBED_FRAME_ANCESTORS,
        }
        return csp_override(policy)(view_func)(request, *args, **kwargs)

    return xframe_options_exempt(_view)
