#!/usr/bin/env bash
# Installs the C library of cliauth under a prefix, the way C libraries are installed:
#
#   PREFIX/include/cliauth.h
#   LIBDIR/libcliauth.so.X.Y.Z          the shared library (soname libcliauth.so.X)
#   LIBDIR/libcliauth.so.X -> .so.X.Y.Z  what programs load (the soname)
#   LIBDIR/libcliauth.so   -> .so.X      what `-lcliauth` finds when linking
#   LIBDIR/libcliauth.a                  the static library
#   LIBDIR/pkgconfig/cliauth.pc          Cflags, Libs, Libs.private (static link)
#
# Usage: scripts/install-c.sh [options] PREFIX
#   --libdir DIR   where the libraries go (default PREFIX/lib)
#   --static-only  install libcliauth.a only (then `pkg-config --static` links it)
#   --shared-only  install the shared library only
#   --no-build     use the libraries already in the target directory
#   --lib-from DIR install libcliauth.so/.a from DIR (implies --no-build; for tests)
#   --profile P    cargo profile to build and install (default release)
# Environment: DESTDIR (staged install: files go to DESTDIR/PREFIX/…, the .pc names
# PREFIX), CARGO, RUSTC, CARGO_TARGET_DIR.
#
# Builds with `cargo build --profile P -p cliauth-capi --lib` unless --no-build. Runs
# ldconfig when installing as root into /usr or /usr/local without DESTDIR.
set -euo pipefail

usage() {
    sed -n '2,22s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

prefix=""
libdir=""
want_shared=1
want_static=1
build=1
profile=release
lib_from=""
while [ $# -gt 0 ]; do
    case "$1" in
        --libdir) [ $# -ge 2 ] || usage; libdir="$2"; shift 2 ;;
        --libdir=*) libdir="${1#--libdir=}"; shift ;;
        --static-only) want_shared=0; shift ;;
        --shared-only) want_static=0; shift ;;
        --no-build) build=0; shift ;;
        --lib-from) [ $# -ge 2 ] || usage; lib_from="$2"; build=0; shift 2 ;;
        --lib-from=*) lib_from="${1#--lib-from=}"; build=0; shift ;;
        --profile) [ $# -ge 2 ] || usage; profile="$2"; shift 2 ;;
        --profile=*) profile="${1#--profile=}"; shift ;;
        -h|--help) usage ;;
        -*) echo "install-c: unknown option $1" >&2; usage ;;
        *) [ -z "$prefix" ] || usage; prefix="$1"; shift ;;
    esac
