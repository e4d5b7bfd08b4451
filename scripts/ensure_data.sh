#!/bin/sh
# Used by `make run`: makes sure MNIST is available. Looks in $NVMSIM_DATA, then ./data, each under mnist/
# or directly, each file raw or .gz (the same places nvmsim looks); if it is in neither, fetches it into
# ./data with scripts/fetch_data.sh --mnist-only. Prints one line saying where the data is.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

# has_mnist DIR: succeeds if every MNIST file is in DIR/mnist/ or DIR/, raw or gzip-compressed.
has_mnist() {
    for f in $FILES; do
        [ -f "$1/mnist/$f" ] || [ -f "$1/mnist/$f.gz" ] || [ -f "$1/$f" ] || [ -f "$1/$f.gz" ] || return 1
    done
}

for d in ${NVMSIM_DATA:+"$NVMSIM_DATA"} ./data; do
    if has_mnist "$d"; then
        echo "ensure_data: MNIST found in $d"
        exit 0
    fi
done

sh "$here/fetch_data.sh" --mnist-only --dest ./data >&2
if [ -n "${NVMSIM_DATA:-}" ] && [ "$(cd "$NVMSIM_DATA" 2>/dev/null && pwd)" != "$(cd ./data && pwd)" ]; then
    echo "ensure_data: MNIST fetched into ./data (note: NVMSIM_DATA=$NVMSIM_DATA has none; point it at ./data)"
else
    echo "ensure_data: MNIST fetched into ./data"
fi
