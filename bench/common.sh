# SPDX-License-Identifier: PostgreSQL
# Sourced by bench/run.sh, bench/build_bench.sh and bench/accuracy.sh (with
# BENCH_NAME set): the paths of the private copy of the server under
# bench/data, the messages, the Debian packages a script needs, and the build
# that installs a tree into that copy.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
DATA=$ROOT/bench/data
PRIV=$DATA/pg
SYS_BIN=/usr/lib/postgresql/15/bin
PRIV_BIN=$PRIV/usr/lib/postgresql/15/bin

say() { printf '== %s: %s\n' "$BENCH_NAME" "$*"; }
die() { printf '== %s: FAILED: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

# install_missing PKG...: installs those of the Debian packages not installed yet.
install_missing()
{
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 -q update >/dev/null || die "apt-get update"
	apt-get -o DPkg::Lock::Timeout=600 -q install -y --no-install-recommends "${missing[@]}" >/dev/null \
		|| die "apt-get install ${missing[*]}"
}

# install_private SRC: builds the extension in SRC and installs it into the
# private copy of the server, copying the system's server there first.
install_private()
{
	say "building the extension (make -j2)"
	make -C "$1" -j2 PG_CONFIG=$SYS_BIN/pg_config >/dev/null || die "make"
	if [[ ! -x $PRIV_BIN/postgres ]]; then
		say "copying the PostgreSQL 15 server into $PRIV"
		mkdir -p "$PRIV/usr/lib/postgresql" "$PRIV/usr/share/postgresql"
		cp -a /usr/lib/postgresql/15 "$PRIV/usr/lib/postgresql/"
		cp -a /usr/share/postgresql/15 "$PRIV/usr/share/postgresql/"
	fi
	make -C "$1" install PG_CONFIG=$SYS_BIN/pg_config DESTDIR="$PRIV" >/dev/null || die "make install (private)"
}
