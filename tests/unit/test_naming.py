import pytest

from vending.errors import InvalidInput
from vending.naming import AccountIdentity, account_identity_render, account_identity_validate


def test_default_templates_render_team_and_environment(settings):
    settings.VENDING_ACCOUNT_EMAIL_DOMAIN = "corp.example"
    identity = account_identity_render(team="checkout", environment="prod", compliance_class="pci")
    assert identity == AccountIdentity(name="checkout-prod", email="aws+checkout-prod@corp.example")


def test_templates_can_include_the_class(settings):
    settings.VENDING_ACCOUNT_NAME_TEMPLATE = "{team}-{compliance_class}-{environment}"
    identity = account_identity_render(
        team="checkout", environment="qa", compliance_class="hipaa_pci"
    )
    assert identity.name == "checkout-hipaa-pci-qa"


def test_unknown_placeholder_is_a_clear_error(settings):
    settings.VENDING_ACCOUNT_NAME_TEMPLATE = "{team}-{region}"
    with pytest.raises(InvalidInput, match="template is invalid"):
        account_identity_render(team="t", environment="dev", compliance_class="general")


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("x" * 51, "aws+ok@example.com", "AWS allows 1 to 50"),
        ("", "aws+ok@example.com", "AWS allows 1 to 50"),
        ("ok", "a@b.c", "AWS allows 6 to 64"),
        ("ok", "a" * 60 + "@example.com", "AWS allows 6 to 64"),
        ("ok", "not-an-email", "not a valid e-mail"),
        ("caf\u00e9", "aws+ok@example.com", "printable ASCII"),
    ],
)
def test_aws_limits_are_enforced_before_any_call(name, email, message):
    with pytest.raises(InvalidInput, match=message):
        account_identity_validate(AccountIdentity(name=name, email=email))


def test_boundaries_are_accepted():
    account_identity_validate(AccountIdentity(name="x" * 50, email="a" * 52 + "@example.com"))
    account_identity_validate(AccountIdentity(name="x", email="a@b.io"))
