#!/usr/bin/env python3
"""Redraw the figures of Mohammadirad & Sojodishijani (2020) from nvmsim sweep CSVs.

Usage: scripts/plot_figures.py [--out DIR] CSV...

Reads any number of `nvmsim sweep` CSVs (any file names: rows are classified by their net, noise,
detector and alpha columns) and writes, as PNG and PDF into DIR (default results/paper/figures/):

  fig3_degraded        acc_degraded vs alpha (0..1), one curve per N_FE; panels mlp2, mlp3, cnn
  fig4_retrained       acc_retrained vs alpha, the same panels               } rows: noise=gauss,
  fig5_improvement     acc_retrained - acc_degraded (paired per chip) vs alpha }      detector=last
  fig6_bits            noise=quant:B at alpha=0 (detector=last): degraded and retrained accuracy vs
                       B, clean accuracy dashed; one panel per net
  fig7_detector        noise=gauss: retrained accuracy vs alpha, one curve per (detector, n_d); one
                       panel per (net, N_FE) that has detector=new rows
  fig8_extended_alpha  noise=gauss, detector=last, (net, N_FE) groups with alpha > 1: degraded and
                       retrained vs alpha over the whole range

Every curve is the mean over the (base, chip) samples at each point, with a shaded 95 % confidence
band of that mean: mean +- t(0.975, n-1) * sd / sqrt(n), sd the sample standard deviation of the n
per-(base, chip) values (fig5: of the paired per-chip differences). t is taken from a table of
Student-t 0.975 quantiles for df = 1..30 and 1.96 (the normal quantile) above, which makes the band
at most ~3 % too narrow for df just over 30. A point with a single sample has no band. Exact duplicate
rows (the same row in two CSVs) are counted once.

For every figure or panel that cannot be drawn one line says what is missing and which sweep makes
it; the other figures are still drawn, an empty panel carries a "no data" note.

Exit codes: 0 at least one figure written; 1 no figure could be drawn (nothing to plot);
2 bad command line; 3 bad input file (missing, unreadable, malformed header or value: one line on
stderr naming the file and line); 4 matplotlib missing or an output file could not be written.

Needs Python 3 and matplotlib only (Debian: python3-matplotlib). Output is deterministic: reruns
on the same CSVs give byte-identical PNG and PDF files (no dates, fixed hash salt).
"""

import argparse
import csv
import math
import os
import signal
import sys
import textwrap

PROG = "plot_figures.py"
HEADER = ["net", "dataset", "n_fe", "n_d", "detector", "noise", "alpha", "base", "chip",
          "acc_clean", "acc_degraded", "acc_retrained"]

# Student-t 0.975 quantiles (two-sided 95 %) for df = 1..30; 1.96 above.
T975 = [None, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]

PAPER_NETS = ["mlp2", "mlp3", "cnn"]
NET_DESC = {"mlp2": "784–N_FE–10 MLP", "mlp3": "784–N_FE–N_FE–10 MLP", "cnn": "CNN"}
DATASET_NAME = {"mnist": "MNIST", "cifar10": "CIFAR-10"}
SWEEP_HINT = {
    "mlp2": "nvmsim sweep --net mlp2 --nfe 10,20,50,100,200 --alpha 0:1:0.05 --runs 10 --out results/mlp2.csv",
    "mlp3": "nvmsim sweep --net mlp3 --nfe 10,20,50,100,200 --alpha 0:1:0.05 --runs 10 --out results/mlp3.csv",
    "cnn": "nvmsim sweep --net cnn --alpha 0:1:0.05 --runs 10 --out results/cnn.csv",
}
BITS_ARG = ",".join("quant:%d" % b for b in range(1, 9))


class InputError(Exception):
    pass


def tq975(df):
    return T975[df] if df <= 30 else 1.96


