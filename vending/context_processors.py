from django.conf import settings
from django.http import HttpRequest

from vending.roles import is_admin, is_approver
from vending.selectors.navigation import nav_counts_for


def portal(request: HttpRequest) -> dict[str, object]:
    """What every page shows: the emulator banner, the user's roles, what waits for them."""
    user = request.user
    context: dict[str, object] = {
        "vending_emulator": settings.VENDING_EMULATOR,
        "oidc_enabled": getattr(settings, "VENDING_OIDC_ENABLED", False),
    }
    if not user.is_authenticated:
        return context
    # Read by `signin_required` on the pages behind it (with the roles).
    counts = getattr(request, "nav_counts", None) or nav_counts_for(user=user)
    context.update(
        {
            "is_approver": is_approver(user),
            "is_admin": is_admin(user),
            "is_lead": counts.is_lead,
            "approvals_waiting": counts.approvals_waiting,
            "my_open_requests": counts.my_open_requests,
        }
    )
    return context
