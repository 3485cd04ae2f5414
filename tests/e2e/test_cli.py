"""The command line, run as a user would run it."""

from __future__ import annotations

from pathlib import Path

from memsvc.stores.engine import make_engine
from memsvc.stores.keys import KeyRepository
from memsvc.stores.migrate import head_revision

from tests.servers import run_cli

run = run_cli


def test_keys_create_prints_the_secret_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    out = run(tmp_path, "keys", "create", "--tenant", "acme", "--name", "ci")
    assert out.returncode == 0, out.stderr
    secret = out.stdout.strip().splitlines()[-1]
    assert secret.startswith("msk_")
    keys = KeyRepository(make_engine(f"sqlite:///{tmp_path / 'memsvc.db'}"))
    assert keys.resolve(secret).tenant_id == "acme"
    assert secret not in (tmp_path / "memsvc.db").read_bytes().decode("latin-1")
    listed = run(tmp_path, "keys", "list")
    assert "acme" in listed.stdout and secret not in listed.stdout


def test_serve_refuses_a_public_bind_without_keys(tmp_path: Path) -> None:
    out = run(tmp_path, "serve", "--host", "0.0.0.0", "--port", "1")
    assert out.returncode == 2
    assert "refusing to bind" in out.stdout


def test_add_and_search_from_the_command_line(tmp_path: Path) -> None:
    assert (
        run(tmp_path, "add", "I keep my passport in the blue drawer", "--user", "me").returncode
        == 0
    )
    out = run(tmp_path, "search", "where is my passport", "--user", "me", "--json")
    assert out.returncode == 0, out.stderr
    assert "blue drawer" in out.stdout


def test_migrate_reports_the_revision(tmp_path: Path) -> None:
    out = run(tmp_path, "migrate")
    head = head_revision(make_engine(f"sqlite:///{tmp_path / 'memsvc.db'}"))
    assert out.returncode == 0 and f"schema at revision {head}" in out.stdout