def mean_ci(vals):
    """Mean and half-width of its 95 % confidence interval (None for a single value)."""
    n = len(vals)
    m = math.fsum(vals) / n
    if n < 2:
        return m, None
    var = math.fsum((v - m) ** 2 for v in vals) / (n - 1)
    return m, tq975(n - 1) * math.sqrt(var / n)


# ---------------------------------------------------------------------------------------------
# Reading and validating CSVs

class Row:
    __slots__ = ("net", "dataset", "n_fe", "n_d", "detector", "noise", "bits", "alpha", "base",
                 "chip", "clean", "deg", "ret")


def _int(text, name, lo):
    try:
        v = int(text)
    except ValueError:
        raise ValueError("%s %r is not an integer" % (name, text))
    if v < lo:
        raise ValueError("%s %d is below %d" % (name, v, lo))
    return v


def _float(text, name, lo, hi):
    try:
        v = float(text)
    except ValueError:
        raise ValueError("%s %r is not a number" % (name, text))
    if not math.isfinite(v) or v < lo or (hi is not None and v > hi):
        raise ValueError("%s %r is out of range [%g, %s]" % (name, text, lo, "inf" if hi is None else "%g" % hi))
    return v


def parse_row(f):
    r = Row()
    r.net, r.dataset = f[0], f[1]
    if not r.net or not r.dataset:
        raise ValueError("empty net or dataset")
    r.n_fe = _int(f[2], "n_fe", 1)
    r.n_d = _int(f[3], "n_d", 0)
    r.detector = f[4]
    if r.detector not in ("last", "new"):
        raise ValueError("detector %r is neither last nor new" % r.detector)
    r.noise = f[5]
    r.bits = None
    if r.noise.startswith("quant:"):
        r.bits = _int(r.noise[6:], "quant bits", 1)
    elif not r.noise or not all(c.isalnum() or c in ":._-" for c in r.noise):
        raise ValueError("noise %r is not a noise-model name" % r.noise)
    r.alpha = _float(f[6], "alpha", 0.0, None)
    r.base = _int(f[7], "base", 0)
    r.chip = _int(f[8], "chip", 0)
    r.clean = _float(f[9], "acc_clean", 0.0, 1.0)
    r.deg = _float(f[10], "acc_degraded", 0.0, 1.0)
    r.ret = _float(f[11], "acc_retrained", 0.0, 1.0)
    return r


def read_csv(path):
    """Rows of one sweep CSV; InputError (one line: file, line, problem) when it is not one."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise InputError("%s: cannot read: %s" % (path, e.strerror or e))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError("%s:%d: not UTF-8 text" % (path, data[:e.start].count(b"\n") + 1))
    if not text.strip():
        raise InputError("%s:1: empty file, expected the header %s" % (path, ",".join(HEADER)))
    reader = csv.reader(text.splitlines())
    rows = []
    ncols = 0
    try:
        for fields in reader:
            line = reader.line_num
            if line == 1:
                if fields[:len(HEADER)] != HEADER:
                    got = ",".join(fields)
                    raise InputError("%s:1: not an nvmsim sweep CSV: header must start with %s, got %.80r"
                                     % (path, ",".join(HEADER), got))
                ncols = len(fields)
                continue
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line
            if len(fields) != ncols:
                raise InputError("%s:%d: %d fields, the header has %d" % (path, line, len(fields), ncols))
            try:
                rows.append(parse_row(fields))
            except ValueError as e:
                raise InputError("%s:%d: %s" % (path, line, e))
    except csv.Error as e:
        raise InputError("%s:%d: %s" % (path, reader.line_num, e))
    return rows


def row_key(r):
    return (r.net, r.dataset, r.n_fe, r.n_d, r.detector, r.noise, r.alpha, r.base, r.chip,
            r.clean, r.deg, r.ret)


# ---------------------------------------------------------------------------------------------
# Grouping helpers

def series(rows, xkey, value):
    """Sorted [(x, mean, half_width_or_None, n)] of value(row) grouped by xkey(row)."""
    groups = {}
    for r in rows:
        groups.setdefault(xkey(r), []).append(value(r))
    out = []
    for x in sorted(groups):
        m, h = mean_ci(groups[x])
        out.append((x, m, h, len(groups[x])))
    return out


def by(rows, key):
    groups = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    return groups


def count_text(ns):
    """'3 chips' or '3–10 chips' for the sample counts ns of a panel's points."""
    lo, hi = min(ns), max(ns)
    return ("%d chip%s" % (lo, "" if lo == 1 else "s")) if lo == hi else "%d–%d chips" % (lo, hi)


