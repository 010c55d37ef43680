from django.conf import settings
from django.http import HttpRequest

from vending.models import AccountRequest
from vending.roles import is_admin, is_approver
from vending.selectors import approval_queue_for


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
            "is_lead": user.led_teams.exists(),
            "approvals_waiting": approval_queue_for(user=user).count() if approver else 0,
            "my_open_requests": AccountRequest.objects.filter(
                requester=user, status__in=["pending_approval", "approved", "provisioning"]
            ).count(),
        }
    )
    return context
