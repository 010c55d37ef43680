"""The Django admin site of the portal: open to portal admins, not only to staff.

Django's admin lets in `is_staff` users only; the portal's admins are superusers or
members of the `portal-admins` group (often synced from the IdP), so the site asks the
portal's own role check instead of a flag someone must remember to set.
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class PortalAdminSite(AdminSite):
    site_header = "Account vending administration"
    site_title = "Account vending admin"
    index_title = "Teams, people and records"

    def has_permission(self, request: HttpRequest) -> bool:
        # Imported here: this module is loaded with INSTALLED_APPS, before the models.
        from vending.roles import is_admin

        user = request.user
        return bool(user.is_active and (user.is_staff or is_admin(user)))


class PortalAdminConfig(AdminConfig):
    default_site = "vending.admin_site.PortalAdminSite"
