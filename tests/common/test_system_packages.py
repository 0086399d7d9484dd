"""scripts/system_packages.sh finds the missing system packages and installs them, or says how.

Each case runs the real script with the real pkg-config, in a PATH of its own: a temporary
folder that holds pkg-config and stand-ins for the other commands the script looks for, so the
machine's own packages never count. `apt-get` there is a stand-in that records its arguments and
`id` one that answers the user id of the case, so nothing is ever installed.
"""

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "system_packages.sh"
BASH = shutil.which("bash")
PKG_CONFIG = shutil.which("pkg-config")  # the setup installs it before anything else

MARIADB_PC = """Name: libmariadb
Description: MariaDB Connector/C
Version: 3.3.0
Libs: -lmariadb
Cflags: -I/nonexistent/include/mariadb
"""


@dataclass
class Machine:
    """A PATH and a pkg-config search path made of only what a case puts there."""

    root: Path
    uid: int = 0
    commands: set[str] = field(default_factory=set)
    pc_files: set[str] = field(default_factory=set)
    cjk_font: bool = True
    python_lacks: set[str] = field(default_factory=set)  # "ensurepip", "Python.h"

    @property
    def apt_log(self) -> Path:
        return self.root / "apt-get.log"

    def apt_calls(self) -> list[list[str]]:
        if not self.apt_log.exists():
            return []
        return [line.split() for line in self.apt_log.read_text().splitlines()]

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        bin_dir = self.root / "bin"
        pc_dir = self.root / "pkgconfig"
        bin_dir.mkdir()
        pc_dir.mkdir()
        self._script(bin_dir / "id", f"echo {self.uid}")
        for name in self.commands:
            if name == "pkg-config":
                (bin_dir / name).symlink_to(PKG_CONFIG)
            elif name == "apt-get":
                self._script(bin_dir / name, f'echo "$*" >> {self.apt_log}')
            elif name == "python3.11":
                self._script(bin_dir / name, self._python())
            elif name == "fc-list":
                self._script(
                    bin_dir / name, 'echo "Noto Sans CJK SC"' if self.cjk_font else ""
                )
            else:
                self._script(bin_dir / name, "exit 0")
        for name in self.pc_files:
            (pc_dir / f"{name}.pc").write_text(
                MARIADB_PC.replace("libmariadb", name, 1)
            )
        return subprocess.run(
            [BASH, str(SCRIPT), *args],
            env={
                "PATH": str(bin_dir),
                "HOME": str(self.root),
                "PKG_CONFIG_PATH": str(pc_dir),
                "PKG_CONFIG_LIBDIR": str(pc_dir),
            }
            | env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def _python(self) -> str:
        """Answers the script's three questions: version, ensurepip, and the headers."""
        lacks = "".join(
            f"  *{part}*) exit 1 ;;\n" for part in sorted(self.python_lacks)
        )
        return f'case "$*" in\n  *version_info*) echo 3.11 ;;\n{lacks}esac\nexit 0'

    @staticmethod
    def _script(path: Path, body: str) -> None:
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)


EVERYTHING = {
    "python3.11",
    "gcc",
    "pkg-config",
    "msgfmt",
    "xgettext",
    "apt-get",
    "fc-list",
}
FOR_TESTS = EVERYTHING | {"chromium", "node", "npm"}
FOR_BENCH = EVERYTHING | {"wrk"}
FOR_DEPLOY_CHECK = EVERYTHING | {"kubectl", "docker-compose"}


def installed(machine: Machine) -> list[str]:
    """The packages of the one `apt-get install`, after one `apt-get update`."""
    calls = machine.apt_calls()
    assert [call[0] for call in calls] == ["update", "install"], calls
    return [arg for arg in calls[1][1:] if not arg.startswith("-")]


def test_the_stand_in_machine_uses_the_real_pkg_config():
    assert PKG_CONFIG, (
        "pkg-config is needed to build mysqlclient; run scripts/system_packages.sh"
    )


def test_as_root_with_apt_it_installs_the_missing_mariadb_headers(tmp_path):
    # given an empty pkg-config search path, as root with apt-get
    machine = Machine(tmp_path, commands=EVERYTHING)

    # when
    result = machine.run()

    # then
    assert result.returncode == 0, result.stderr
    assert installed(machine) == ["libmariadb-dev"]
    assert "-y" in machine.apt_calls()[1]
    assert result.stdout == "installing system packages: libmariadb-dev\n"


@pytest.mark.parametrize(
    ("python_lacks", "commands", "expected"),
    [
        ({"ensurepip"}, EVERYTHING, ["python3.11-venv", "libmariadb-dev"]),
        ({"Python.h"}, EVERYTHING, ["python3.11-dev", "libmariadb-dev"]),
        (set(), EVERYTHING - {"gcc"}, ["gcc", "libmariadb-dev"]),
    ],
)
def test_as_root_with_apt_it_installs_what_builds_the_virtualenv(
    tmp_path, python_lacks, commands, expected
):
    # given
    machine = Machine(tmp_path, commands=commands, python_lacks=python_lacks)

    # when
    result = machine.run()

    # then
    assert result.returncode == 0, result.stderr
    assert installed(machine) == expected