def chips_text(rows):
    """'mean of 3 chips (1 base network × 3)' for the rows of one curve family."""
    pts = by(rows, lambda r: (r.n_fe, r.n_d, r.detector, r.noise, r.alpha))
    ns = [len(v) for v in pts.values()]
    bases = len({r.base for r in rows})
    txt = "mean of " + count_text(ns)
    if bases > 1:
        txt += " (%d base networks)" % bases
    return txt


def net_title(net, rows):
    ds = sorted({r.dataset for r in rows})
    dsn = "/".join(DATASET_NAME.get(d, d) for d in ds)
    desc = NET_DESC.get(net)
    return "%s — %s%s" % (net, dsn, (", " + desc) if desc else "")


def fmt_alpha(a):
    return ("%.6f" % a).rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------------------
# Plotting

class Plotter:
    def __init__(self, outdir, rows):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import ticker
        from matplotlib.lines import Line2D
        self.plt, self.ticker, self.Line2D = plt, ticker, Line2D
        matplotlib.rcParams.update({
            "svg.hashsalt": "nvmsim",
            "font.size": 10,
            "axes.titlesize": 10.5,
            "axes.labelsize": 10,
            "legend.fontsize": 8.5,
            "legend.framealpha": 0.85,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "grid.linewidth": 0.6,
            "lines.linewidth": 1.6,
            "lines.markersize": 3.5,
            "savefig.dpi": 150,
        })
        self.outdir = outdir
        self.written = 0
        # One colour per N_FE, the same in every figure: a sequential colormap over all N_FE values.
        nfes = sorted({r.n_fe for r in rows})
        cmap = matplotlib.colormaps["viridis"]
        k = len(nfes)
        self.nfe_color = {n: cmap(0.4 if k == 1 else 0.8 * i / (k - 1)) for i, n in enumerate(nfes)}
        self.cmap_nd = matplotlib.colormaps["plasma"]

    # -- saving
    def save(self, fig, name):
        for ext, kw in (("png", {"metadata": {"Software": None}}),
                        ("pdf", {"metadata": {"CreationDate": None, "ModDate": None}})):
            path = os.path.join(self.outdir, "%s.%s" % (name, ext))
            tmp = path + ".tmp"
            try:
                fig.savefig(tmp, format=ext, **kw)
                os.replace(tmp, path)
            except OSError as e:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise SystemExit(fail(4, "%s: cannot write: %s" % (path, e.strerror or e)))
            print("wrote %s" % path)
        self.written += 1
        self.plt.close(fig)

    def figure(self, nrows, ncols, title, caption, w=4.5, h=3.9):
        width = max(w * ncols + 0.4, 9.0)
        fig, axes = self.plt.subplots(nrows, ncols, figsize=(width, h * nrows + 0.9), squeeze=False)
        # Wrapped by hand (about 9 bold 12.5 pt and 15 plain 8.5 pt characters per inch) so that the
        # constrained layout knows their real height.
        fig.suptitle(textwrap.fill(title, int(width * 9)), fontsize=12.5, fontweight="bold")
        # the caption as the figure's x label: the constrained layout leaves room for it
        caption = caption.replace("Student t", "Student\u00a0t").replace(" %", "\u00a0%")  # no break there
        fig.supxlabel(textwrap.fill(caption, int(width * 15)), fontsize=8.5, color="0.25")
        fig.set_layout_engine("constrained", h_pad=0.06, w_pad=0.06)
        return fig, axes

    def percent_axis(self, ax, label="test accuracy"):
        ax.yaxis.set_major_formatter(self.ticker.FuncFormatter(lambda v, _pos: "%g %%" % round(v, 6)))
        ax.set_ylabel(label)

    def no_data(self, ax, msg):
        ax.text(0.5, 0.5, "no data\n" + msg, transform=ax.transAxes, ha="center", va="center",
                fontsize=9, color="0.35", wrap=True)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)

    def curve(self, ax, pts, color, label, ls="-", marker="o", scale=100.0, band=True, zorder=2):
        xs = [p[0] for p in pts]
        ms = [p[1] * scale for p in pts]
        ax.plot(xs, ms, ls=ls, marker=marker if len(pts) <= 30 else None, color=color, label=label,
                zorder=zorder)
        if band and any(p[2] is not None for p in pts):
            hs = [(p[2] or 0.0) * scale for p in pts]
            ax.fill_between(xs, [m - h for m, h in zip(ms, hs)], [m + h for m, h in zip(ms, hs)],
                            color=color, alpha=0.2, linewidth=0, zorder=zorder - 1)
        lo = min(m - (p[2] or 0.0) * scale for m, p in zip(ms, pts))
        hi = max(m + (p[2] or 0.0) * scale for m, p in zip(ms, pts))
        return lo, hi


