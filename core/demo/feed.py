"""What a replay feeds through Canary, read from a simulated world's directory (``canary simulate``'s
output, docs/simulator.md): the merchant to onboard, Square's signed webhook deliveries, the Square
API pages to poll and the Counterpoint batch directory — exactly the three ways real data arrives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.domain.records import Vendor
from core.tenancy import StoreSpec


@dataclass(frozen=True)
class Delivery:
    """One HTTP request as the vendor would send it (path includes the query string)."""

    path: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class MerchantSpec:
    merchant_id: str
    name: str
    square_merchant_id: str | None
    notification_url: str | None
    signature_key: str | None
    stores: list[StoreSpec]


@dataclass(frozen=True)
class WorldDirectory:
    """A simulator output directory, with the facts the replay needs read out of it once."""

    root: Path
    merchant: MerchantSpec
    square_locations: list[str]
    poll_begin: datetime
    poll_end: datetime

    @property
    def webhooks_file(self) -> Path:
        return self.root / "square" / "webhooks.jsonl"

    @property
    def polled_file(self) -> Path:
        return self.root / "square" / "polled" / "cash_drawer_shifts.jsonl"

    @property
    def square_api_dir(self) -> Path:
        return self.root / "square" / "api"

    @property
    def counterpoint_batch(self) -> Path:
        return self.root / "counterpoint" / "batch"

    def labels(self) -> list[dict[str, Any]]:
        lines = (self.root / "labels.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def deliveries(self) -> Iterator[Delivery]:
        """The webhook deliveries in the order Square would send them."""
        if not self.webhooks_file.is_file():
            return
        with self.webhooks_file.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    sent = json.loads(line)
                    url = urlsplit(sent["url"])
                    path = url.path + (f"?{url.query}" if url.query else "")
                    yield Delivery(path, sent["body"].encode("utf-8"), dict(sent["headers"]))

    def delivery_count(self) -> int:
        if not self.webhooks_file.is_file():
            return 0
        with self.webhooks_file.open("rb") as handle:
            return sum(1 for line in handle if line.strip())


def read_world(root: Path) -> WorldDirectory:
    """Read a simulator output directory; a directory that is not one is a clear error."""
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{root} holds no simulator output (no manifest.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("generator") != "canary.simulate" or manifest.get("complete") is False:
        raise ValueError(f"{root} is not a complete `canary simulate` run")
    world = json.loads((root / "world.json").read_text(encoding="utf-8"))
    square_path = root / "square" / "config.json"
    square = json.loads(square_path.read_text(encoding="utf-8")) if square_path.is_file() else {}
    stores = [
        StoreSpec(
            external_id=s["external_id"],
            source=Vendor.named(s["vendor"]),
            timezone=s["timezone"],
            name=s["name"],
        )
        for s in world["stores"]
    ]
    start = datetime.fromisoformat(world["start"]).replace(tzinfo=UTC)
    return WorldDirectory(
        root=root,
        merchant=MerchantSpec(
            merchant_id=square.get("canary_merchant_id") or f"sim-{world['seed']}",
            name=world["merchant"]["name"],
            square_merchant_id=square.get("merchant_id"),
            notification_url=square.get("notification_url"),
            signature_key=square.get("signature_key"),
            stores=stores,
        ),
        square_locations=[loc["id"] for loc in square.get("locations", [])],
        # A day either side: local business dates straddle UTC midnight.
        poll_begin=start - timedelta(days=1),
        poll_end=start + timedelta(days=int(world["days"]) + 1),
    )
