# Sourced by scripts: the project's one Python virtualenv (outside the checkout; never committed).
#   KAFKIO_VENV      its directory (default $KAFKIO_CACHE/venv, KAFKIO_CACHE defaulting to ~/.cache/kafkio)
# scripts/setup creates it with Debian's python3 and pip-installs python/requirements-test.txt into it;
# kafkio_install_package builds and installs this checkout's `kafkio` package into it (pip install ., building in
# build/python-venv, apart from a plain `pip install .`'s build/python/).
kafkio_venv=${KAFKIO_VENV:-${KAFKIO_CACHE:-$HOME/.cache/kafkio}/venv}
kafkio_python=$kafkio_venv/bin/python

kafkio_install_package() {  # ROOT: pip install ROOT into the venv when its sources changed since the last install
  local root=$1 stamp sum
  stamp=$kafkio_venv/.kafkio-package-$(printf %s "$root" | md5sum | cut -c1-12)
  sum=$(cd "$root" && git ls-files -co --exclude-standard -- pyproject.toml CMakeLists.txt cmake protocol client python |
    grep -v '^python/tools/' | xargs cat 2>/dev/null | md5sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ] || ! "$kafkio_python" -c 'import kafkio' 2>/dev/null; then
    echo "python: pip install $root (builds kafkio._native)" >&2
    "$kafkio_python" -m pip install -q --no-build-isolation --config-settings=build-dir="$root/build/python-venv" "$root" >&2
    echo "$sum" >"$stamp"
  fi
}
