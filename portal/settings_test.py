"""Test settings: the embedded defaults, fast hashing, a throwaway var/ directory."""

import os
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("VENDING_VAR_DIR", tempfile.mkdtemp(prefix="vending-test-"))

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# WhiteNoise expects the collected-static folder to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
