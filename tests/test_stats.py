#!/usr/bin/env python3
"""Tests of scripts/nvmstats.py (the statistics every summary uses) and scripts/summarize_remedies.py on
CSVs made by the real binary. Usage: tests/test_stats.py NVMSIM MKDATA"""
import csv
import math
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
import nvmstats as st  # noqa: E402

checks = fails = 0


def check(cond, what):
    global checks, fails
    checks += 1
    if not cond:
        fails += 1
        print("test_stats: FAIL: " + what, file=sys.stderr)


# Student-t 0.975 quantiles against published values (4 decimals), and the CDF inverts the quantile.
for df, t in ((1, 12.7062), (2, 4.3027), (5, 2.5706), (10, 2.2281), (30, 2.0423), (100, 1.9840), (1000, 1.9623)):
    check(abs(st.t_quantile(0.975, df) - t) < 1e-4, "t_quantile(0.975, %d) = %.5f, want %.4f" % (df, st.t_quantile(0.975, df), t))
for df in (1, 3, 7.5, 40):
    for p in (0.6, 0.9, 0.995):
        check(abs(st.t_cdf(st.t_quantile(p, df), df) - p) < 1e-9, "t_cdf(t_quantile(%g, %g))" % (p, df))

# nested(): the variance components of a balanced design against the ANOVA formulas, by hand.
g = {0: [1.0, 2.0, 3.0], 1: [2.0, 3.0, 4.0], 2: [5.0, 5.0, 6.0]}
r = st.nested(g)
means = [2.0, 3.0, 16.0 / 3]
gm = sum(means) / 3
var_means = sum((m - gm) ** 2 for m in means) / 2
msw = (2.0 + 2.0 + 2.0 / 3) / 6
check(abs(r["mean"] - gm) < 1e-12, "nested mean")
check(abs(r["sd_within"] - math.sqrt(msw)) < 1e-12, "nested sd_within")
check(abs(r["sd_between"] - math.sqrt(var_means - msw / 3)) < 1e-12, "nested sd_between")
check(abs(r["ci"] - st.t_quantile(0.975, 2) * math.sqrt(var_means / 3)) < 1e-12, "nested ci over bases")
check(r["bases"] == 3 and r["chips"] == 9, "nested counts")
# Coverage, a property: the CI over bases holds the true mean in ~95 % of simulated nested designs.
rng = random.Random(5)
hits = 0
for _ in range(2000):
    d = {}
    for b in range(5):
        u = rng.gauss(0, 1.0)
        d[b] = [10 + u + rng.gauss(0, 2.0) for _ in range(4)]
    s = st.nested(d)
    hits += abs(s["mean"] - 10) <= s["ci"]
check(0.93 <= hits / 2000 <= 0.97, "CI over bases covers the mean %.3f of the time, want ~0.95" % (hits / 2000))
# welch(): a known case (equal sizes, equal variances: df = 2n - 2 and the pooled half-width).
a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0]
d, ci = st.welch(a, b)
check(abs(d + 1) < 1e-12 and abs(ci - st.t_quantile(0.975, 6) * math.sqrt(2 * (5.0 / 3) / 4)) < 1e-9, "welch")

# summarize_remedies.py on two small real sweeps: a plain and a hardware-aware base set.
nvmsim, mkdata = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as t:
    subprocess.run([mkdata, os.path.join(t, "syn"), "300", "100"], check=True, stdout=subprocess.DEVNULL)
    res = os.path.join(t, "res")
    os.mkdir(res)
    common = ["sweep", "--data", os.path.join(t, "syn"), "--nfe", "8", "--epochs", "1", "--alpha", "0,1",
              "--runs", "2", "--bases", "2", "--retrain-epochs", "1"]
    for name, extra in (("mlp2_gauss", []), ("mlp2_gauss_hwa", ["--train-noise", "gauss:0.5"])):
        subprocess.run([nvmsim] + common + extra + ["--out", os.path.join(res, name + ".csv")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run([sys.executable, os.path.join(HERE, "..", "scripts", "summarize_remedies.py"), "--results",
                          res, "--no-figures"], capture_output=True, text=True)
    check(out.returncode == 0, "summarize_remedies exit %d: %s" % (out.returncode, out.stderr))
    md = open(os.path.join(res, "summary.md")).read()
    rows = list(csv.DictReader(open(os.path.join(res, "mlp2_gauss.csv"))))
    hwa = list(csv.DictReader(open(os.path.join(res, "mlp2_gauss_hwa.csv"))))
    sel = lambda rs, k: {(r["base"], r["chip"]): 100 * float(r[k]) for r in rs if r["alpha"] == "1"}
    none = sel(rows, "acc_degraded")
    mb = [sum(v for (b, _), v in none.items() if b == x) / 2 for x in ("0", "1")]
    line = [l for l in md.splitlines() if l.startswith("| 8 | 1 |")]
    check(len(line) == 1, "one table row for n_fe 8, alpha 1: %r" % line)
    if line:
        f = [c.strip() for c in line[0].strip("|").split("|")]
        check(f[3].startswith("%.2f" % (sum(mb) / 2)), "none column %r, want the mean of base means %.2f" % (f[3], sum(mb) / 2))
        h = sel(hwa, "acc_degraded")
        diff = [h[k] - none[k] for k in sorted(none)]
        want = "%+.2f" % (sum(diff) / len(diff))
        check(want in line[0], "paired hwa - none %s in %r" % (want, line[0]))
    bad = subprocess.run([sys.executable, os.path.join(HERE, "..", "scripts", "summarize_remedies.py"), "--results",
                          os.path.join(t, "syn")], capture_output=True, text=True)
    check(bad.returncode == 3 and len(bad.stderr.strip().splitlines()) == 1, "no CSVs: exit 3 with one line")

print("%-14s %s (%d checks, %d failed)" % ("stats", "ok" if fails == 0 else "FAIL", checks, fails))
sys.exit(1 if fails else 0)
