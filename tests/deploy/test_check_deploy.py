"""scripts/check_deploy.sh passes the project's deployment files and fails a broken copy.

Each case copies compose.yaml, .env.example and deploy/ into a folder of its own, breaks one
thing (or nothing), and runs the real script on that folder with the machine's kubectl and
docker-compose. Skipped where either is not installed (`make check-deploy` installs them).
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_deploy.sh"

pytestmark = pytest.mark.skipif(
    not (shutil.which("kubectl") and shutil.which("docker-compose")),
    reason="kubectl or docker-compose is not installed (make check-deploy installs them)",
)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    for name in ("compose.yaml", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_project_files_pass():
    result = check(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("base", "overlays/staging", "overlays/production"):
        assert f"deploy/k8s/{name}: " in result.stdout
    assert "compose.yaml valid" in result.stdout


def test_an_untouched_copy_passes(copy):
    assert check(copy).returncode == 0


def test_an_unknown_field_in_a_base_manifest_fails(copy):
    # given a misspelt field (replica for replicas), which the API server would drop silently
    edit(copy / "deploy/k8s/base/beat.yaml", "  replicas: 1\n", "  replica: 1\n")

    result = check(copy)

    assert result.returncode != 0
    assert "deploy/k8s/base: kubernetes-validate" in result.stderr


def test_a_wrong_type_in_an_overlay_patch_fails(copy):
    # given a number of replicas that is not a number, only in production
    edit(
        copy / "deploy/k8s/overlays/production/scale.yaml",
        "  replicas: 4\n",
        "  replicas: four\n",
    )

    result = check(copy)

    assert result.returncode != 0
    assert "deploy/k8s/overlays/production: kubernetes-validate" in result.stderr
    assert "deploy/k8s/overlays/staging: kubernetes-validate" not in result.stderr


def test_a_patch_of_a_missing_resource_fails(copy):
    # given an overlay patching a Deployment the base does not have
    edit(
        copy / "deploy/k8s/overlays/staging/scale.yaml",
        "  name: asgi\n",
        "  name: asgi-typo\n",
    )

    result = check(copy)

    assert result.returncode != 0
    assert "deploy/k8s/overlays/staging: kubectl kustomize" in result.stderr


def test_a_broken_compose_file_fails(copy):
    # given a dependency condition Compose does not know
    edit(
        copy / "compose.yaml",
        "condition: service_completed_successfully",
        "condition: service_finished",
    )

    result = check(copy)

    assert result.returncode != 0
    assert "compose.yaml: docker-compose config" in result.stderr
