"""The frozen build: build.spec makes a one-folder bundle whose executable really works.

One module-scoped build (several minutes) feeds every check; the checks run the frozen
executable the way a customer's desk or an administrator's terminal would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.engine import URL

import w365desk
from w365desk.db.models import Base

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "build.spec"
BUILD_TIMEOUT_SECONDS = 20 * 60
RUN_TIMEOUT_SECONDS = 180
TEST_DATABASE_URL_ENV = "W365DESK_TEST_DATABASE_URL"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(BUILD_TIMEOUT_SECONDS + 10 * 60)]

ALLOWED_QT_MODULES = {"QtCore", "QtGui", "QtWidgets", "QtUiTools"}
# Qt parts the desk never uses; neither their Python bindings nor their Qt libraries
# may ship (each is several MB, QtWebEngine hundreds).
FORBIDDEN_QT_PARTS = (
    "Network",
    "Qml",
    "Quick",
    "WebEngine",
    "WebView",
    "WebChannel",
    "WebSockets",
    "3D",
    "Multimedia",
    "Charts",
    "DataVisualization",
    "Graphs",
    "Pdf",
    "Sql",
    "Test",
    "Designer",
    "Help",
    "Bluetooth",
    "Positioning",
    "Location",
    "Sensors",
    "SerialPort",
    "SerialBus",
    "Xml",
    "Concurrent",
    "VirtualKeyboard",
    "RemoteObjects",
    "Scxml",
    "TextToSpeech",
    "SpatialAudio",
)
# Imported by name at run time, so only an explicit entry in build.spec gets them bundled.
REQUIRED_FROZEN_MODULES = (
    "w365desk.cli",
    "w365desk.db.migrate",
    "w365desk.settings",
    "authorizenet.apicontractsv1",
    "authorizenet.apicontrollers",
    "pyxb.binding.datatypes",
    "pyxb.binding.saxer",
    "pyxb.utils.fac",
    "pyxb.namespace.builtin",
    "lxml.objectify",
    "lxml._elementpath",
    "requests",
    "psycopg",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "alembic.runtime.migration",
    "alembic.ddl.sqlite",
    "alembic.ddl.postgresql",
    "alembic.autogenerate.api",
    "keyring.backends.SecretService",
    "keyring.backends.fail",
    "keyring.backends.chainer",
    "waitress",
    "jinja2.sandbox",
    "yagmail",
    "aiosmtpd.smtp",
    "platformdirs",
    "PySide6.QtUiTools",
)
NEVER_FROZEN_PREFIXES = ("tkinter", "pytest", "_pytest", "hypothesis", "playwright", "PyInstaller")


@dataclass(frozen=True)
class FrozenBundle:
    folder: Path  # dist/w365desk
    executable: Path
    internal: Path  # sys._MEIPASS: where the libraries and data files live

    def run(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.executable), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )


def _bundle_size_bytes(folder: Path) -> int:
    # Symlinks (PyInstaller links Qt libraries into the root) would count their target twice.
    return sum(
        path.stat().st_size
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink()
    )


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> FrozenBundle:
    pytest.importorskip("PyInstaller", reason="PyInstaller comes with the 'dev' extra")
    pyinstaller = Path(sys.executable).with_name("pyinstaller")
    work = tmp_path_factory.mktemp("frozen-build")
    command = [
        str(pyinstaller),
        "--noconfirm",
        "--distpath",
        str(work / "dist"),
        "--workpath",
        str(work / "build"),
        str(SPEC),
    ]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, f"PyInstaller failed:\n{result.stderr[-6000:]}"
    shutil.rmtree(work / "build", ignore_errors=True)  # hundreds of MB of intermediates
    folder = work / "dist" / "w365desk"
    executable = folder / ("w365desk.exe" if sys.platform == "win32" else "w365desk")
    assert executable.is_file(), f"no executable in {sorted(p.name for p in folder.iterdir())}"
    frozen = FrozenBundle(folder=folder, executable=executable, internal=folder / "_internal")
    size_mib = _bundle_size_bytes(folder) / (1024 * 1024)
    print(f"\nfrozen bundle {folder}: {size_mib:.1f} MiB")
    return frozen


@pytest.fixture
def frozen_env(tmp_path: Path) -> dict[str, str]:
    """A terminal environment with no display and nothing but this test's own data folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("W365DESK_", "QT_", "PYTHON", "DISPLAY", "WAYLAND_", "DBUS_"))
    }
    env["W365DESK_DATA_DIR"] = str(tmp_path / "data")
    return env


