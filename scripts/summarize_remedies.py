#!/usr/bin/env python3
"""The remedies study (results/remedies/, `sh scripts/study.sh remedies`): every number its README quotes,
as Markdown tables (summary.md), and its figures (figures/, when matplotlib is there).

    scripts/summarize_remedies.py [--results DIR] [--out FILE] [--no-figures]

A CSV is named NET_ERROR[_VARIANT].csv: ERROR the error family (gauss, pcm, faults, read, adc, drift,
drift_each, analog_all, bits) and VARIANT how its base networks were made or retrained (none: plain bases,
the paper's retraining; hwa: bases trained with --train-noise gauss:0.5; hwam: bases trained with the
error's own model as train noise (the matched recipe, e.g. --train-noise faults:0.05 for stuck-at faults);
prog: --detector progressive; torch: --init torch; adam: --optim adam). The remedies of a condition:
  none = plain acc_degraded, retrain = plain acc_retrained (the paper), hwa = hwa acc_degraded,
  both = hwa acc_retrained, hwa matched = hwam acc_degraded, both matched = hwam acc_retrained,
  progressive = prog acc_retrained.
Base networks are a random effect and chips are nested in them: each cell shows the mean of the base means
± the half-width of its 95 % Student-t interval over bases (B - 1 degrees of freedom); the spreads are the
variance components (scripts/nvmstats.py). A difference "A - B" is paired: computed per (base, chip) — the
same chip draws and base index — then summarised the same way. Python 3 standard library (+ matplotlib
for the figures).
"""
import argparse
import csv
import glob
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nvmstats import nested, welch  # noqa: E402

FAMILIES = ["gauss", "pcm", "faults", "read", "adc", "drift", "drift_each", "analog_all", "bits", "precision"]
VARIANTS = ["hwa", "hwam", "prog", "torch", "adam"]
AXIS = {"gauss": "alpha", "pcm": "alpha", "faults": "faults", "read": "read", "adc": "adc",
        "drift": "time", "drift_each": "time", "analog_all": "alpha", "bits": "noise", "precision": "alpha"}
REMEDIES = [("none", "", "acc_degraded"), ("retrain", "", "acc_retrained"), ("hwa", "hwa", "acc_degraded"),
            ("both", "hwa", "acc_retrained"), ("hwa matched", "hwam", "acc_degraded"),
            ("both matched", "hwam", "acc_retrained"), ("progressive", "prog", "acc_retrained")]


def parse_name(stem):
    net, _, rest = stem.partition("_")
    for fam in sorted(FAMILIES, key=len, reverse=True):
        if rest == fam:
            return net, fam, ""
        if rest.startswith(fam + "_") and rest[len(fam) + 1:] in VARIANTS:
            return net, fam, rest[len(fam) + 1:]
    return None


def load(results):
    runs = {}
    for path in sorted(glob.glob(os.path.join(results, "*.csv"))):
        key = parse_name(os.path.basename(path)[:-4])
        if not key:
            continue
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        side = path + ".json"
        runs[key] = {"rows": rows, "side": json.load(open(side)) if os.path.exists(side) else {},
                     "file": os.path.basename(path)}
    return runs


def num(x):
    try:
        return float(x)
    except ValueError:
        return x


def condition(r, fam):
    """The key of a row's condition within its file: n_fe, the axis value, and drift compensation."""
    extra = r["drift_comp"] if fam.startswith("drift") else ""
    x = r[AXIS[fam]]
    return (int(r["n_fe"]), extra, (0, num(x), "") if isinstance(num(x), float) else (1, 0, x), x)


def by_condition(rows, fam, field):
    """{condition: {(base, chip): value}}"""
    out = {}
    for r in rows:
        out.setdefault(condition(r, fam), {})[(int(r["base"]), int(r["chip"]))] = 100 * float(r[field])
    return out


def summary(values):
    """values {(base, chip): v} -> nested() over bases."""
    groups = {}
    for (b, _), v in values.items():
        groups.setdefault(b, []).append(v)
    return nested(groups)


