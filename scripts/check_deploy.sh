#!/usr/bin/env bash
# Offline checks of the deployment files (README, "Production"); no cluster, no Docker daemon.
#
#   scripts/check_deploy.sh          # the project's files (`make check-deploy`)
#   scripts/check_deploy.sh DIR      # the same files under DIR (tests/deploy checks copies)
#
# 1. Kubernetes: `kubectl kustomize` of deploy/k8s/base and of each overlay, its output
#    validated with kubernetes-validate (schemas bundled in the package, no network) against
#    Kubernetes $K8S_VERSION, strictly: an unknown field fails as a wrong type or a missing
#    required one does.
# 2. compose.yaml: `docker-compose config -q`, with a throwaway env file made from
#    .env.example (plus the two passwords compose.yaml asks for).
# Exits non-zero at the first file that fails, naming it.
#
# kubectl and docker-compose come from Debian's kubernetes-client (kubectl 1.20, whose kustomize
# is v2.0.3: the manifests keep to what it understands) and docker-compose packages; when one
# is missing, scripts/system_packages.sh --for-deploy-check installs it (or says how).
#
# Environment:
#   KUBECTL=COMMAND          the kubectl to run (default: kubectl from PATH)
#   DOCKER_COMPOSE=COMMAND   the Compose to run (default: docker-compose from PATH)
#   KUBERNETES_VALIDATE=COMMAND  (default: .venv/bin/kubernetes-validate)
#   K8S_VERSION=X.Y.Z        the schemas to validate against (default 1.30.0)
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "${1:-$project}" && pwd)

kubectl=${KUBECTL:-kubectl}
compose=${DOCKER_COMPOSE:-docker-compose}
validate=${KUBERNETES_VALIDATE:-$project/.venv/bin/kubernetes-validate}
k8s_version=${K8S_VERSION:-1.30.0}

if ! command -v "$kubectl" >/dev/null 2>&1 || ! command -v "$compose" >/dev/null 2>&1; then
  bash "$project/scripts/system_packages.sh" --for-deploy-check
fi
if [ ! -x "$validate" ]; then
  echo "check-deploy: $validate is missing (make setup installs it)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
fail() { echo "check-deploy: FAILED: $*" >&2; status=1; }

# --- Kubernetes ---------------------------------------------------------------------------
for dir in "$root"/deploy/k8s/base "$root"/deploy/k8s/overlays/*/; do
  dir=${dir%/}
  name=${dir#"$root"/}
  out="$work/$(echo "$name" | tr / _).yaml"
  if ! "$kubectl" kustomize "$dir" >"$out" 2>"$work/kustomize.err"; then
    cat "$work/kustomize.err" >&2
    fail "$name: kubectl kustomize"
    continue
  fi
  if [ ! -s "$out" ]; then
    fail "$name: kubectl kustomize made nothing"
    continue
  fi
  if ! "$validate" --kubernetes-version "$k8s_version" --strict --quiet "$out" >"$work/validate.out" 2>&1; then
    # Name the overlay, not the temporary file.
    sed "s|$out|$name|g" "$work/validate.out" >&2
    fail "$name: kubernetes-validate (Kubernetes $k8s_version, strict)"
    continue
  fi
  echo "check-deploy: $name: $(grep -c '^kind:' "$out") resources valid (Kubernetes $k8s_version, strict)"
done

# The Secret's template, which no kustomization applies.
if "$validate" --kubernetes-version "$k8s_version" --strict --quiet \
    "$root/deploy/k8s/base/secret.yaml" >"$work/validate.out" 2>&1; then
  echo "check-deploy: deploy/k8s/base/secret.yaml (the template) valid"
else
  sed "s|$root/||g" "$work/validate.out" >&2
  fail "deploy/k8s/base/secret.yaml: kubernetes-validate (Kubernetes $k8s_version, strict)"
fi

# --- compose.yaml -------------------------------------------------------------------------
# A project directory of its own: the env file is a copy of .env.example, never the real .env.
mkdir "$work/compose"
{
  cat "$root/.env.example"
  echo "MARIADB_PASSWORD=check-deploy-placeholder"
  echo "RABBITMQ_PASSWORD=check-deploy-placeholder"
} >"$work/compose/.env"
if "$compose" --project-directory "$work/compose" -f "$root/compose.yaml" config -q; then
  echo "check-deploy: compose.yaml valid ($("$compose" version --short 2>/dev/null || echo Compose))"
else
  fail "compose.yaml: docker-compose config"
fi

exit $status
