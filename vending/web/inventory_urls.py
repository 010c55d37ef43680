"""The inventory pages: accounts, the organization tree, the audit trail."""

from django.urls import path, register_converter

from vending.web import accounts, audit, org


class AwsAccountIdConverter:
    """Exactly 12 digits: anything else names no AWS account (a plain 404)."""

    regex = "[0-9]{12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AwsAccountIdConverter, "aws_account_id")

urlpatterns = [
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/<aws_account_id:account_id>/", accounts.account_detail, name="account_detail"),
    path("org/", org.org_tree, name="org_tree"),
    path("audit/", audit.audit_list, name="audit_list"),
]
