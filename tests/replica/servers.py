"""A throwaway MariaDB primary and replica for the read/write split's tests.

Each server gets its own data directory in a temporary folder, a free port on 127.0.0.1
and a socket beside its data: nothing is shared with a MariaDB the machine already runs.
The servers are tuned for speed, not durability (no fsync, small buffers).
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import MySQLdb

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
START_SECONDS = 30

_FAST = [
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=16M",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--sync-binlog=0",
    "--performance-schema=OFF",
    "--max-connections=60",
    "--skip-name-resolve",
]


def installed() -> bool:
    return os.access(MARIADBD, os.X_OK) and os.access(INSTALL_DB, os.X_OK)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    root: Path
    server_id: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def datadir(self) -> Path:
        return self.root / self.name

    @property
    def tmpdir(self) -> Path:
        # Its own: temporary tables in a shared /tmp collide with other servers' names.
        return self.root / f"{self.name}-tmp"

    def install(self) -> subprocess.Popen:
        self.tmpdir.mkdir()
        return subprocess.Popen(
            [
                INSTALL_DB,
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--tmpdir={self.tmpdir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *_as_user(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self, *options: str) -> None:
        self.process = subprocess.Popen(
            [
                MARIADBD,
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--tmpdir={self.tmpdir}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.root / (self.name + '.sock')}",
                f"--pid-file={self.root / (self.name + '.pid')}",
                f"--log-error={self.root / (self.name + '.err')}",
                f"--server-id={self.server_id}",
                *_FAST,
                *options,
                *_as_user(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                self.connect().close()
                return
            except MySQLdb.OperationalError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self.name} did not start: {self.log()}"
                    ) from exc
                time.sleep(0.1)

    def connect(self, database: str | None = None) -> MySQLdb.Connection:
        kwargs = {"database": database} if database else {}
        return MySQLdb.connect(
            host="127.0.0.1",
            port=self.port,
            user="root",
            connect_timeout=2,
            autocommit=True,
            **kwargs,
        )

    def query(self, sql: str, database: str | None = None) -> list[dict]:
        connection = self.connect(database)
        try:
            cursor = connection.cursor(MySQLdb.cursors.DictCursor)
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # mariadbd shuts down cleanly on SIGTERM
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        path = self.root / (self.name + ".err")
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


class Pair:
    """A primary with its binary log on and a replica following it by GTID."""

    def __init__(self) -> None:
        # A short path: a Unix socket's path is limited to about a hundred bytes.
        self.root = Path(tempfile.mkdtemp(prefix="replica-pair-"))
        self.primary = Server("primary", self.root, server_id=1)
        self.replica = Server("replica", self.root, server_id=2)

    def start(self) -> None:
        installs = [self.primary.install(), self.replica.install()]
        # Both finish before either failure is raised: nothing may still write in the
        # folder that stop() removes.
        results = [install.communicate(timeout=60) for install in installs]
        for server, install, (_, errors) in zip(
            (self.primary, self.replica), installs, results, strict=True
        ):
            if install.returncode != 0:
                raise RuntimeError(f"{server.name}: mariadb-install-db: {errors!r}")
        self.primary.start(
            f"--log-bin={self.root / 'primary-bin'}", "--binlog-format=ROW"
        )
        self.replica.start("--read-only=1", "--skip-slave-start")
        self.primary.wait_until_up()
        self.replica.wait_until_up()
        self.replica.query(
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', "
            f"MASTER_PORT={self.primary.port}, MASTER_USER='root', "
            "MASTER_PASSWORD='', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos"
        )
        self.replication_start()

    def replication_start(self) -> None:
        self.replica.query("START SLAVE")
        deadline = time.monotonic() + START_SECONDS
        while True:
            (status,) = self.replica.query("SHOW SLAVE STATUS")
            if (
                status["Slave_IO_Running"] == "Yes"
                and status["Slave_SQL_Running"] == "Yes"
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"replication did not start: {status}")
            time.sleep(0.1)

    def replication_stop(self) -> None:
        self.replica.query("STOP SLAVE")

    def caught_up(self) -> None:
        """Wait until the replica has applied everything the primary has written."""
        (row,) = self.primary.query("SELECT @@gtid_binlog_pos AS pos")
        (waited,) = self.replica.query(
            f"SELECT MASTER_GTID_WAIT('{row['pos']}', {START_SECONDS}) AS result"
        )
        if waited["result"] != 0:
            raise RuntimeError(f"the replica did not reach {row['pos']}")

    def stop(self) -> None:
        try:
            self.replica.stop()
            self.primary.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _as_user() -> list[str]:
    # mariadbd refuses to run as root unless told to; as anyone else it runs as them.
    return ["--user=root"] if os.geteuid() == 0 else []
