"""Command-line entry points: the GUI by default, plus a few subcommands.

Heavy imports (Qt, the SDK) happen inside the subcommand that needs them, so
``w365desk --version`` and ``w365desk db upgrade`` stay quick and headless.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from w365desk import __version__
from w365desk.services.demo_limits import MAX_DEMO_ACCOUNTS

if TYPE_CHECKING:
    from w365desk.app import AppContext


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="w365desk",
        description="Payment desk for resellers on Authorize.Net. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"w365desk {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the app, list accounts, print what it found and exit (checks an install)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="bring the database schema to this version")

    demo = commands.add_parser(
        "demo",
        help="seed realistic demo accounts, contacts and invoices",
        description=(
            "Add made-up customers (each with contacts and open invoices) for training and "
            "trying the app. Limits: only into an empty database unless --force; between 1 "
            f"and {MAX_DEMO_ACCOUNTS:,} accounts per run; no payment methods are stored and "
            "nothing is charged (create payment profiles for them in the offline sandbox); "
            "the names, emails (example.com) and phone numbers (555) are fictional; demo "
            "records are marked as demo data in the audit trail and are not removed by any "
            "command, so never seed a database that real customers are kept in."
        ),
    )
    demo.add_argument("--force", action="store_true", help="seed even if accounts already exist")
    demo.add_argument(
        "--accounts",
        type=int,
        default=50,
        help=f"how many accounts, 1 to {MAX_DEMO_ACCOUNTS:,} (default 50)",
    )

    commands.add_parser(
        "sandbox",
        help="run the offline Authorize.Net sandbox alone (see 'w365desk sandbox --help')",
        add_help=False,
    )
    return parser


def _database_url() -> str:
    from w365desk.settings import load_desktop_settings, resolve_database_url

    return resolve_database_url(load_desktop_settings())


def _db_upgrade() -> int:
    from w365desk.db.engine import make_engine
    from w365desk.db.migrate import current_revision, upgrade
    from w365desk.settings import redact_database_url

    engine = make_engine(_database_url())
    try:
        upgrade(engine)
        where = redact_database_url(engine.url.render_as_string(hide_password=False))
        print(f"database {where} is at revision {current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def _demo(force: bool, accounts: int) -> int:
    from w365desk.clock import SystemClock
    from w365desk.db.engine import make_engine, make_session_factory
    from w365desk.db.migrate import upgrade
    from w365desk.services.actors import current_os_user
    from w365desk.services.demo import DemoDataRefusedError, seed_demo_data
    from w365desk.services.errors import ServiceError

    engine = make_engine(_database_url())
    try:
        upgrade(engine)
        try:
            created = seed_demo_data(
                make_session_factory(engine),
                SystemClock(),
                actor=current_os_user(),
                force=force,
                accounts=accounts,
            )
        except DemoDataRefusedError as error:
            print(
                f"w365desk demo: {error} Run 'w365desk demo --force' to add it anyway.",
                file=sys.stderr,
            )
            return 1
        except ServiceError as error:
            print(f"w365desk demo: {error}", file=sys.stderr)
            return 1
        print(f"seeded {created} demo accounts")
    finally:
        engine.dispose()
    return 0


def _open_desk() -> AppContext:
    # Imported here, on a background thread: the SDK and the database drivers load
    # while the main window already paints.
    from w365desk.app import build_app

    return build_app()


def _gui(self_test: bool) -> int:
    from w365desk.app.window_layout import DesktopWindowLayout
    from w365desk.gui.main import run_gui
    from w365desk.locations import data_dir

    # Only the window's saved layout is read before the first paint; everything else
    # opens behind it.
    code = run_gui(
        _open_desk, DesktopWindowLayout(), data_folder=str(data_dir()), self_test=self_test
    )
    _exit_now(code)
    return code  # not reached


def _exit_now(code: int) -> None:
    """Leave without the interpreter's own teardown.

    By now the desk has closed everything it opened (the database engine, the sandbox,
    the background threads) and written the window layout; what remains is freeing
    thousands of loaded classes, the SDK's generated XML bindings above all, which took
    0.4 s on every close and protects nothing. Logs and output are flushed first.
    """
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["sandbox"]:
        # The sandbox owns its own options; hand them over untouched.
        from w365desk.locations import data_dir
        from w365desk.sandbox.authorizenet.cli import run_sandbox_cli

        return run_sandbox_cli(args_list[1:], lambda: data_dir() / "sandbox")
    args = _build_parser().parse_args(args_list)
    if args.command == "db":
        return _db_upgrade()
    if args.command == "demo":
        return _demo(args.force, args.accounts)
    return _gui(args.self_test)
