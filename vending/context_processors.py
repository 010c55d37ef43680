from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    return {"vending_emulator": settings.VENDING_EMULATOR}
