"""The only part of the portal that talks to AWS (through boto3).

Everything above this package receives dataclasses and the two error kinds of
`vending.aws.errors`; nothing above it imports boto3 or botocore.
"""

from vending.aws.errors import AwsError, PermanentAwsError, TransientAwsError
from vending.aws.gateway import OrganizationsGateway, get_gateway

__all__ = [
    "AwsError",
    "OrganizationsGateway",
    "PermanentAwsError",
    "TransientAwsError",
    "get_gateway",
]
