"""A benchmark's two processes: the parent prepares an environment, the child does the work.

The parent re-runs `manage.py <command> --child` with the benchmark's own configuration
(DEBUG off, fresh keys, plain HTTP, its own database: the given MariaDB URL or a temporary
SQLite file), so the data the child writes, the tokens it signs and the server it starts
all share one configuration. The child's output is echoed as it comes; its work directory
is deleted afterwards unless --keep-data.
"""

import base64
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, OutputWrapper


def child_spawn(
    *,
    command: str,
    options: dict[str, Any],
    forwarded: Iterable[str],
    flags: Iterable[str] = ("keep_data",),
    env_extra: dict[str, str] | None = None,
    out: OutputWrapper,
) -> None:
    """Run `manage.py <command> --child` with the options named in `forwarded` (those
    set) and the true ones of `flags`, in the benchmark's environment."""
    database_url = options["database_url"] or os.environ.get("DATABASE_URL", "")
    if database_url and not database_url.startswith(("mysql://", "mysql2://")):
        raise CommandError(
            "Use a mysql:// URL, or no URL at all for a temporary SQLite database."
        )
    if options.get("json_output"):  # the child runs in the project directory
        options["json_output"] = str(Path(options["json_output"]).resolve())
    workdir = Path(tempfile.mkdtemp(prefix=f"{command}-"))
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        FIELD_ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        LOOKUP_HASH_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # The load generator talks plain HTTP to the local server, with no TLS proxy.
        SECURE_SSL_REDIRECT="false",
        PYTHONUNBUFFERED="1",
        **(env_extra or {}),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), command]
    argv += ["--child", "--tag", f"{time.strftime('%m%d%H%M%S')}{secrets.token_hex(2)}"]
    argv += ["--workdir", str(workdir)]
    for name in forwarded:
        if options[name] not in ("", None):
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
    argv += [f"--{flag.replace('_', '-')}" for flag in flags if options[flag]]
    try:
        process = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line, ending="")
        returncode = process.wait()
    finally:
        if options["keep_data"]:
            out.write(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if returncode:
        raise CommandError(f"{command} failed (see above)", returncode=returncode)
