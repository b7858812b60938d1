"""Building a whole Canary (container + HTTP app) on either backend, and signed Square webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from core.bootstrap import Container, bootstrap
from core.settings import Settings
from core.tenancy import MerchantAlreadyExistsError, StoreSpec, onboard_merchant
from core.web.app import create_app

SQUARE_FIXTURES = Path(__file__).parents[1] / "fixtures" / "square"
SIGNATURE_KEY = "test-signature-key-for-canary"
TEST_MASTER_KEY = base64.b64encode(b"m" * 32).decode()
TEST_SIGNING_KEY = base64.b64encode(b"s" * 32).decode()
REDIS_URL = os.environ.get("CANARY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def settings_for(database_url: str, var_dir: Path, *, redis: bool, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,  # type: ignore[arg-type]
        redis_url=REDIS_URL if redis else None,  # type: ignore[arg-type]
        bus_prefix=f"canary-test-{uuid.uuid4().hex[:8]}:",
        master_key=TEST_MASTER_KEY,  # type: ignore[arg-type]
        ledger_signing_key=TEST_SIGNING_KEY,  # type: ignore[arg-type]
        var_dir=var_dir,
        worker_block_ms=0,
        **overrides,
    )


def cli_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """The environment a `canary` command runs with against this database (the test keys, no
    merchant preset), for CliRunner.invoke(..., env=...)."""
    return {
        "CANARY_DATABASE_URL": database_url,
        "CANARY_VAR_DIR": str(var_dir),
        "CANARY_MASTER_KEY": TEST_MASTER_KEY,
        "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
        "CANARY_MERCHANT_ID": "",
    }


@contextmanager
def running_canary(settings: Settings, **kwargs: Any) -> Iterator[tuple[Container, TestClient]]:
    container = bootstrap(settings, **kwargs)
    try:
        with TestClient(create_app(container)) as client:
            yield container, client
    finally:
        if settings.redis_url is not None:
            _delete_streams(settings)
        container.close()


def _delete_streams(settings: Settings) -> None:
    import redis

    assert settings.redis_url is not None
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    keys = list(client.scan_iter(match=f"{settings.bus_prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def new_merchant(container: Container, *, square_merchant_id: str | None = None) -> tuple[str, str]:
    """Onboard a merchant with its own notification URL; returns (merchant id, notification URL)."""
    merchant_id = f"m_{uuid.uuid4().hex[:10]}"
    url = f"https://canary.example.com/webhooks/square?merchant={merchant_id}"
    onboard_merchant(
        container.db,
        container.keyring,
        merchant_id=merchant_id,
        name="Greenleaf Garden Center",
        square_merchant_id=square_merchant_id or f"SQ{uuid.uuid4().hex[:10].upper()}",
        square_notification_url=url,
        square_signature_key=SIGNATURE_KEY,
        stores=[StoreSpec(external_id="L88JQ3E6VG5VQ", source="SQUARE", timezone="America/Chicago")],
    )
    return merchant_id, url


def square_sample(name: str) -> dict[str, Any]:
    return json.loads((SQUARE_FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


def signed(body: bytes, url: str, key: str = SIGNATURE_KEY) -> dict[str, str]:
    digest = hmac.new(key.encode(), url.encode() + body, hashlib.sha256).digest()
    return {
        "x-square-hmacsha256-signature": base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }


def webhook(
    name: str, *, event_id: str | None = None, mutate: Callable[[dict[str, Any]], None] | None = None
) -> bytes:
    """An official Square sample as a fresh delivery: a new event id, optionally edited."""
    body = square_sample(name)
    body["event_id"] = event_id or str(uuid.uuid4())
    if mutate:
        mutate(body)
    return json.dumps(body).encode()


def post(client: TestClient, url: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    path = url.removeprefix("https://canary.example.com")
    return client.post(path, content=body, headers=headers if headers is not None else signed(body, url))


def onboarded_sqlite(var_dir: Path, merchant_id: str) -> str:
    """A SQLite deployment under ``var_dir`` with ``merchant_id`` onboarded; returns its URL. A stdio
    server refuses to start for a merchant its database has never onboarded. Asking twice is fine."""
    url = f"sqlite:///{var_dir / 'canary.db'}"
    container = bootstrap(settings_for(url, var_dir, redis=False))
    try:
        onboard_merchant(container.db, container.keyring, merchant_id=merchant_id, name=merchant_id)
    except MerchantAlreadyExistsError:
        pass
    finally:
        container.close()
    return url
