#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Build every libFuzzer target with clang, ASan and UBSan:
#   test/fuzz/build.sh            -> test/fuzz/out/fuzz_<target>
#   OUT=/tmp/f CC=clang-14 test/fuzz/build.sh jws jwt    (some targets only)
# The core sources are compiled here with coverage instrumentation
# (-fsanitize=fuzzer-no-link) rather than taken from libaoidc_core.la, so
# libFuzzer sees the edges inside the code under test. `make` runs this
# when configured with --enable-fuzzing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-clang}
OUT=${OUT:-$here/out}
SAN=${SAN:-address,undefined}
case "$CC" in
*clang*) ;;
*) CC=clang ;; # libFuzzer needs clang whatever configure chose
esac

# default: every target named in fuzz.h's AOIDC_FUZZ_TARGETS list
targets=${*:-$(sed -n '/^#define AOIDC_FUZZ_TARGETS/,/^$/p' "$here/fuzz.h" \
    | grep -o 'X([a-z0-9_]*)' | sed 's/^X(//; s/)$//')}

deps="openssl cjose jansson libcurl hiredis"
CPPFLAGS="-I$top/src -I$here $(apr-1-config --includes --cppflags) \
$(apu-1-config --includes) $(pkg-config --cflags $deps)"
LIBS="$(pkg-config --libs $deps) $(apr-1-config --link-ld --libs) \
$(apu-1-config --link-ld) -lpthread"
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

mkdir -p "$OUT/obj"
objs=
for src in "$top"/src/core/*.c; do
    obj="$OUT/obj/$(basename "$src" .c).o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
        # shellcheck disable=SC2086
        $CC $CFLAGS -fsanitize=fuzzer-no-link,$SAN $CPPFLAGS -c "$src" -o "$obj"
    fi
    objs="$objs $obj"
done
for t in $targets; do
    echo "  FUZZ     fuzz_$t"
    # shellcheck disable=SC2086
    $CC $CFLAGS -fsanitize=fuzzer,$SAN $CPPFLAGS "$here/fuzz_$t.c" $objs \
        $LIBS -o "$OUT/fuzz_$t"
done