def fail(code, msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr)
    return code


def panel_letter(i):
    return "(%s)" % "abcdefghijklmnopqrstuvwxyz"[i % 26]


def ylim_pad(lo, hi, top=None, frac=0.06, minspan=1.0):
    span = max(hi - lo, minspan)
    lo2, hi2 = lo - frac * span, hi + frac * span
    if top is not None:
        hi2 = min(hi2, top)
    return lo2, hi2


# -- figures 3, 4, 5 ----------------------------------------------------------------------------

def figs_345(P, rows, missing):
    base = [r for r in rows if r.noise == "gauss" and r.detector == "last" and r.alpha <= 1.0 + 1e-12]
    nets = PAPER_NETS + sorted({r.net for r in base} - set(PAPER_NETS))
    per_net = by(base, lambda r: r.net)
    for i, net in enumerate(nets):
        if net not in per_net:
            missing.append("fig3/fig4/fig5 panel %s (%s): no rows with net=%s, noise=gauss, detector=last, "
                           "alpha<=1 — run: %s" % ("abcdefgh"[i], net, net, SWEEP_HINT.get(net, "nvmsim sweep --net " + net)))
    if not per_net:
        missing.append("fig3/fig4/fig5 not written: no rows with noise=gauss, detector=last")
        return

    # Series per net and curve; y limits shared by figs 3 and 4 (same dataset -> same range).
    def curves(net, value):
        rs = per_net[net]
        groups = by(rs, lambda r: (r.n_fe, r.n_d))
        multi_nd = {nfe for (nfe, nd) in groups if len({k[1] for k in groups if k[0] == nfe}) > 1}
        out = []
        for (nfe, nd) in sorted(groups):
            lab = "N_FE = %d" % nfe + (", N_D = %d" % nd if nfe in multi_nd else "")
            out.append((nfe, lab, series(groups[(nfe, nd)], lambda r: r.alpha, value)))
        return out

    acc = {}
    for fig_id, value in (("deg", lambda r: r.deg), ("ret", lambda r: r.ret)):
        for net in per_net:
            acc[(fig_id, net)] = curves(net, value)
    ylim = {}
    for (fig_id, net), cs in acc.items():
        ds = per_net[net][0].dataset
        for _, _, pts in cs:
            for p in pts:
                h = p[2] or 0.0
                lo, hi = ylim.get(ds, (1e9, -1e9))
                ylim[ds] = (min(lo, (p[1] - h) * 100), max(hi, (p[1] + h) * 100))
    ylim = {ds: ylim_pad(lo, hi, top=100.5) for ds, (lo, hi) in ylim.items()}

    cap_band = ("Line: mean over chips (and base networks); shaded: 95 % confidence interval of the mean "
                "(Student t). Rows with noise = gauss, detector = last (only the last layer retrained).")
    specs = [
        ("fig3_degraded", "Fig. 3 — accuracy of the degraded network (no retraining)", "deg",
         "test accuracy after degradation", cap_band),
        ("fig4_retrained", "Fig. 4 — accuracy after retraining the detector on the degraded features",
         "ret", "test accuracy after retraining", cap_band),
    ]
    for name, title, fig_id, ylabel, cap in specs:
        fig, axes = P.figure(1, len(nets), title, cap)
        for i, net in enumerate(nets):
            ax = axes[0][i]
            if net not in per_net:
                ax.set_title("%s %s" % (panel_letter(i), net))
                P.no_data(ax, "(no rows with net=%s,\nnoise=gauss, detector=last)" % net)
                continue
            for nfe, lab, pts in acc[(fig_id, net)]:
                P.curve(ax, pts, P.nfe_color[nfe], lab)
            ax.set_ylim(*ylim[per_net[net][0].dataset])
            ax.set_title("%s %s\n%s" % (panel_letter(i), net_title(net, per_net[net]), chips_text(per_net[net])))
            ax.set_xlabel("programming error α")
            P.percent_axis(ax, ylabel)
            ax.legend(loc="lower left")
        P.save(fig, name)

    # Fig. 5: paired differences.
    fig, axes = P.figure(1, len(nets), "Fig. 5 — improvement from retraining the detector "
                         "(retrained − degraded accuracy, paired per chip)",
                         "Line: mean over chips of the per-chip difference acc_retrained − acc_degraded, in "
                         "percentage points; shaded: 95 % confidence interval of the mean paired difference "
                         "(Student t). Rows with noise = gauss, detector = last.")
    lim5 = {}  # dataset -> (lo, hi): panels of the same dataset share the y range
    drawn = []
    for i, net in enumerate(nets):
        ax = axes[0][i]
        if net not in per_net:
            ax.set_title("%s %s" % (panel_letter(i), net))
            P.no_data(ax, "(no rows with net=%s,\nnoise=gauss, detector=last)" % net)
            continue
        rs = per_net[net]
        groups = by(rs, lambda r: (r.n_fe, r.n_d))
        multi_nd = len({k[0] for k in groups}) < len(groups)
        for (nfe, nd) in sorted(groups):
            lab = "N_FE = %d" % nfe + (", N_D = %d" % nd if multi_nd else "")
            pts = series(groups[(nfe, nd)], lambda r: r.alpha, lambda r: r.ret - r.deg)
            lo, hi = P.curve(ax, pts, P.nfe_color[nfe], lab)
            lo5, hi5 = lim5.get(rs[0].dataset, (0.0, 0.0))
            lim5[rs[0].dataset] = (min(lo5, lo), max(hi5, hi))
        ax.axhline(0.0, color="0.3", lw=0.9, zorder=1)
        ax.set_title("%s %s\n%s" % (panel_letter(i), net_title(net, rs), chips_text(rs)))
        ax.set_xlabel("programming error α")
        ax.set_ylabel("improvement (percentage points)")
        ax.legend(loc="upper left")
        drawn.append((ax, rs[0].dataset))
    for ax, ds in drawn:
        ax.set_ylim(*ylim_pad(*lim5[ds], minspan=0.5))
    P.save(fig, "fig5_improvement")


