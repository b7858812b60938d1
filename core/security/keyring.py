"""Where keys live: the master key (settings or, in embedded mode, a file under var/) and the
per-merchant keys (wrapped in ``app.merchant_keys``), unwrapped once per process and cached."""

from __future__ import annotations

import base64
import binascii
import os
import threading
from pathlib import Path

from sqlmodel import Session, select

from core.db.tables.tenants import MerchantKey
from core.security.crypto import KEY_BYTES, new_key, unwrap_key, wrap_key


class MissingKeyError(LookupError):
    """A key that should exist does not (destroyed by crypto-shredding, or never provisioned)."""


def decode_key(encoded: str, *, name: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} must be base64 of {KEY_BYTES} bytes") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"{name} must be base64 of {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def load_or_create_key_file(path: Path) -> bytes:
    """Embedded mode only: a stable key across restarts, created with owner-only permissions."""
    if path.exists():
        return decode_key(path.read_text().strip(), name=str(path.name))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")
    return key


class MerchantKeyring:
    """Per-merchant keys by purpose. ``get`` provisions a missing key on first use (in the caller's
    tenant transaction, so the key and the first payload it protects commit together)."""

    def __init__(self, master_key: bytes) -> None:
        self._master = master_key
        self._cache: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, merchant_id: str, purpose: str, *, create: bool = True) -> bytes:
        cached = self._cache.get((merchant_id, purpose))
        if cached is not None:
            return cached
        row = session.exec(
            select(MerchantKey)
            .where(MerchantKey.merchant_id == merchant_id, MerchantKey.purpose == purpose)
            .order_by(MerchantKey.version.desc())  # type: ignore[attr-defined]
        ).first()
        if row is None:
            if not create:
                raise MissingKeyError(f"merchant {merchant_id} has no {purpose} key")
            key = new_key()
            wrapped = wrap_key(self._master, key, merchant_id=merchant_id, purpose=purpose)
            session.add(MerchantKey(merchant_id=merchant_id, purpose=purpose, wrapped_key=wrapped))
            session.flush()
        elif row.wrapped_key is None:
            raise MissingKeyError(f"merchant {merchant_id}'s {purpose} key was destroyed")
        else:
            key = unwrap_key(self._master, row.wrapped_key, merchant_id=merchant_id, purpose=purpose)
        with self._lock:
            self._cache[(merchant_id, purpose)] = key
        return key

    def put(self, session: Session, merchant_id: str, purpose: str, key: bytes) -> None:
        """Store a key handed to us (a vendor's webhook signature key), replacing the old version."""
        wrapped = wrap_key(self._master, key, merchant_id=merchant_id, purpose=purpose)
        current = session.exec(
            select(MerchantKey).where(MerchantKey.merchant_id == merchant_id, MerchantKey.purpose == purpose)
        ).all()
        version = max((k.version for k in current), default=0) + 1
        session.add(
            MerchantKey(merchant_id=merchant_id, purpose=purpose, version=version, wrapped_key=wrapped)
        )
        with self._lock:
            self._cache[(merchant_id, purpose)] = key

    def all_versions(self, session: Session, merchant_id: str, purpose: str) -> list[bytes]:
        """Every live version, newest first: webhook keys are tried in turn during a rotation."""
        rows = session.exec(
            select(MerchantKey).where(MerchantKey.merchant_id == merchant_id, MerchantKey.purpose == purpose)
        ).all()
        return [
            unwrap_key(self._master, r.wrapped_key, merchant_id=merchant_id, purpose=purpose)
            for r in sorted(rows, key=lambda r: -r.version)
            if r.wrapped_key is not None
        ]

    def forget(self, merchant_id: str, purpose: str) -> None:
        with self._lock:
            self._cache.pop((merchant_id, purpose), None)
