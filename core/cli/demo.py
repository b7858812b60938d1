"""``canary demo``: what ``make demo`` runs (embedded: SQLite + in-process bus, nothing else needed).

By default the demo's world goes to ``./var``, where every other command and ``mcp.json`` look when
nothing is set, so ``canary verify`` and ``canary detections list`` right after it see it; with
``--var-dir`` elsewhere it prints the one environment line that points them there."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import typer
from rich.console import Console

from core.cli.errors import UsageError, friendly
from core.demo.run import DemoDirectoryError, DemoWorld, run_demo
from core.demo.summary import render
from core.settings import Settings

out = Console()
DEFAULT = DemoWorld()
INSPECTOR = "npx @modelcontextprotocol/inspector@2.12.0 --cli"
WIDTH = 80  # what the next steps fit in, with canary at .venv/bin/canary (`make demo`)


def register(app: typer.Typer) -> None:
    app.command()(demo)


@friendly
def demo(
    var_dir: Path = typer.Option(
        Path("./var"),
        help="Where the demo's database, keys and world go (an earlier demo there is replaced; a "
        "database the demo did not write is refused). ./var is where every command looks by default.",
    ),
    seed: int = typer.Option(DEFAULT.seed, help="Simulator seed."),
    stores: int = typer.Option(
        DEFAULT.stores, min=2, max=20, help="Stores (alternating Square, Counterpoint)."
    ),
    days: int = typer.Option(DEFAULT.days, min=1, max=400, help="Days of trading."),
    vertical: str = typer.Option(DEFAULT.vertical, help="garden or retail."),
) -> None:
    """Run the embedded end-to-end demo on a simulated merchant: signed webhooks through the ingress,
    drawers polled, Counterpoint exports imported, every stage, the ledger verified, detections
    matched to the simulator's labels. Exits 1 if anything does not verify."""
    spec = DemoWorld(seed=seed, stores=stores, days=days, vertical=vertical)
    out.print(f"[bold]Canary demo[/bold]: a simulated {spec.describe()}")
    try:
        summary = run_demo(spec, var_dir, out)
    except DemoDirectoryError as exc:
        raise UsageError(str(exc)) from None
    render(summary, out)
    case_id = summary.cases[0].case_id if summary.cases else ""
    for line in next_steps(summary.merchant_id, var_dir, Settings(), summary.console_token, case_id):
        out.print(line, highlight=False, soft_wrap=True)
    if not summary.ok:
        raise typer.Exit(1)


def _sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")).resolve() if url.startswith("sqlite:///") else None


def canary_command() -> str:
    """``canary`` when it is on PATH, else the path of the one beside this Python (``make demo`` runs
    .venv/bin/canary without activating the venv), relative to here when it is under here."""
    beside = Path(sys.executable).parent / "canary"
    if shutil.which("canary") or not beside.exists():
        return "canary"
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)


def _continued(parts: list[str]) -> list[str]:
    """One shell command as indented lines joined by backslashes, so it pastes as is and a long
    path breaks between arguments rather than mid-word at 80 columns."""
    return [f"  {part} \\" for part in parts[:-1]] + [f"  {parts[-1]}"]


def next_steps(
    merchant_id: str, var_dir: Path, settings: Settings, console_token: str = "", case_id: str = ""
) -> list[str]:
    """What to try next, and the environment line when the demo's world is not where the other
    commands look with the settings they would run with (``settings``: this process's environment);
    with ``console_token``, how to open the console (docs/console.md) and the token to sign in with;
    with ``case_id`` (the demo's most severe case), how to open it in the console and over MCP
    (``canary mcp fox``'s get_case, docs/fox.md)."""
    here = var_dir.resolve()
    database = f"sqlite:///{here / 'canary.db'}"
    found = (
        _sqlite_path(settings.database_url.get_secret_value()) == here / "canary.db"
        and settings.var_dir.resolve() == here
    )
    # The Inspector starts the server with a bare environment (PATH, HOME) in this directory, so at
    # the default place only the merchant needs saying; elsewhere the database and keys do too.
    env = [f"-e CANARY_MERCHANT_ID={merchant_id}"]
    if not found:
        env = [f"-e CANARY_DATABASE_URL={database}", f"-e CANARY_VAR_DIR={here}", *env]
    lines = ["", "[bold]What to try next[/bold]"]
    if found:
        lines.append(f"The demo's world is in {var_dir}, where every command looks by default.")
    else:
        lines.append(f"The demo's world is in {var_dir}; point the other commands at it first:")
        lines.append(f"  export CANARY_DATABASE_URL={database} \\")
        lines.append(f"         CANARY_VAR_DIR={here}")
    canary = canary_command()
    steps = [
        (f"{canary} verify", "re-check the ledger"),
        (f"{canary} detections list --merchant {merchant_id}", "what the rules found"),
        (f"{canary} rules status --merchant {merchant_id}", "the rollout's next step"),
        (f"{canary} ingest failures", "what parsing could not use"),
    ]
    width = max(len(command) for command, _ in steps)
    if max(len(f"  {command:<{width}}  # {why}") for command, why in steps) <= WIDTH:
        lines += [f"  {command:<{width}}  # {why}" for command, why in steps]
    else:  # a long path to canary: each comment above its command
        lines += [line for command, why in steps for line in (f"  # {why}", f"  {command}")]
    url = f"http://{settings.http_host}:{settings.http_port}/console/"
    if console_token:
        lines += [
            f"The console: run `{canary} serve` and open",
            f"  {url}",
            "signing in with this operator token (valid 7 days, shown only now):",
            f"  {console_token}",
        ]
    lines += [
        f"An MCP client: mcp.json with CANARY_MERCHANT_ID={merchant_id}, or the MCP Inspector CLI:",
        *_continued([INSPECTOR, *env, f"{canary} mcp chirp --method tools/list"]),
    ]
    if case_id:
        lines += [
            "Open a case in the console:",
            f"  {url}cases/{case_id}",
            f"or over MCP with canary-fox's get_case tool (`{canary} mcp fox`):",
            *_continued(
                [
                    INSPECTOR,
                    *env,
                    f"{canary} mcp fox --method tools/call --tool-name get_case",
                    f"--tool-arg case_id={case_id}",
                ]
            ),
        ]
    return lines
