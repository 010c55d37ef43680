"""Test settings: the embedded defaults, fast hashing, a throwaway var/ directory."""

import os
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("VENDING_VAR_DIR", tempfile.mkdtemp(prefix="vending-test-"))

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Each test process counts in a folder of its own (xdist workers inherit the environment,
# and so the var directory, of the process that starts them); a process that a test
# starts inherits its worker's.
_test_process = os.environ.get("PYTEST_XDIST_WORKER", "main")
PROMETHEUS_MULTIPROC_DIR = VAR_DIR / f"metrics-{_test_process}"  # noqa: F405
# WhiteNoise expects the collected-static folder to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# The in-process test emulator creates accounts in 0.3 s (tests/conftest.py): the first
# status read of a test's first creation need not wait the production guess.
VENDING_CREATE_FIRST_CHECK_SECONDS = 0.3
# botocore tries a failing call again after a growing, jittered pause (up to seconds);
# tests that reach no AWS at all (pages without the emulator) or inject 5xx answers
# would spend their time asleep. One retry still shows a retried call being retried.
VENDING_AWS_MAX_ATTEMPTS = 2
# Identity Center stays out of the tests that are not about it (tests/access/ turn it on).
VENDING_IDENTITY_CENTER = False
