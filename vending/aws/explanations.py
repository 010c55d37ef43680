"""AWS refusals of an account's invitation, removal or closing, said in words a person
can act on. `map_client_error` uses them as the error's message (AWS's own text stays
in `AwsError.aws_message`)."""

from __future__ import annotations

_STANDALONE = (
    "The account cannot leave the organization yet: it does not have what an account "
    "needs to stand alone. "
)

# (error code, reason or "") -> what it means and what to do.
WORDS: dict[tuple[str, str], str] = {
    ("HandshakeConstraintViolationException", "HANDSHAKE_RATE_LIMIT_EXCEEDED"): (
        "AWS sends at most 20 invitations a day for an organization: this one has to wait "
        "until a day has passed since the earliest of the last 20."
    ),
    ("HandshakeConstraintViolationException", "ALREADY_IN_AN_ORGANIZATION"): (
        "The account is already a member of an organization (this one or another): it "
        "has to leave that organization before it can be invited."
    ),
    ("HandshakeConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED"): (
        "The organization has reached its number of accounts: ask AWS support for more."
    ),
    ("HandshakeConstraintViolationException", "PAYMENT_INSTRUMENT_REQUIRED"): (
        "The invited account has no payment method: its owner has to add one first."
    ),
    ("DuplicateHandshakeException", ""): (
        "An invitation to this account is already open: cancel it before sending another."
    ),
    ("AccountOwnerNotVerifiedException", ""): (
        "AWS requires the management account's e-mail address to be verified before it "
        "sends invitations."
    ),
    (
        "HandshakeNotFoundException",
        "",
    ): "AWS has no such invitation (ended ones disappear after 30 days).",
    ("HandshakeAlreadyInStateException", ""): "The invitation is already in that state.",
    ("InvalidHandshakeTransitionException", ""): (
        "The invitation has already ended (accepted, declined, canceled or expired)."
    ),
    ("ConstraintViolationException", "ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA"): _STANDALONE
    + "its owner has to sign in as the root user and accept the AWS Customer Agreement.",
    ("ConstraintViolationException", "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION"): (
        _STANDALONE + "its owner has to sign in as the root user and verify a phone number."
    ),
    ("ConstraintViolationException", "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED"): (
        _STANDALONE + "its owner has to sign in as the root user and add a contact address "
        "and a payment method."
    ),
    ("ConstraintViolationException", "INVALID_PAYMENT_INSTRUMENT"): (
        _STANDALONE + "its payment method is not one AWS accepts; its owner has to add another."
    ),
    ("ConstraintViolationException", "WAIT_PERIOD_ACTIVE"): (
        "AWS does not let an account the organization created leave during its first 7 days."
    ),
    ("ConstraintViolationException", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG"): (
        "The account is a delegated administrator of an AWS service: deregister it first."
    ),
    ("ConstraintViolationException", "ACCOUNT_CANNOT_LEAVE_ORGANIZATION"): (
        "The management account can never leave its organization."
    ),
    ("MasterCannotLeaveOrganizationException", ""): (
        "The management account can never leave its organization."
    ),
    ("ConstraintViolationException", "CANNOT_CLOSE_MANAGEMENT_ACCOUNT"): (
        "The management account cannot be closed from the organization."
    ),
    ("ConstraintViolationException", "CLOSE_ACCOUNT_QUOTA_EXCEEDED"): (
        "AWS closes at most 10% of an organization's member accounts (at least 10, at most "
        "1000) in any 30 days: this closure has to wait until earlier ones are 30 days old."
    ),
    ("ConstraintViolationException", "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED"): (
        "Too many accounts are being closed at once: try again when some have closed."
    ),
    ("AccountAlreadyClosedException", ""): "The account is already closed.",
    ("ConflictException", ""): "The account is already being closed.",
}


def explain(code: str, reason: str) -> str | None:
    """The words for this refusal, or None when there are none."""
    return WORDS.get((code, reason)) or WORDS.get((code, ""))