def cell(s, spread=False, digits=2):
    if s is None or s["bases"] == 0:
        return "–"
    f = "%%.%df" % digits
    t = f % s["mean"]
    if not math.isnan(s["ci"]):
        t += " ± " + f % s["ci"]
    if spread:
        sd = lambda x: "–" if math.isnan(x) else f % x
        t += " (%s / %s)" % (sd(s["sd_between"]), sd(s["sd_within"]))
    return t


def paired(a, b):
    """a - b over the (base, chip) both have."""
    common = sorted(set(a) & set(b))
    return summary({k: a[k] - b[k] for k in common}) if common else None


def remedy_values(runs, net, fam):
    """{remedy: {condition: {(base, chip): v}}} for the remedies whose runs exist."""
    out = {}
    for name, variant, field in REMEDIES:
        run = runs.get((net, fam, variant))
        if run:
            out[name] = by_condition(run["rows"], fam, field)
    return out


def family_table(runs, net, fam):
    rv = remedy_values(runs, net, fam)
    if not rv:
        return None
    names = [n for n, _, _ in REMEDIES if n in rv]
    conds = sorted({c for v in rv.values() for c in v})
    files = ", ".join("`%s`" % runs[(net, fam, v)]["file"] for v in ["", "hwa", "hwam", "prog"] if (net, fam, v) in runs)
    pairs = [("retrain", "none"), ("hwa", "none"), ("hwa", "retrain"), ("both", "retrain"), ("both", "hwa"),
             ("hwa matched", "retrain"), ("hwa matched", "hwa"), ("both matched", "both"), ("progressive", "retrain")]
    pairs = [p for p in pairs if p[0] in rv and p[1] in rv]
    axis = AXIS[fam] + (", drift_comp" if fam.startswith("drift") else "")
    out = ["### %s, %s (%s)" % (net, fam, files), "",
           "Accuracy (%%) by remedy: mean over bases ± 95 %% CI over bases; for none and retrain also (SD between "
           "bases / SD within a base, over chips). Paired differences (pp) per (base, chip). Axis: %s." % axis, "",
           "| n_fe | %s | bases × chips | " % axis + " | ".join(names) + " | " +
           " | ".join("%s − %s" % p for p in pairs) + " |",
           "|" + "---|" * (3 + len(names) + len(pairs))]
    for c in conds:
        cells, bc = [], "–"
        for n in names:
            vals = rv[n].get(c)
            s = summary(vals) if vals else None
            if s and n == "none":
                bc = "%d × %d" % (s["bases"], s["chips"] // max(1, s["bases"]))
            cells.append(cell(s, spread=n in ("none", "retrain")))
        for a, b in pairs:
            va, vb = rv[a].get(c), rv[b].get(c)
            d = paired(va, vb) if va and vb else None
            cells.append("–" if d is None else "%+.2f ± %.2f" % (d["mean"], d["ci"]))
        lvl = ("%s %s" % (c[3], c[1])).strip()
        out.append("| %d | %s | %s | " % (c[0], lvl, bc) + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def bits_table(runs):
    """Item 3: the MSE-clipped quantiser against max-abs at each B, paired per (base, chip), and Eq. 1 at
    alpha = 2^-B (the mapping 'relative precision 2^-B = alpha') beside them."""
    out = ["## Bits: max-abs (quant:B) vs MSE-clipped (quantmse:B) quantiser, and Eq. 1 at α = 2^-B", "",
           "| net | B | quant:B degraded | quantmse:B degraded | quantmse − quant (pp, paired) | quant:B retrained | "
           "quantmse:B retrained | quantmse − quant retrained | Eq. 1 at α = 2^-B, degraded |",
           "|---|---|---|---|---|---|---|---|---|"]
    found = False
    for net in ("mlp2", "mlp3", "cnn"):
        run = runs.get((net, "bits", ""))
        if not run:
            continue
        found = True
        prec = runs.get((net, "precision", ""))
        for bits in range(1, 9):
            def vals(kind, field):
                return {(int(r["base"]), int(r["chip"])): 100 * float(r[field]) for r in run["rows"]
                        if r["noise"] == "%s:%d" % (kind, bits)}
            qd, md, qr, mr = vals("quant", "acc_degraded"), vals("quantmse", "acc_degraded"), \
                vals("quant", "acc_retrained"), vals("quantmse", "acc_retrained")
            if not qd or not md:
                continue
            eq = "–"
            if prec:
                ev = {(int(r["base"]), int(r["chip"])): 100 * float(r["acc_degraded"]) for r in prec["rows"]
                      if float(r["alpha"]) == 2.0 ** -bits}
                eq = cell(summary(ev)) if ev else "–"
            d1, d2 = paired(md, qd), paired(mr, qr)
            out.append("| %s | %d | %s | %s | %+.2f ± %.2f | %s | %s | %+.2f ± %.2f | %s |" % (
                net, bits, cell(summary(qd)), cell(summary(md)), d1["mean"], d1["ci"], cell(summary(qr)),
                cell(summary(mr)), d2["mean"], d2["ci"], eq))
    return "\n".join(out) + "\n" if found else ""


def recipes_table(runs):
    """Item 4: base networks trained with other recipes (torch init, adam) against the default (he init),
    under Eq. 1: each recipe's mean over its bases (SD between bases / within), and the recipe effect as a
    difference of base means (independent networks: Welch), on the chips both runs have."""
    out = ["## Recipes: initialisation and optimiser of the base networks (Eq. 1)", "",
           "Degraded / retrained accuracy (%): mean over bases ± 95 % CI over bases (SD between bases / SD within "
           "a base). Recipe − he: difference of base means, Welch. Chips: those both runs have.", "",
           "| net | n_fe | α | recipe | bases × chips | degraded | retrained | degraded: recipe − he | "
           "retrained: recipe − he |", "|---|---|---|---|---|---|---|---|---|"]
    found = False
    for net in ("mlp2", "mlp3", "cnn"):
        he = runs.get((net, "gauss", ""))
        for variant in ("torch", "adam"):
            other = runs.get((net, "gauss", variant))
            if not he or not other:
                continue
            found = True
            chips = {int(r["chip"]) for r in other["rows"]} & {int(r["chip"]) for r in he["rows"]}
            for key in sorted({condition(r, "gauss") for r in other["rows"]}):
                def vals(run, field):
                    return {(int(r["base"]), int(r["chip"])): 100 * float(r[field]) for r in run["rows"]
                            if condition(r, "gauss") == key and int(r["chip"]) in chips}
                cells = []
                for run, lab in ((he, "he"), (other, variant)):
                    d, t = vals(run, "acc_degraded"), vals(run, "acc_retrained")
                    if not d:
                        continue
                    sd = summary(d)
                    row = [net, str(key[0]), key[3], lab, "%d × %d" % (sd["bases"], sd["chips"] // max(1, sd["bases"])),
                           cell(sd, spread=True), cell(summary(t), spread=True)]
                    if lab == "he":
                        row += ["", ""]
                    else:
                        for field in ("acc_degraded", "acc_retrained"):
                            a, b = vals(other, field), vals(he, field)
                            if a and b:
                                diff, ci = welch(base_means(a), base_means(b))
                                row.append("%+.2f ± %.2f" % (diff, ci))
                            else:
                                row.append("–")
                    cells.append("| " + " | ".join(row) + " |")
                out += cells
    return "\n".join(out) + "\n" if found else ""


def cost_table(runs):
    out = ["## Cost of each run (from the sidecars)", "",
           "| CSV | base training (s) | cells (s) | cells | s per cell | share of MACs in analog layers |",
           "|---|---|---|---|---|---|"]
    for key in sorted(runs):
        s = runs[key]["side"]
        cells = s.get("cells") or 0
        per = "%.2f" % (s["cell_seconds"] / cells) if cells and "cell_seconds" in s else "–"
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            runs[key]["file"], s.get("train_seconds", "–"), s.get("cell_seconds", "–"), cells or "–", per,
            "%.4f" % s["fe_mac_share"] if "fe_mac_share" in s else "–"))
    return "\n".join(out) + "\n"


def base_means(values):
    groups = {}
    for (b, _), v in values.items():
        groups.setdefault(b, []).append(v)
    return [sum(v) / len(v) for _, v in sorted(groups.items())]


def claims(runs):
    """The paper's claims 1, 3 and 6 with base networks as a random effect (gauss family, plain bases)."""
    def metric(net, n_fe, alpha, what):
        run = runs.get((net, "gauss", ""))
        if not run:
            return None
        vals = {}
        for r in run["rows"]:
            if (n_fe is not None and int(r["n_fe"]) != n_fe) or float(r["alpha"]) != alpha:
                continue
            c, d, t = (100 * float(r[k]) for k in ("acc_clean", "acc_degraded", "acc_retrained"))
            vals[(int(r["base"]), int(r["chip"]))] = (c - d) / (c - 10.0) if what == "drop" else t - d
        return vals or None

    nets = [("mlp2", 20), ("mlp2", 100), ("mlp3", 20), ("mlp3", 100), ("cnn", None)]
    out = ["## The paper's claims 1, 3 and 6 with base networks as a random effect", "",
           "From the gauss runs (plain bases). Normalised drop = (clean − degraded)/(clean − 10 %), per chip; "
           "improvement = retrained − degraded (pp), per chip. Each entry: mean of base means ± 95 % CI over "
           "bases (SD between bases / SD within a base). A difference between two networks compares their base "
           "means (independent networks: Welch t, Satterthwaite df).", ""]
    for what, title in (("drop", "normalised drop"), ("gain", "improvement (pp)")):
        out += ["| %s | " % title + " | ".join("α = %g" % a for a in (0.5, 1.0, 2.0)) + " |", "|---|---|---|---|"]
        for net, n_fe in nets:
            cells = []
            for a in (0.5, 1.0, 2.0):
                v = metric(net, n_fe, a, what)
                cells.append(cell(summary(v), spread=True, digits=3 if what == "drop" else 2) if v else "–")
            if any(c != "–" for c in cells):
                out.append("| %s%s | " % (net, "" if n_fe is None else " N_FE = %d" % n_fe) + " | ".join(cells) + " |")
        out.append("")
    comps = [("claim 1: mlp3 − mlp2, normalised drop", "drop", ("mlp3", 20), ("mlp2", 20)),
             ("claim 1: mlp3 − mlp2, normalised drop", "drop", ("mlp3", 100), ("mlp2", 100)),
             ("claim 3: cnn − mlp2, normalised drop", "drop", ("cnn", None), ("mlp2", 100)),
             ("claim 3: cnn − mlp2, normalised drop", "drop", ("cnn", None), ("mlp2", 20)),
             ("claim 6: cnn − mlp3, improvement (pp)", "gain", ("cnn", None), ("mlp3", 20)),
             ("claim 6: cnn − mlp2, improvement (pp)", "gain", ("cnn", None), ("mlp2", 100))]
    out += ["| comparison | networks | " + " | ".join("α = %g" % a for a in (0.5, 1.0, 2.0)) + " |", "|---|---|---|---|---|"]
    for title, what, x, y in comps:
        cells = []
        for a in (0.5, 1.0, 2.0):
            vx, vy = metric(x[0], x[1], a, what), metric(y[0], y[1], a, what)
            if vx and vy:
                d, ci = welch(base_means(vx), base_means(vy))
                cells.append("%+.3f ± %.3f" % (d, ci) if what == "drop" else "%+.2f ± %.2f" % (d, ci))
            else:
                cells.append("–")
        lab = lambda n: n[0] + ("" if n[1] is None else " %d" % n[1])
        out.append("| %s | %s vs %s | " % (title, lab(x), lab(y)) + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


COLORS = {"none": "#d62728", "retrain": "#1f77b4", "hwa": "#ff7f0e", "both": "#2ca02c", "hwa matched": "#8c564b",
          "both matched": "#17becf", "progressive": "#9467bd"}


def figures(runs, outdir):
    """One figure per error family (remedies against the error level, per network), the bits figure and
    the recipes figure. Bands are 95 % CIs over base networks."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("summarize_remedies: no matplotlib here: figures skipped (Debian: apt-get install "
              "python3-matplotlib, then run with /usr/bin/python3)", file=sys.stderr)
        return []
    os.makedirs(outdir, exist_ok=True)
    written = []
    nets = [n for n in ("mlp2", "mlp3", "cnn") if any(k[0] == n for k in runs)]

    def panels(fam):
        out = []
        for net in nets:
            rv = remedy_values(runs, net, fam)
            for n_fe in sorted({c[0] for v in rv.values() for c in v}):
                out.append((net, n_fe, rv))
        return out

    for fam in [f for f in FAMILIES if f not in ("bits", "precision")]:
        ps = panels(fam)
        if not ps:
            continue
        fig, axes = plt.subplots(1, len(ps), figsize=(3.6 * len(ps), 3.4), squeeze=False)
        for ax, (net, n_fe, rv) in zip(axes[0], ps):
            bases, cpb = 0, set()   # bases; chips per base, over the remedies drawn
            for name, vals in rv.items():
                for comp, style in ((("", "-"),) if not fam.startswith("drift") else (("global", "-"), ("none", "--"))):
                    cs = sorted(c for c in vals if c[0] == n_fe and c[1] == comp and isinstance(num(c[3]), float))
                    if not cs:
                        continue
                    xs = [num(c[3]) for c in cs]
                    ss = [summary(vals[c]) for c in cs]
                    bases = max(bases, ss[0]["bases"])
                    cpb.add(ss[0]["chips"] // max(1, ss[0]["bases"]))
                    m = [x["mean"] for x in ss]
                    ci = [0 if math.isnan(x["ci"]) else x["ci"] for x in ss]
                    lab = name + ("" if not comp else " (%s comp.)" % comp)
                    ax.plot(xs, m, style, color=COLORS[name], label=lab, marker=".")
                    ax.fill_between(xs, [a - b for a, b in zip(m, ci)], [a + b for a, b in zip(m, ci)],
                                    color=COLORS[name], alpha=0.15, linewidth=0)
            if fam.startswith("drift"):
                ax.set_xscale("log")
            ax.set_xlabel({"alpha": "α", "faults": "stuck-at fraction", "read": "read noise σ / g_max",
                           "adc": "ADC bits", "time": "time after programming (s)"}[AXIS[fam]])
            ax.set_ylabel("test accuracy (%)")
            per = "%d" % min(cpb) if len(cpb) == 1 else "%d–%d" % (min(cpb), max(cpb)) if cpb else "0"
            ax.set_title("%s%s: %d base%s × %s chips" % (net, "" if net == "cnn" else " N_FE=%d" % n_fe, bases,
                                                        "" if bases == 1 else "s", per), fontsize=9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6)
        fig.suptitle("%s (bands: 95 %% CI over bases)" % fam, fontsize=9)
        fig.tight_layout()
        path = os.path.join(outdir, "remedies_%s.png" % fam)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    # Bits: max-abs vs MSE-clipped quantiser at alpha 0, and Eq. 1 at alpha = 2^-B (the mapping used).
    bnets = [n for n in nets if (n, "bits", "") in runs]
    if bnets:
        fig, axes = plt.subplots(1, len(bnets), figsize=(4.2 * len(bnets), 3.4), squeeze=False)
        for ax, net in zip(axes[0], bnets):
            rows = runs[(net, "bits", "")]["rows"]
            for kind, color in (("quant", "#d62728"), ("quantmse", "#1f77b4")):
                for field, style in (("acc_degraded", "-"), ("acc_retrained", "--")):
                    pts = {}
                    for r in rows:
                        k, _, b = r["noise"].partition(":")
                        if k == kind:
                            pts.setdefault(int(b), {})[(int(r["base"]), int(r["chip"]))] = 100 * float(r[field])
                    if pts:
                        xs = sorted(pts)
                        ax.plot(xs, [summary(pts[x])["mean"] for x in xs], style, color=color, marker=".",
                                label="%s:B %s" % (kind, "degraded" if field == "acc_degraded" else "retrained"))
            prec = runs.get((net, "precision", ""))
            if prec:
                pts = {}
                for r in prec["rows"]:
                    a = float(r["alpha"])
                    if a > 0:
                        pts.setdefault(round(-math.log2(a)), {})[(int(r["base"]), int(r["chip"]))] = 100 * float(r["acc_degraded"])
                xs = sorted(pts)
                ax.plot(xs, [summary(pts[x])["mean"] for x in xs], ":", color="k", marker="x",
                        label="Eq. 1 at α = 2^-B, degraded")
            ax.set_xlabel("bits B")
            ax.set_ylabel("test accuracy (%)")
            ax.set_title(net + " (N_FE=100)" if net != "cnn" else net, fontsize=9)
            ax.grid(alpha=0.3)
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(outdir, "bits.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    # Recipes: the gauss curve of each recipe, with each base network's mean as a dot.
    rnets = [n for n in nets if any((n, "gauss", v) in runs for v in ("torch", "adam"))]
    if rnets:
        fig, axes = plt.subplots(1, len(rnets), figsize=(4.2 * len(rnets), 3.4), squeeze=False)
        for ax, net in zip(axes[0], rnets):
            for variant, color, lab in (("", "#1f77b4", "he init (default)"), ("torch", "#ff7f0e", "torch init"),
                                        ("adam", "#2ca02c", "adam")):
                run = runs.get((net, "gauss", variant))
                if not run:
                    continue
                n_fe = max(int(r["n_fe"]) for r in run["rows"])
                vals = by_condition([r for r in run["rows"] if int(r["n_fe"]) == n_fe], "gauss", "acc_degraded")
                cs = sorted(vals)
                xs = [num(c[3]) for c in cs]
                ax.plot(xs, [summary(vals[c])["mean"] for c in cs], "-", color=color, label=lab)
                for c in cs:
                    bm = base_means(vals[c])
                    ax.plot([num(c[3])] * len(bm), bm, ".", color=color, alpha=0.5, markersize=4)
            ax.set_xlabel("α")
            ax.set_ylabel("degraded test accuracy (%)")
            ax.set_title("%s: dots = one base network's mean over its chips" % net, fontsize=8)
            ax.grid(alpha=0.3)
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(outdir, "recipes.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=os.path.join("results", "remedies"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-figures", action="store_true")
    a = ap.parse_args()
    runs = load(a.results)
    if not runs:
        print("summarize_remedies: no NET_ERROR[_VARIANT].csv in %s" % a.results, file=sys.stderr)
        return 3
    nets = sorted({k[0] for k in runs}, key=lambda n: ["mlp2", "mlp3", "cnn"].index(n) if n in ("mlp2", "mlp3", "cnn") else 9)
    parts = []
    for net in nets:
        for fam in FAMILIES:
            t = family_table(runs, net, fam)
            if t:
                parts.append(t)
    dest = a.out or os.path.join(a.results, "summary.md")
    with open(dest, "w") as f:
        f.write("# Remedies study: numbers (generated by scripts/summarize_remedies.py from %s/*.csv)\n\n" % a.results)
        f.write(claims(runs) + "\n")
        f.write(bits_table(runs) + "\n")
        f.write(recipes_table(runs) + "\n")
        f.write("\n".join(parts))
        f.write("\n" + cost_table(runs))
    print("wrote %s (%d tables)" % (dest, len(parts)))
    if not a.no_figures:
        for p in figures(runs, os.path.join(a.results, "figures")):
            print("wrote " + p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
