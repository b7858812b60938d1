"""``canary db …``: schema management."""

from __future__ import annotations

import typer
from rich.console import Console

from core.cli.errors import friendly
from core.db.engine import check_connection, make_engine, redact
from core.db.migrate import upgrade as run_upgrade
from core.settings import Settings

app = typer.Typer(
    help="Database schema: `canary db upgrade` migrates; `canary db revision` writes a migration.",
    no_args_is_help=True,
)
out = Console()


@app.command()
@friendly
def upgrade() -> None:
    """Migrate the database to the newest schema (Postgres: Alembic + row-level security + app role;
    SQLite: create the tables). Uses CANARY_DATABASE_ADMIN_URL when set, else CANARY_DATABASE_URL."""
    settings = Settings()
    url = settings.admin_database_url()
    check_connection(make_engine(url, pool_size=1))
    done = run_upgrade(
        url, app_role=settings.app_db_role, app_password=settings.app_db_password.get_secret_value()
    )
    out.print(f"[green]✓[/green] {redact(url)}: {done}")


@app.command()
@friendly
def revision(message: str = typer.Option(..., "-m", "--message", help="What the migration does.")) -> None:
    """(Developers) autogenerate a migration against a scratch Postgres database."""
    from core.db.revision import autogenerate

    autogenerate(Settings().admin_database_url(), message)