@pytest.mark.parametrize(
    ("args", "commands", "cjk_font", "expected"),
    [
        ((), EVERYTHING - {"pkg-config"}, True, ["pkg-config", "libmariadb-dev"]),
        ((), EVERYTHING - {"msgfmt"}, True, ["libmariadb-dev", "gettext"]),
        ((), EVERYTHING - {"msgfmt", "xgettext"}, True, ["libmariadb-dev", "gettext"]),
        (
            ("--for-tests",),
            FOR_TESTS - {"chromium"},
            True,
            ["libmariadb-dev", "chromium"],
        ),
        # The record PDF embeds a Chinese font: needed to run, not only for the tests.
        ((), EVERYTHING, False, ["libmariadb-dev", "fonts-noto-cjk"]),
        (
            (),
            EVERYTHING - {"fc-list"},
            True,
            ["libmariadb-dev", "fontconfig", "fonts-noto-cjk"],
        ),
        (("--for-tests",), FOR_TESTS, False, ["libmariadb-dev", "fonts-noto-cjk"]),
        # The mini-program's tests: Debian's nodejs and npm, each when its command is missing.
        (
            ("--for-tests",),
            FOR_TESTS - {"node", "npm"},
            True,
            ["libmariadb-dev", "nodejs", "npm"],
        ),
        (("--for-tests",), FOR_TESTS - {"npm"}, True, ["libmariadb-dev", "npm"]),
        # The rush benchmark's load generator.
        (("--for-bench",), EVERYTHING, True, ["libmariadb-dev", "wrk"]),
        (
            ("--for-tests", "--for-bench"),
            FOR_TESTS - {"npm"},
            True,
            ["libmariadb-dev", "npm", "wrk"],
        ),
        (
            ("--for-tests",),
            FOR_TESTS - {"fc-list", "chromium"},
            True,
            ["libmariadb-dev", "fontconfig", "fonts-noto-cjk", "chromium"],
        ),
        # The offline checks of the deployment files (scripts/check_deploy.sh).
        (
            ("--for-deploy-check",),
            EVERYTHING,
            True,
            ["libmariadb-dev", "kubernetes-client", "docker-compose"],
        ),
        (
            ("--for-deploy-check",),
            FOR_DEPLOY_CHECK - {"docker-compose"},
            True,
            ["libmariadb-dev", "docker-compose"],
        ),
    ],
)
def test_as_root_with_apt_it_installs_exactly_what_is_missing(
    tmp_path, args, commands, cjk_font, expected
):
    # given
    machine = Machine(tmp_path, commands=commands, cjk_font=cjk_font)

    # when
    result = machine.run(*args)

    # then
    assert result.returncode == 0, result.stderr
    assert installed(machine) == expected


def test_without_root_it_names_the_exact_command_and_installs_nothing(tmp_path):
    # given an empty pkg-config search path, as a user with apt-get
    machine = Machine(tmp_path, uid=1000, commands=EVERYTHING - {"msgfmt"})

    # when
    result = machine.run()

    # then
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr == (
        "missing system packages: run 'sudo apt-get install -y libmariadb-dev gettext'\n"
    )
    assert machine.apt_calls() == []


def test_without_apt_it_names_the_exact_command_and_installs_nothing(tmp_path):
    # given an empty pkg-config search path, as root without apt-get
    machine = Machine(tmp_path, commands=EVERYTHING - {"apt-get"})

    # when
    result = machine.run()

    # then
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "missing system packages: run 'apt-get install -y libmariadb-dev'"
    )


def test_check_mode_says_what_it_would_run_and_installs_nothing(tmp_path):
    # given
    machine = Machine(tmp_path, commands=EVERYTHING)

    # when
    result = machine.run(SYSTEM_PACKAGES_CHECK="1")

    # then
    assert result.returncode == 1
    assert result.stdout == (
        "missing system packages: libmariadb-dev"
        " (would run 'apt-get update && apt-get install -y libmariadb-dev')\n"
    )
    assert machine.apt_calls() == []


@pytest.mark.parametrize("pc_name", ["libmariadb", "mariadb", "mysqlclient"])
@pytest.mark.parametrize(
    "args", [(), ("--for-tests",), ("--for-bench",), ("--for-deploy-check",)]
)
def test_with_everything_present_it_does_nothing(tmp_path, pc_name, args):
    # given the client headers under one of the names mysqlclient's build asks for
    machine = Machine(
        tmp_path,
        commands=FOR_TESTS | FOR_BENCH | FOR_DEPLOY_CHECK,
        pc_files={pc_name},
    )

    # when
    result = machine.run(*args)

    # then
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert machine.apt_calls() == []


def test_chromium_node_and_wrk_are_asked_for_by_the_tests_and_bench_only(tmp_path):
    # given headers, gettext and a CJK font, but no Chromium, Node.js, npm or wrk
    machine = Machine(tmp_path, commands=EVERYTHING, pc_files={"libmariadb"})

    # when
    result = machine.run()

    # then
    assert result.returncode == 0, result.stderr
    assert machine.apt_calls() == []


def test_without_root_the_bench_names_the_command_that_installs_wrk(tmp_path):
    # given everything but wrk, as a user
    machine = Machine(tmp_path, uid=1000, commands=EVERYTHING, pc_files={"libmariadb"})

    # when
    result = machine.run("--for-bench")

    # then
    assert result.returncode != 0
    assert (
        result.stderr == "missing system packages: run 'sudo apt-get install -y wrk'\n"
    )
    assert machine.apt_calls() == []
