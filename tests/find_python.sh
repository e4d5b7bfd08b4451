# Sourced by the test scripts. find_python OVERRIDE MODULE...: prints the first python3 that has every
# MODULE (OVERRIDE if not empty, then /usr/bin/python3, then python3 on PATH) and returns 0, or returns 1.
# find_spec rather than an import: importing torch takes seconds.
find_python() {
    fp_override=$1
    shift
    for fp in $fp_override /usr/bin/python3 python3; do
        if command -v "$fp" >/dev/null 2>&1 &&
            "$fp" -c 'import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in sys.argv[1:]))' \
                "$@" 2>/dev/null; then
            echo "$fp"
            return 0
        fi
    done
    return 1
}
