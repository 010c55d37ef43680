from django.conf import settings
from django.http import HttpRequest

from vending.roles import is_admin, is_approver
from vending.selectors.requests import approval_queue_for, open_requests_of
from vending.selectors.teams import teams_led_by


def portal(request: HttpRequest) -> dict[str, object]:
    """What every page shows: the emulator banner, the user's roles, what waits for them."""
    user = request.user
    context: dict[str, object] = {
        "vending_emulator": settings.VENDING_EMULATOR,
        "oidc_enabled": getattr(settings, "VENDING_OIDC_ENABLED", False),
    }
    if not user.is_authenticated:
        return context
    approver = is_approver(user)
    context.update(
        {
            "is_approver": approver,
            "is_admin": is_admin(user),
            "is_lead": teams_led_by(user=user).exists(),
            "approvals_waiting": approval_queue_for(user=user).count() if approver else 0,
            "my_open_requests": open_requests_of(user=user).count(),
        }
    )
    return context