# -- figure 6: bits ------------------------------------------------------------------------------

def fig6_bits(P, rows, missing, notes):
    quant = [r for r in rows if r.bits is not None]
    q0 = [r for r in quant if r.alpha == 0.0 and r.detector == "last"]
    skipped = len(quant) - len(q0)
    if skipped:
        notes.append("fig6: %d quant:B rows with alpha > 0 or detector=new not shown (fig6 is alpha = 0, "
                     "detector = last)" % skipped)
    per_net = by(q0, lambda r: r.net)
    nets = PAPER_NETS + sorted(set(per_net) - set(PAPER_NETS))
    for i, net in enumerate(nets):
        if net not in per_net:
            extra = " --nfe 100" if net != "cnn" else ""
            missing.append("fig6 panel %s (%s): no rows with net=%s, noise=quant:B, alpha=0, detector=last — "
                           "run: nvmsim sweep --net %s%s --noise %s --alpha 0 --runs 10 --out results/%s_bits.csv"
                           % ("abcdefgh"[i], net, net, net, extra, BITS_ARG, net))
    if not per_net:
        missing.append("fig6 not written: no rows with noise=quant:B at alpha=0")
        return
    fig, axes = P.figure(1, len(nets), "Fig. 6 — feature extractor quantized to B bits (α = 0): "
                         "accuracy vs precision",
                         "Weights of each feature-extractor tensor rounded to 2^B levels over ±max|w|. "
                         "Solid: detector retrained; dotted: degraded (original detector); dashed: clean "
                         "network. Mean over chips; shaded: 95 % CI (Student t). detector = last.")
    L = P.Line2D
    lim, drawn = {}, []
    for i, net in enumerate(nets):
        ax = axes[0][i]
        if net not in per_net:
            ax.set_title("%s %s" % (panel_letter(i), net))
            P.no_data(ax, "(no rows with net=%s,\nnoise=quant:B, alpha=0)" % net)
            continue
        rs = per_net[net]
        groups = by(rs, lambda r: (r.n_fe, r.n_d))
        handles = []
        bmax = max(8, max(r.bits for r in rs))
        for (nfe, nd) in sorted(groups):
            g = groups[(nfe, nd)]
            c = P.nfe_color[nfe]
            l1, h1 = P.curve(ax, series(g, lambda r: r.bits, lambda r: r.ret), c, None, ls="-", marker="o")
            l2, h2 = P.curve(ax, series(g, lambda r: r.bits, lambda r: r.deg), c, None, ls=":", marker="s")
            cleans = {}
            for r in g:
                cleans[r.base] = r.clean
            clean = math.fsum(cleans.values()) / len(cleans) * 100
            ax.axhline(clean, color=c, ls="--", lw=1.1, alpha=0.9)
            lo, hi = lim.get(rs[0].dataset, (1e9, -1e9))
            lim[rs[0].dataset] = (min(lo, l1, l2, clean), max(hi, h1, h2, clean))
            handles.append(L([], [], color=c, lw=2.2, label="N_FE = %d" % nfe
                             + (", N_D = %d" % nd if len(groups) > len({k[0] for k in groups}) else "")))
        handles += [L([], [], color="0.3", ls="-", marker="o", label="retrained"),
                    L([], [], color="0.3", ls=":", marker="s", label="degraded"),
                    L([], [], color="0.3", ls="--", label="clean")]
        ax.legend(handles=handles, loc="lower right")
        ax.set_xticks(range(1, bmax + 1))
        ax.set_xlim(0.6, bmax + 0.4)
        ax.set_title("%s %s\n%s" % (panel_letter(i), net_title(net, rs), chips_text(rs)))
        ax.set_xlabel("feature-extractor weight precision B (bits)")
        P.percent_axis(ax)
        drawn.append((ax, rs[0].dataset))
    for ax, ds in drawn:  # panels of the same dataset share the y range
        ax.set_ylim(*ylim_pad(*lim[ds], top=100.5))
    P.save(fig, "fig6_bits")


