# Sourced by scripts/test and scripts/demo: installs the Debian packages monzohfs needs
# when any is missing (as root; otherwise says what to install) and builds into build/.

MONZOHFS_PACKAGES="gcc meson ninja-build pkg-config libfuse3-dev fuse3 libcurl4-openssl-dev
  libcjson-dev libxdg-basedir-dev libsqlite3-dev libmicrohttpd-dev libssl-dev tzdata ca-certificates
  python3 python3-pytest"

monzohfs_missing_packages() {
	local p missing=""
	for p in $MONZOHFS_PACKAGES "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
	echo "$missing"
}

monzohfs_install_deps() {
	local missing
	missing=$(monzohfs_missing_packages "$@")
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing Debian packages:$missing" >&2
		echo "install them with: sudo apt-get install$missing" >&2
		return 1
	fi
	echo "installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2
}

# monzohfs_build DIR [meson options...]
monzohfs_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" --werror "$@" >&2 || return 1
	fi
	ninja -C "$dir" >&2
}
