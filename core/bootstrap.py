"""The composition root: builds every long-lived object of a process once, from settings.

Nothing connects at import time; entry points (CLI, ingress, workers, MCP servers) call
``bootstrap(settings)`` and tests call it with other settings or fakes. The container is frozen:
what a process needs differently (the ingress's group-commit inbox) is chosen here, at construction.

Nothing below the entry points receives the container itself. Each MCP server and each HTTP route
group declares a small frozen dataclass of what it uses (``servers/<name>/deps.py``,
``core/web/deps.py``) and gets it from ``Container.deps``; the workers get ``Container.pipeline``,
the one table of stages (``core/pipeline/workers.py``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar, get_type_hints

from core.auth.tokens import TokenService
from core.bubble.service.observations import BubbleObservations
from core.bubble.service.views import BubbleViews
from core.bus.memory import InProcessBus
from core.bus.port import StreamBus
from core.cases.service.consumer import FoxConsumer
from core.cases.service.digests import DigestSchedule
from core.cases.service.notify import FoxNotifier
from core.cases.service.service import FoxService
from core.clock import Clock, SystemClock
from core.customers.forget import CustomerForgetter
from core.customers.projection import CustomerProjection
from core.customers.service import IdentityService
from core.db.engine import make_engine
from core.db.migrate import create_sqlite_schema
from core.db.uow import Database
from core.ingest.group_commit import GroupCommitInbox
from core.ingest.inbox import Inbox
from core.ingest.routing import MerchantDirectory
from core.ledger.anchor_port import MockAnchor
from core.ledger.anchor_service import AnchorService
from core.ledger.proofs import ProofService
from core.ledger.signer import CheckpointSigner
from core.ledger.witness import FileWitness, WitnessService
from core.pipeline.health import HealthService
from core.pipeline.ops import OpsService
from core.pipeline.parse import FetcherFactory, ParseStage
from core.pipeline.replay import Replayer
from core.pipeline.seal import SealStage
from core.pipeline.sweeper import InboxSweeper
from core.pipeline.verify import LedgerVerifier
from core.pipeline.workers import Pipeline
from core.rules.service import ChirpService
from core.rules.service.consumer import ChirpStage
from core.security.keyring import MerchantKeyring, decode_key, load_or_create_key_file
from core.settings import Settings

D = TypeVar("D")


class ConfigurationError(RuntimeError):
    """Settings that cannot work; the message says which variable to set."""


@dataclass(frozen=True)
class Container:
    settings: Settings
    db: Database
    bus: StreamBus
    clock: Clock
    keyring: MerchantKeyring
    signer: CheckpointSigner
    directory: MerchantDirectory
    inbox: Inbox
    seal: SealStage
    parse: ParseStage
    sweeper: InboxSweeper
    health: HealthService
    verifier: LedgerVerifier
    replayer: Replayer
    proofs: ProofService
    anchoring: AnchorService
    witnessing: WitnessService
    # Consumers of canary:detection and the services the MCP servers and CLI call.
    customer_projection: CustomerProjection
    chirp_stage: ChirpStage
    bubble_stage: BubbleObservations
    bubble_views: BubbleViews  # canary-bubble: baselines, anomalies, store patterns, history
    fox_stage: FoxConsumer  # the consumer of canary:alerts
    identity: IdentityService
    chirp_service: ChirpService
    fox_service: FoxService
    notifier: FoxNotifier
    digests: DigestSchedule  # scheduled case digests by email (core/cases/service/digests.py)
    forgetter: CustomerForgetter
    tokens: TokenService
    ops: OpsService  # canary-tsp-ops: health, lifecycle, verification, proofs, replay
    pipeline: Pipeline  # the stage table and housekeeping chores the workers run

    def deps(self, kind: type[D]) -> D:
        """``kind`` (a frozen dataclass whose every field is named after one of the container's)
        filled from the container: a server or route group gets what it declares, and nothing else."""
        if not is_dataclass(kind):
            raise TypeError(f"{kind.__name__} is not a dataclass of dependencies")
        hints = get_type_hints(kind)
        chosen: dict[str, Any] = {}
        for f in fields(kind):
            if not hasattr(self, f.name):
                raise TypeError(f"{kind.__name__}.{f.name}: the container has no {f.name!r}")
            value = getattr(self, f.name)
            wanted = hints[f.name]
            checkable = isinstance(wanted, type) and not getattr(wanted, "_is_protocol", False)
            if checkable and not isinstance(value, wanted):
                got = type(value).__name__
                raise TypeError(f"{kind.__name__}.{f.name} wants {wanted.__name__}; the container's is {got}")
            chosen[f.name] = value
        return kind(**chosen)

    def close(self) -> None:
        if isinstance(self.inbox, GroupCommitInbox):
            self.inbox.close()  # finishes what is queued: every 2xx already sent stays committed
        self.bus.close()
        self.db.dispose()


def _secret(settings: Settings, value: Any, env: str, filename: str) -> bytes:
    """A key from the settings or, embedded, from its file; a malformed one is a ConfigurationError
    (one line and exit 2 from the CLI and the servers), never a traceback."""
    hint = "(base64 of 32 random bytes: `openssl rand -base64 32`)"
    make = "make one with `openssl rand -base64 32`"
    try:
        if value is not None:
            return decode_key(value.get_secret_value(), name=env)
        if settings.is_postgres:
            raise ConfigurationError(f"{env} is required with Postgres {hint}")
        return load_or_create_key_file(settings.var_dir / filename)
    except ValueError as exc:
        where = "" if value is not None else f" ({settings.var_dir / filename})"
        raise ConfigurationError(f"{exc}{where}: {make}") from None


def make_bus(settings: Settings) -> StreamBus:
    if settings.redis_url is None:
        return InProcessBus(prefix=settings.bus_prefix, max_len=settings.bus_max_len)
    from core.bus.redis_streams import RedisStreamBus

    return RedisStreamBus.from_url(
        settings.redis_url.get_secret_value(), prefix=settings.bus_prefix, max_len=settings.bus_max_len
    )


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    bus: StreamBus | None = None,
    fetcher_factory: FetcherFactory | None = None,
    ingress: bool = False,
) -> Container:
    """``ingress=True`` for the process that answers webhooks (``canary serve``): its inbox shares a
    commit among events arriving within ``CANARY_INGRESS_GROUP_COMMIT_MS`` (0: one commit each)."""
    clock = clock or SystemClock()
    master = _secret(settings, settings.master_key, "CANARY_MASTER_KEY", "master.key")
    seed = _secret(settings, settings.ledger_signing_key, "CANARY_LEDGER_SIGNING_KEY", "ledger-signing.key")
    engine = make_engine(settings.database_url.get_secret_value(), pool_size=settings.database_pool_size)
    if engine.dialect.name == "sqlite":
        create_sqlite_schema(engine)  # embedded mode sets itself up; Postgres needs `canary db upgrade`
    db = Database(engine)
    bus = bus or make_bus(settings)
    keyring = MerchantKeyring(master)
    signer = CheckpointSigner.from_seed(seed, settings.ledger_key_name)
    parse_stage = ParseStage(db, bus, keyring, clock, fetcher_factory)
    inbox = (
        GroupCommitInbox(
            db,
            bus,
            keyring,
            clock,
            dedup_hours=settings.dedup_window_hours,
            max_wait_s=settings.ingress_group_commit_ms / 1000,
        )
        if ingress and settings.ingress_group_commit_ms > 0
        else Inbox(db, bus, keyring, clock, dedup_hours=settings.dedup_window_hours)
    )
    seal_stage = SealStage(db, bus, keyring, signer, clock)
    witness = FileWitness(settings.witness_dir) if settings.witness_dir is not None else None
    health = HealthService(db, bus, clock)
    replayer = Replayer(db, parse_stage)
    proofs = ProofService(db)
    witnessing = WitnessService(db, witness)
    customers = CustomerProjection(db, clock)
    chirp = ChirpStage(db, bus, clock)
    bubble = BubbleObservations(db, clock)
    fox = FoxConsumer(db, clock)
    fox_service = FoxService(db, clock)
    digests = DigestSchedule(db, clock, settings, fox_service.case_facts)
    sweeper = InboxSweeper(db, bus, clock, grace_seconds=settings.inbox_sweep_after_seconds)
    # The mock anchor confirms at once; OpenTimestamps or Rekor plug in behind the same Anchor port.
    anchoring = AnchorService(db, MockAnchor(), clock)
    notifier = FoxNotifier(db, keyring, clock, settings)
    # The one table of stages, in pipeline order: the workers run it, canary-tsp-ops reports on it.
    pipeline = Pipeline(
        stages={s.name: s for s in (seal_stage, parse_stage, customers, chirp, bubble, fox)},
        db=db,
        bus=bus,
        clock=clock,
        settings=settings,
        sweeper=sweeper,
        anchoring=anchoring,
        witnessing=witnessing,
        notifier=notifier,
        digests=digests,
    )
    return Container(
        settings=settings,
        db=db,
        bus=bus,
        clock=clock,
        keyring=keyring,
        signer=signer,
        directory=MerchantDirectory(db, keyring),
        inbox=inbox,
        seal=seal_stage,
        parse=parse_stage,
        sweeper=sweeper,
        health=health,
        verifier=LedgerVerifier(db, keyring, signer, witness),
        replayer=replayer,
        proofs=proofs,
        anchoring=anchoring,
        witnessing=witnessing,
        customer_projection=customers,
        chirp_stage=chirp,
        bubble_stage=bubble,
        bubble_views=BubbleViews(db),
        fox_stage=fox,
        identity=IdentityService(db, clock),
        chirp_service=ChirpService(db, clock),
        fox_service=fox_service,
        notifier=notifier,
        digests=digests,
        forgetter=CustomerForgetter(db, inbox, seal_stage, bus, clock),
        tokens=TokenService(db, clock),
        ops=OpsService(
            db,
            bus,
            clock,
            keyring=keyring,
            signer=signer,
            health=health,
            proofs=proofs,
            replayer=replayer,
            witnessing=witnessing,
            stages=pipeline.refs(),
        ),
        pipeline=pipeline,
    )


def key_b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
