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
}
