"""Django's database sessions, with each session key stored as a digest.

A session key is a bearer secret: whoever has it is signed in. Django keeps it in plain
text as the primary key of `django_session`, so anyone who reads the database (a backup,
a replica, a dump) could take over every open session. This store keeps the SHA-256 of
the key (its first 40 hex characters: the column's width) and looks sessions up by it;
the browser's cookie still carries the key itself. `SESSION_ENGINE` names this module.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.sessions.backends import db
from django.utils import timezone


def stored_session_key(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()[:40]


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        found = self.model.objects.filter(
            session_key=stored_session_key(self.session_key or ""),
            expire_date__gt=timezone.now(),
        ).first()
        if found is None:
            self._session_key = None
        return found

    async def _aget_session_from_db(self) -> Any:
        found = await self.model.objects.filter(
            session_key=stored_session_key(self.session_key or ""),
            expire_date__gt=timezone.now(),
        ).afirst()
        if found is None:
            self._session_key = None
        return found

    def exists(self, session_key: str) -> bool:
        return bool(self.model.objects.filter(session_key=stored_session_key(session_key)).exists())

    async def aexists(self, session_key: str) -> bool:
        stored = stored_session_key(session_key)
        return bool(await self.model.objects.filter(session_key=stored).aexists())

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance = super().create_model_instance(data)
        instance.session_key = stored_session_key(instance.session_key)
        return instance

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        instance = await super().acreate_model_instance(data)
        instance.session_key = stored_session_key(instance.session_key)
        return instance

    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is not None:
            self.model.objects.filter(session_key=stored_session_key(key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is not None:
            await self.model.objects.filter(session_key=stored_session_key(key)).adelete()