done
[ -n "$prefix" ] || usage
[ "$want_shared$want_static" != "00" ] || { echo "install-c: nothing to install" >&2; exit 2; }
case "$prefix" in
    /*) ;;
    *) echo "install-c: PREFIX must be an absolute path (it is written into cliauth.pc)" >&2; exit 2 ;;
esac
prefix="${prefix%/}"
[ -n "$prefix" ] || prefix=/
libdir="${libdir:-$prefix/lib}"
case "$libdir" in
    /*) ;;
    *) libdir="$prefix/$libdir" ;;
esac
includedir="$prefix/include"
destdir="${DESTDIR:-}"

cd "$(dirname "$0")/.."
cargo="${CARGO:-cargo}"
rustc="${RUSTC:-rustc}"

version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' capi/Cargo.toml | head -n 1)"
major="${version%%.*}"
case "$version" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *) echo "install-c: cannot read the version from capi/Cargo.toml" >&2; exit 1 ;;
esac

case "$profile" in
    dev) profile_dir=debug ;;
    *) profile_dir="$profile" ;;
esac
target_dir="${CARGO_TARGET_DIR:-target}"
built="${lib_from:-$target_dir/$profile_dir}"

if [ "$build" = 1 ]; then
    "$cargo" build --quiet --profile "$profile" -p cliauth-capi --lib
fi
for f in libcliauth.so libcliauth.a; do
    if [ ! -f "$built/$f" ]; then
        echo "install-c: $built/$f not found (build it, or drop --no-build)" >&2
        exit 1
    fi
done

# The soname the build gave the library (capi/build.rs): programs record it.
if command -v readelf >/dev/null 2>&1; then
    soname="$(readelf -d "$built/libcliauth.so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')"
    if [ "$soname" != "libcliauth.so.$major" ]; then
        echo "install-c: $built/libcliauth.so has soname '$soname', expected libcliauth.so.$major" >&2
        exit 1
    fi
fi

# What a Rust static library needs from the system, as this toolchain reports it for a
# static library (rustc --print native-static-libs): the Libs.private of cliauth.pc.
native_static_libs() {
    local tmp libs
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/cliauth-nsl.XXXXXX")"
    : >"$tmp/empty.rs"
    libs="$("$rustc" --crate-type staticlib --crate-name cliauth_nsl --edition 2021 \
        --print native-static-libs -o "$tmp/libcliauth_nsl.a" "$tmp/empty.rs" 2>&1 |
        sed -n 's/^note: native-static-libs: //p' | head -n 1)"
    rm -rf "$tmp"
    if [ -z "$libs" ]; then
        # The GNU/Linux list (rustc 1.70–1.95), should rustc not say.
        libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
    fi
    printf '%s\n' "$libs"
}
libs_private="$(native_static_libs)"

# The .pc refers to the prefix through variables where it can.
case "$libdir" in
    "$prefix"/*) pc_libdir="\${exec_prefix}${libdir#"$prefix"}" ;;
    *) pc_libdir="$libdir" ;;
esac

install -d "$destdir$includedir" "$destdir$libdir/pkgconfig"
install -m 644 include/cliauth.h "$destdir$includedir/cliauth.h"
if [ "$want_shared" = 1 ]; then
    install -m 755 "$built/libcliauth.so" "$destdir$libdir/libcliauth.so.$version"
    ln -sfn "libcliauth.so.$version" "$destdir$libdir/libcliauth.so.$major"
    ln -sfn "libcliauth.so.$major" "$destdir$libdir/libcliauth.so"
else
    rm -f "$destdir$libdir/libcliauth.so" "$destdir$libdir/libcliauth.so.$major"
fi
if [ "$want_static" = 1 ]; then
    install -m 644 "$built/libcliauth.a" "$destdir$libdir/libcliauth.a"
else
    rm -f "$destdir$libdir/libcliauth.a"
fi
sed -e "s|@PREFIX@|$prefix|g" \
    -e "s|@LIBDIR@|$pc_libdir|g" \
    -e "s|@VERSION@|$version|g" \
    -e "s|@LIBS_PRIVATE@|$libs_private|g" \
    capi/cliauth.pc.in >"$destdir$libdir/pkgconfig/cliauth.pc"
chmod 644 "$destdir$libdir/pkgconfig/cliauth.pc"

echo "install-c: libcliauth $version installed under $destdir$prefix (libdir $libdir)"
if [ -z "$destdir" ] && [ "$want_shared" = 1 ]; then
    case "$libdir" in
        /usr/lib|/usr/lib64|/usr/local/lib|/usr/lib/*-linux-gnu)
            if [ "$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null 2>&1; then
                ldconfig
            fi
            ;;
        *)
            echo "install-c: $libdir is not in the loader's default path: run programs with" \
                "LD_LIBRARY_PATH=$libdir, link with -Wl,-rpath,$libdir, or add it to /etc/ld.so.conf.d/" ;;
    esac
fi
if [ "$want_shared" = 0 ] || [ "$want_static" = 0 ]; then
    :
else
    echo "install-c: both libraries installed: -lcliauth links libcliauth.so; for a static link use" \
        "\$(pkg-config --variable=static_libs cliauth) (or install with --static-only)"
fi
