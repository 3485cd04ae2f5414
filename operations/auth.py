"""Authentication: an API key (or, in dev mode, none) to the principal a request acts as, and
the key management an admin does over the API."""

from __future__ import annotations

from memsvc.stores.keys import KeyRepository

from memsvc.domain import AuthError
from memsvc.domain.auth import ApiKey, NewKey, Principal


class Authenticator:
    def __init__(self, keys: KeyRepository, default_tenant: str, dev_mode: bool) -> None:
        """`dev_mode` is decided once, by the composition root at start (see AuthSettings)."""
        self._keys = keys
        self._default_tenant = default_tenant
        self.dev_mode = dev_mode

    def authenticate(self, raw_key: str | None) -> Principal:
        """The principal of a raw key. Without one, dev mode acts as the default tenant's
        admin; otherwise the request is refused."""
        if raw_key:
            key = self._keys.resolve(raw_key)
            if key is None:
                raise AuthError("unknown or revoked API key")
            return key.principal()
        if self.dev_mode:
            return Principal(self._default_tenant)
        raise AuthError("missing API key: send 'Authorization: Bearer <key>'")

    def create_key(self, new: NewKey) -> tuple[ApiKey, str]:
        return self._keys.create(new)

    def list_keys(self, tenant_id: str) -> list[ApiKey]:
        return self._keys.list(tenant_id)

    def revoke_key(self, tenant_id: str, key_id: str) -> ApiKey:
        return self._keys.revoke(key_id, tenant_id)