# -- figure 7: detector ---------------------------------------------------------------------------

def fig7_detector(P, rows, missing):
    gauss = [r for r in rows if r.noise == "gauss"]
    new_keys = sorted({(r.net, r.n_fe) for r in gauss if r.detector == "new"},
                      key=lambda k: (PAPER_NETS.index(k[0]) if k[0] in PAPER_NETS else 99, k[0], k[1]))
    if not new_keys:
        missing.append("fig7 not written: no rows with detector=new, noise=gauss — run: nvmsim sweep --net mlp2 "
                       "--nfe 100 --detector new --nd 0,100 --alpha 0:1:0.05 --runs 10 --out results/mlp2_new.csv")
        return
    ncols = min(3, len(new_keys))
    nrows = (len(new_keys) + ncols - 1) // ncols
    fig, axes = P.figure(nrows, ncols, "Fig. 7 — retrained accuracy by detector: last layer retrained "
                         "vs a new detector with N_D hidden units",
                         "Retrained accuracy; grey dashed: degraded (no retraining). Line: mean over chips; "
                         "shaded: 95 % CI (Student t). 'last': the trained last layer retrained; 'new': a fresh "
                         "detector (N_D = 0: one softmax layer). noise = gauss.")
    flat = [ax for row in axes for ax in row]
    for ax in flat[len(new_keys):]:
        ax.set_visible(False)
    for i, (net, nfe) in enumerate(new_keys):
        ax = flat[i]
        rs = [r for r in gauss if r.net == net and r.n_fe == nfe]
        amax = max(r.alpha for r in rs if r.detector == "new")
        rs = [r for r in rs if r.alpha <= amax + 1e-12]
        groups = by(rs, lambda r: (r.detector, r.n_d))
        keys = sorted(groups, key=lambda k: (k[0] != "last", k[1]))
        news = [k for k in keys if k[0] == "new"]
        # degraded reference: the chips of one detector variant (degradation does not depend on it)
        ref = groups[news[0]]
        P.curve(ax, series(ref, lambda r: r.alpha, lambda r: r.deg), "0.55", "degraded (no retraining)",
                ls="--", marker=None, band=False, zorder=1.5)
        for k in keys:
            if k[0] == "last":
                color, lab = "black", "last layer retrained" + (" (N_D = %d)" % k[1] if k[1] else "")
            else:
                j = news.index(k)
                color = P.cmap_nd(0.1 + 0.65 * j / (len(news) - 1) if len(news) > 1 else 0.35)
                lab = "new detector, N_D = %d" % k[1] + (" (softmax only)" if k[1] == 0 else "")
            P.curve(ax, series(groups[k], lambda r: r.alpha, lambda r: r.ret), color, lab)
        ax.set_title("%s %s, N_FE = %d\n%s" % (panel_letter(i), net_title(net, rs), nfe, chips_text(rs)))
        ax.set_xlabel("programming error α")
        P.percent_axis(ax, "test accuracy after retraining")
        ax.legend(loc="lower left")
    P.save(fig, "fig7_detector")


