"""``python -m core.cli`` runs the ``canary`` command (handy where the script is not on PATH)."""

from core.cli.main import app

app()