def _assert_ok(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, (
        f"{what} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )


def _source_head_revision() -> str:
    from w365desk.db.migrate import head_revision

    return head_revision()


def _assert_migrated_to_head(url: str | URL) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            revisions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert [row[0] for row in revisions] == [_source_head_revision()]
    missing = set(Base.metadata.tables) - tables
    assert not missing, f"tables the models need but the frozen upgrade did not create: {missing}"


def _relative_files(folder: Path) -> set[str]:
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in {".pyc", ".pyo"}
    }


# --- the executable -----------------------------------------------------------------------


def test_version_prints_the_package_version(
    bundle: FrozenBundle, frozen_env: dict[str, str]
) -> None:
    result = bundle.run("--version", env=frozen_env)

    _assert_ok(result, "w365desk --version")
    assert result.stdout.strip() == f"w365desk {w365desk.__version__}"


def test_db_upgrade_brings_a_new_sqlite_database_to_head(
    bundle: FrozenBundle, frozen_env: dict[str, str], tmp_path: Path
) -> None:
    database = tmp_path / "frozen.sqlite3"
    frozen_env["W365DESK_DATABASE_URL"] = f"sqlite:///{database.as_posix()}"

    result = bundle.run("db", "upgrade", env=frozen_env)

    _assert_ok(result, "w365desk db upgrade (SQLite)")
    assert _source_head_revision() in result.stdout
    _assert_migrated_to_head(f"sqlite:///{database.as_posix()}")


def test_frozen_gui_starts_lists_accounts_and_reaches_the_sandbox(
    bundle: FrozenBundle, frozen_env: dict[str, str]
) -> None:
    # Qt platform plugins, the .ui forms, the style sheet, the database and the offline
    # sandbox all have to come up inside the bundle for this to print "ok".
    seeded = bundle.run("demo", "--accounts", "3", env=frozen_env)
    _assert_ok(seeded, "w365desk demo")
    frozen_env["QT_QPA_PLATFORM"] = "offscreen"

    result = bundle.run("--self-test", env=frozen_env)

    _assert_ok(result, "w365desk --self-test")
    assert "self-test ok: 3 account(s) listed" in result.stdout
    assert "Offline sandbox at http://127.0.0.1:" in result.stdout


def test_db_upgrade_twice_is_harmless(
    bundle: FrozenBundle, frozen_env: dict[str, str], tmp_path: Path
) -> None:
    database = tmp_path / "again.sqlite3"
    frozen_env["W365DESK_DATABASE_URL"] = f"sqlite:///{database.as_posix()}"

    first = bundle.run("db", "upgrade", env=frozen_env)
    second = bundle.run("db", "upgrade", env=frozen_env)

    _assert_ok(first, "first w365desk db upgrade")
    _assert_ok(second, "second w365desk db upgrade")
    _assert_migrated_to_head(f"sqlite:///{database.as_posix()}")


@pytest.fixture
def scratch_postgres_url() -> Iterator[URL]:
    """A database of its own, so the shared test schema other tests reset is left alone."""
    shared_url = os.environ.get(TEST_DATABASE_URL_ENV)
    if not shared_url:
        pytest.skip(f"{TEST_DATABASE_URL_ENV} is not set")
    shared = make_url(shared_url)
    name = f"w365_frozen_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(shared, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield shared.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_db_upgrade_brings_a_new_postgresql_database_to_head(
    bundle: FrozenBundle, frozen_env: dict[str, str], scratch_postgres_url: URL
) -> None:
    frozen_env["W365DESK_DATABASE_URL"] = scratch_postgres_url.render_as_string(hide_password=False)

    result = bundle.run("db", "upgrade", env=frozen_env)

    # Reaching head proves the psycopg driver and its binary implementation were bundled.
    _assert_ok(result, "w365desk db upgrade (PostgreSQL)")
    _assert_migrated_to_head(scratch_postgres_url)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses glibc's LD_DEBUG")