# -- figure 8: extended alpha -----------------------------------------------------------------------

def fig8_extended(P, rows, missing):
    gl = [r for r in rows if r.noise == "gauss" and r.detector == "last"]
    ext = sorted({(r.net, r.n_fe) for r in gl if r.alpha > 1.0 + 1e-12})
    if not ext:
        missing.append("fig8 not written: no rows with alpha > 1 (noise=gauss, detector=last) — run: nvmsim sweep "
                       "--net mlp2 --nfe 20,100 --alpha 0:3:0.1 --runs 10 --out results/mlp2_ext.csv")
        return
    nets = sorted({k[0] for k in ext}, key=lambda n: (PAPER_NETS.index(n) if n in PAPER_NETS else 99, n))
    fig, axes = P.figure(len(nets), 2, "Fig. 8 — extended α range: degraded and retrained accuracy",
                         "Groups (net, N_FE) whose sweep goes beyond α = 1 (dotted line: the paper's range). "
                         "Line: mean over chips; shaded: 95 % CI (Student t). noise = gauss, detector = last.",
                         w=5.2)
    for i, net in enumerate(nets):
        rs = [r for r in gl if r.net == net and (net, r.n_fe) in ext]
        groups = by(rs, lambda r: (r.n_fe, r.n_d))
        multi_nd = len({k[0] for k in groups}) < len(groups)
        lo, hi = 1e9, -1e9
        for j, (value, what) in enumerate(((lambda r: r.deg, "degraded (no retraining)"),
                                           (lambda r: r.ret, "detector retrained"))):
            ax = axes[i][j]
            for (nfe, nd) in sorted(groups):
                lab = "N_FE = %d" % nfe + (", N_D = %d" % nd if multi_nd else "")
                l, h = P.curve(ax, series(groups[(nfe, nd)], lambda r: r.alpha, value), P.nfe_color[nfe], lab)
                lo, hi = min(lo, l), max(hi, h)
            ax.axvline(1.0, color="0.4", ls=":", lw=1.0)
            ax.set_title("%s %s: %s\n%s" % (panel_letter(2 * i + j), net_title(net, rs), what, chips_text(rs)))
            ax.set_xlabel("programming error α")
            P.percent_axis(ax)
            ax.legend(loc="lower left")
        for j in range(2):
            axes[i][j].set_ylim(*ylim_pad(lo, hi, top=100.5))
    P.save(fig, "fig8_extended_alpha")


