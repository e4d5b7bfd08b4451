#!/bin/sh
# Fetches the data sets nvmsim uses (MNIST, CIFAR-10 binary) into DEST (default ./data) and verifies
# every file against data/SHA256SUMS. Idempotent: files already present and verified are kept.
# POSIX sh; needs sha256sum, and curl or wget (downloads) or cp (--from).
set -eu

usage() {
    cat <<'EOF'
usage: sh scripts/fetch_data.sh [--from DIR] [--dest DIR] [--mnist-only | --cifar-only]

Downloads the official data files and verifies them against data/SHA256SUMS:
  MNIST     DEST/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
  CIFAR-10  DEST/cifar-10-binary.tar.gz, extracted to DEST/cifar-10-batches-bin/

  --from DIR     copy from a local folder instead of downloading (DIR/mnist/*.gz and
                 DIR/cifar-10-batches-bin/*.bin, or DIR/cifar-10-binary.tar.gz), e.g. ../shared/data
  --dest DIR     where to put the data (default ./data)
  --mnist-only   only MNIST
  --cifar-only   only CIFAR-10
  -h, --help     this help

Files already present and verified are left alone; a checksum mismatch is an error (exit 1).
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
sums="$here/../data/SHA256SUMS"
dest=./data
from=
want_mnist=1
want_cifar=1

MNIST_FILES="train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz"
MNIST_MIRRORS="https://storage.googleapis.com/cvdf-datasets/mnist https://ossci-datasets.s3.amazonaws.com/mnist"
CIFAR_URL=https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
CIFAR_TAR=cifar-10-binary.tar.gz
CIFAR_DIR=cifar-10-batches-bin
CIFAR_BATCHES="data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin"
# The shared development copy (../shared/data, see its README.md) holds the official test images and
# labels in class-interleaved order, so its test_batch.bin differs from the official file (whose sum is in
# data/SHA256SUMS). This is that copy's sha256; it is accepted for test_batch.bin as well:
TEST_BATCH_REORDERED_SHA256=18cf04461dc65479d720ca1d4daf900d8c51f12f6d825013b71b6f578008cffb

# The last line a failed download prints: how to use a copy already on this machine instead.
OFFLINE_HINT="Offline? Copy a local set with 'sh scripts/fetch_data.sh --from DIR', or point nvmsim at it with NVMSIM_DATA=DIR or --data DIR (DIR holding mnist/ and cifar-10-batches-bin/)"

say() { echo "fetch_data: $*"; }
die() {
    echo "fetch_data: error: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case $1 in
    --from)
        [ $# -ge 2 ] || die "--from needs a directory"
        from=$2
        shift 2
        ;;
    --dest)
        [ $# -ge 2 ] || die "--dest needs a directory"
        dest=$2
        shift 2
        ;;
    --mnist-only) want_cifar=0; shift ;;
    --cifar-only) want_mnist=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
[ $want_mnist = 1 ] || [ $want_cifar = 1 ] || die "--mnist-only and --cifar-only exclude each other"
[ -f "$sums" ] || die "checksum list $sums not found"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (install coreutils)"
if [ -n "$from" ]; then
    [ -d "$from" ] || die "--from $from: no such directory"
fi
mkdir -p "$dest" || die "cannot create $dest"

# expected_sum NAME: the sha256 listed for NAME (a path relative to DEST) in data/SHA256SUMS.
expected_sum() { awk -v n="$1" '$2 == n { print $1 }' "$sums"; }

# verify FILE NAME: succeeds if FILE has the checksum listed for NAME.
verify() {
    want=$(expected_sum "$2")
    [ -n "$want" ] || die "no checksum for $2 in $sums"
    got=$(sha256sum "$1" | cut -d' ' -f1)
    [ "$got" = "$want" ] && return 0
    [ "$2" = "$CIFAR_DIR/test_batch.bin" ] && [ "$got" = "$TEST_BATCH_REORDERED_SHA256" ] && return 0
    echo "fetch_data: $1: sha256 $got, expected $want" >&2
    return 1
}

# present NAME: succeeds if DEST/NAME exists and verifies (a bad one is reported and will be replaced).
present() {
    [ -f "$dest/$1" ] || return 1
    verify "$dest/$1" "$1" && return 0
    say "$dest/$1 fails verification; fetching it again"
    return 1
}

download() { # URL OUT
    if command -v curl >/dev/null 2>&1; then
        curl -fL --retry 2 --connect-timeout 20 --progress-bar -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -O "$2" "$1"
    else
        die "neither curl nor wget found; install one, or use --from DIR"
    fi
}

# install_file SRC NAME: copies SRC to DEST/NAME via a .part file, verifying before it takes the name.
install_file() {
    mkdir -p "$(dirname "$dest/$2")"
    rm -f "$dest/$2.part"
    if ! cp "$1" "$dest/$2.part" || ! chmod 644 "$dest/$2.part"; then
        die "cannot copy $1 to $dest/$2"
    fi
    finish "$2"
}

# finish NAME: verifies DEST/NAME.part and renames it, or deletes it and fails.
finish() {
    if ! verify "$dest/$1.part" "$1"; then
        rm -f "$dest/$1.part"
        die "checksum mismatch for $1 (file deleted); the source is corrupt or not the official file"
    fi
    mv -f "$dest/$1.part" "$dest/$1"
    say "$dest/$1 verified"
}

# first_existing FILE...: prints the first argument that is a regular file.
first_existing() {
    for f in "$@"; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

fetch_mnist() {
    mkdir -p "$dest/mnist"
    for f in $MNIST_FILES; do
        name=mnist/$f
        if present "$name"; then
            say "$dest/$name already present and verified"
            continue
        fi
        if [ -n "$from" ]; then
            src=$(first_existing "$from/mnist/$f" "$from/$f") || die "$f not found in $from/mnist/ or $from/"
            install_file "$src" "$name"
            continue
        fi
        ok=0
        for m in $MNIST_MIRRORS; do
            say "downloading $m/$f"
            if download "$m/$f" "$dest/$name.part"; then
                ok=1
                break
            fi
            rm -f "$dest/$name.part"
        done
        [ $ok = 1 ] || die "could not download $f from any mirror ($MNIST_MIRRORS). $OFFLINE_HINT"
        finish "$name"
    done
}

cifar_complete() {
    for b in $CIFAR_BATCHES; do
        [ -f "$dest/$CIFAR_DIR/$b" ] && verify "$dest/$CIFAR_DIR/$b" "$CIFAR_DIR/$b" 2>/dev/null || return 1
    done
}

# Extracts the verified tarball (it holds cifar-10-batches-bin/) and verifies the batches.
extract_cifar() {
    say "extracting $dest/$CIFAR_TAR"
    tar -xzf "$dest/$CIFAR_TAR" -C "$dest" || die "cannot extract $dest/$CIFAR_TAR"
    for b in $CIFAR_BATCHES; do
        [ -f "$dest/$CIFAR_DIR/$b" ] || die "$CIFAR_TAR did not contain $CIFAR_DIR/$b"
        verify "$dest/$CIFAR_DIR/$b" "$CIFAR_DIR/$b" || die "checksum mismatch for extracted $CIFAR_DIR/$b"
    done
    say "$dest/$CIFAR_DIR/ verified"
}

fetch_cifar() {
    if cifar_complete; then
        say "$dest/$CIFAR_DIR/ already present and verified"
        return 0
    fi
    if [ -n "$from" ] && { [ -f "$from/$CIFAR_DIR/data_batch_1.bin" ] || [ -f "$from/data_batch_1.bin" ]; }; then
        mkdir -p "$dest/$CIFAR_DIR"
        for b in $CIFAR_BATCHES; do
            name=$CIFAR_DIR/$b
            if present "$name"; then
                say "$dest/$name already present and verified"
                continue
            fi
            src=$(first_existing "$from/$CIFAR_DIR/$b" "$from/$b") || die "$b not found in $from/$CIFAR_DIR/ or $from/"
            install_file "$src" "$name"
        done
        # Class names (not used by nvmsim, not checksummed).
        meta=$(first_existing "$from/$CIFAR_DIR/batches.meta.txt" "$from/batches.meta.txt") &&
            cp "$meta" "$dest/$CIFAR_DIR/batches.meta.txt"
        return 0
    fi
    if ! present "$CIFAR_TAR"; then
        if [ -n "$from" ]; then
            [ -f "$from/$CIFAR_TAR" ] || die "no CIFAR-10 in $from (expected $CIFAR_DIR/*.bin or $CIFAR_TAR)"
            install_file "$from/$CIFAR_TAR" "$CIFAR_TAR"
        else
            say "downloading $CIFAR_URL (163 MB)"
            download "$CIFAR_URL" "$dest/$CIFAR_TAR.part" || {
                rm -f "$dest/$CIFAR_TAR.part"
                die "could not download $CIFAR_URL. $OFFLINE_HINT"
            }
            finish "$CIFAR_TAR"
        fi
    fi
    extract_cifar
}

[ $want_mnist = 1 ] && fetch_mnist
[ $want_cifar = 1 ] && fetch_cifar
say "done: data in $dest"