@pytest.mark.parametrize("command", [("--version",), ("db", "upgrade")])
def test_command_line_subcommands_never_load_qt(
    bundle: FrozenBundle, frozen_env: dict[str, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    # The dynamic loader reports every shared object it opens, Python extensions included,
    # so a PySide6 import anywhere on the way (ours or a run-time hook's) shows up here.
    trace_prefix = tmp_path / "ld-trace"
    frozen_env["W365DESK_DATABASE_URL"] = f"sqlite:///{(tmp_path / 'trace.sqlite3').as_posix()}"
    frozen_env["LD_DEBUG"] = "files"
    frozen_env["LD_DEBUG_OUTPUT"] = str(trace_prefix)

    result = bundle.run(*command, env=frozen_env)

    _assert_ok(result, f"w365desk {' '.join(command)}")
    traces = list(tmp_path.glob("ld-trace.*"))
    assert traces, "LD_DEBUG wrote no trace; cannot tell what was loaded"
    loaded = set()
    for trace in traces:
        loaded |= set(re.findall(r"file=(\S+)", trace.read_text(errors="replace")))
    qt_loaded = sorted(name for name in loaded if "PySide6" in name or "Qt6" in name)
    assert not qt_loaded, f"w365desk {' '.join(command)} loaded Qt: {qt_loaded}"


def test_sandbox_help_runs_from_the_bundle(
    bundle: FrozenBundle, frozen_env: dict[str, str]
) -> None:

    result = bundle.run("sandbox", "--help", env=frozen_env)

    _assert_ok(result, "w365desk sandbox --help")
    assert "usage" in result.stdout.lower()


SANDBOX_BANNER_END = "Press Ctrl-C to stop."
# Straight to 127.0.0.1, whatever http_proxy the environment sets.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))
AUTHENTICATE_TEST_REQUEST = """<?xml version="1.0" encoding="utf-8"?>
<authenticateTestRequest xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd">
  <merchantAuthentication><name>{login}</name><transactionKey>{key}</transactionKey>
  </merchantAuthentication>
</authenticateTestRequest>"""


def _read_sandbox_banner(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    banner: dict[str, str] = {}
    for line in process.stdout:
        if line.strip() == SANDBOX_BANNER_END:
            return banner
        label, _, value = line.partition(":")
        banner[label.strip()] = value.strip()
    raise AssertionError(f"the frozen sandbox ended before it was ready; it printed {banner}")


def test_frozen_sandbox_serves_accept_js_and_the_api_on_loopback(
    bundle: FrozenBundle, frozen_env: dict[str, str], tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [str(bundle.executable), "sandbox", "--port", "0", "--data", str(tmp_path / "sandbox")],
        env=frozen_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = _read_sandbox_banner(process)
        # Accept.js is package data read through importlib.resources inside the bundle.
        with LOOPBACK.open(banner["Accept.js script URL"], timeout=30) as reply:
            accept_js = reply.read()
        request = urllib.request.Request(
            banner["Sandbox API endpoint"],
            data=AUTHENTICATE_TEST_REQUEST.format(
                login=banner["API login id"], key=banner["Transaction key"]
            ).encode(),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        with LOOPBACK.open(request, timeout=30) as reply:
            answer = reply.read().decode("utf-8-sig")
    finally:
        process.terminate()
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()

    assert banner["Sandbox API endpoint"].startswith("http://127.0.0.1:")
    # The bundled script, with the test-card list filled in exactly as from source.
    from w365desk.sandbox.authorizenet.accept import accept_script

    assert accept_js == accept_script()
    assert "<resultCode>Ok</resultCode>" in answer


# --- what is inside the bundle ------------------------------------------------------------


def _frozen_module_names(bundle: FrozenBundle) -> set[str]:
    from PyInstaller.archive.readers import pkg_archive_contents

    return set(pkg_archive_contents(str(bundle.executable), recursive=True))


def test_modules_loaded_by_name_are_in_the_archive(bundle: FrozenBundle) -> None:
    frozen = _frozen_module_names(bundle)
    extension_modules = {
        path.relative_to(bundle.internal).as_posix().split(".", 1)[0].replace("/", ".")
        for path in bundle.internal.rglob("*")
        if path.suffix in {".so", ".pyd"} or ".so." in path.name
    }

    missing = [
        name
        for name in REQUIRED_FROZEN_MODULES
        if name not in frozen and name not in extension_modules
    ]

    assert not missing, f"modules the app loads at run time but the bundle lacks: {missing}"
    assert "psycopg_binary._psycopg" in extension_modules, "psycopg's C implementation is missing"


def test_test_tools_and_unused_qt_bindings_stay_out_of_the_archive(bundle: FrozenBundle) -> None:
    frozen = _frozen_module_names(bundle)

    unwanted = sorted(
        name
        for name in frozen
        if any(name == prefix or name.startswith(f"{prefix}.") for prefix in NEVER_FROZEN_PREFIXES)
        or any(name.startswith(f"PySide6.Qt{part}") for part in FORBIDDEN_QT_PARTS)
    )

    assert not unwanted, f"bundled but never used by the app: {unwanted}"


def test_only_the_four_qt_modules_ship(bundle: FrozenBundle) -> None:
    pyside = bundle.internal / "PySide6"
    binding_modules = {
        path.name.split(".", 1)[0]
        for path in pyside.iterdir()
        if path.name.startswith("Qt") and path.suffix in {".so", ".pyd"}
    }
    every_file = [
        path for path in bundle.internal.rglob("*") if path.is_file() or path.is_symlink()
    ]
    forbidden_libraries = sorted(
        path.relative_to(bundle.internal).as_posix()
        for path in every_file
        if any(re.search(rf"(^|[/_])(lib)?Qt6?{part}", path.name) for part in FORBIDDEN_QT_PARTS)
    )
    dangling = sorted(
        path.relative_to(bundle.internal).as_posix()
        for path in bundle.internal.rglob("*")
        if path.is_symlink() and not path.exists()
    )

    assert binding_modules == ALLOWED_QT_MODULES
    assert not forbidden_libraries, f"Qt parts the app never uses: {forbidden_libraries}"
    assert not dangling, f"symlinks to files that were left out: {dangling}"


def test_migrations_ship_as_source_files(bundle: FrozenBundle) -> None:
    source = REPO_ROOT / "w365desk" / "db" / "migrations"
    shipped = bundle.internal / "w365desk" / "db" / "migrations"

    assert (shipped / "env.py").is_file()
    assert (shipped / "script.py.mako").is_file()
    assert list((shipped / "versions").glob("*.py")), "no migration revisions in the bundle"
    assert _relative_files(shipped) == _relative_files(source)


def test_package_data_files_ship_beside_the_package(bundle: FrozenBundle) -> None:
    # importlib.resources.files(...) in a bundle resolves under sys._MEIPASS/w365desk/...
    source = REPO_ROOT / "w365desk"
    data_files = {name for name in _relative_files(source) if not name.endswith(".py")}
    data_files -= {name for name in data_files if name.startswith("db/migrations/")}
    if not data_files:
        pytest.skip("the w365desk package holds no data files yet")

    missing = sorted(
        name for name in data_files if not (bundle.internal / "w365desk" / name).is_file()
    )

    assert not missing, f"package data files missing from the bundle: {missing}"


@pytest.mark.parametrize("folder", ["ui", "resources"])
def test_resource_folders_ship_at_the_bundle_root(bundle: FrozenBundle, folder: str) -> None:
    source_files = _relative_files(REPO_ROOT / folder)
    if not source_files:
        pytest.skip(f"{folder}/ holds no files yet, so there is nothing to ship")
    shipped = bundle.internal / folder

    assert shipped.is_dir(), f"{folder}/ is missing from the bundle root {bundle.internal}"
    assert _relative_files(shipped) == source_files


def test_keyring_can_find_its_backends(bundle: FrozenBundle) -> None:
    # keyring discovers backends through entry points, i.e. through its dist-info folder.
    entry_points = list(bundle.internal.glob("keyring-*.dist-info/entry_points.txt"))

    assert entry_points, "keyring's metadata is missing: it would find no backend at all"
    assert "keyring.backends" in entry_points[0].read_text()