# ---------------------------------------------------------------------------------------------

def main(argv):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Redraw the paper's figures (Fig. 3-8) from nvmsim sweep CSVs as PNG and PDF.",
        epilog="Rows are classified by their net/noise/detector/alpha columns, not by file name. "
               "Exit codes: 0 figures written, 1 nothing to plot, 2 bad command line, 3 bad input file, "
               "4 matplotlib missing or write error.")
    ap.add_argument("--out", default=os.path.join("results", "paper", "figures"), metavar="DIR",
                    help="output folder [results/paper/figures]")
    ap.add_argument("csv", nargs="*", metavar="CSV", help="sweep CSV files written by nvmsim sweep")
    args = ap.parse_args(argv)
    if not args.csv:
        ap.print_usage(sys.stderr)
        return fail(2, "no CSV files given")

    rows, seen, dups = [], set(), 0
    try:
        for path in args.csv:
            if not os.path.exists(path):
                raise InputError("%s: no such file" % path)
            rs = read_csv(path)
            if not rs:
                print("note: %s has no data rows" % path)
            for r in rs:
                k = row_key(r)
                if k in seen:
                    dups += 1
                    continue
                seen.add(k)
                rows.append(r)
    except InputError as e:
        return fail(3, str(e))
    if dups:
        print("note: %d duplicate rows (identical in several CSVs) counted once" % dups)
    others = sorted({r.noise for r in rows if r.noise != "gauss" and r.bits is None})
    for nz in others:
        print("note: %d rows with noise=%s are not plotted (no figure for that noise model)"
              % (sum(1 for r in rows if r.noise == nz), nz))

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return fail(4, "matplotlib is not installed for %s (Debian: apt-get install python3-matplotlib)"
                    % sys.executable)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        return fail(4, "%s: cannot create folder: %s" % (args.out, e.strerror or e))

    P = Plotter(args.out, rows)
    missing, notes = [], []
    figs_345(P, rows, missing)
    fig6_bits(P, rows, missing, notes)
    fig7_detector(P, rows, missing)
    fig8_extended(P, rows, missing)
    for line in notes:
        print("note: " + line)
    for line in missing:
        print("missing: " + line)
    if P.written == 0:
        return fail(1, "no figure written: nothing to plot in %s" % " ".join(args.csv))
    return 0


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `... | head` ends quietly
    sys.exit(main(sys.argv[1:]))
