#!/usr/bin/env python3
"""Redraw the figures of Mohammadirad & Sojodishijani (2020) from nvmsim sweep CSVs.

Usage: scripts/plot_figures.py [--out DIR] [--list] [--figures fig3,...,fig8] CSV...

Reads any number of `nvmsim sweep` CSVs (any file names: rows are classified by their columns) and
writes, as PNG and PDF into DIR (default results/paper/figures/):

  fig3_degraded        acc_degraded vs alpha (0..1), one curve per N_FE; one panel per (net, dataset)
  fig4_retrained       acc_retrained vs alpha, the same panels               } rows: noise=gauss,
  fig5_improvement     acc_retrained - acc_degraded (paired per chip) vs alpha }      detector=last
  fig6_bits            noise=quant:B at alpha=0 (detector=last): degraded and retrained accuracy vs
                       B, clean accuracy dashed; one panel per (net, dataset)
  fig7_detector        noise=gauss: retrained accuracy vs alpha, one curve per (detector, n_d); one
                       panel per (net, dataset, N_FE) that has detector=new rows. Every curve of a
                       panel is over the same chips: the 'last' rows are restricted to the
                       (base, chip) pairs and alpha values of the 'new' rows (a sweep with the same
                       seed draws the same eps for the same chip; the script checks that the
                       degraded accuracies of the matched chips agree and says so if they do not)
  fig8_extended_alpha  noise=gauss, detector=last, groups with alpha > 1: degraded and retrained vs
                       alpha over the whole range. Each curve comes from the one sweep file that has
                       its alpha > 1 rows, and from one set of chips over its whole alpha range (no
                       joining of, say, 100-chip means below alpha = 1 to 20-chip means above it)

What is never merged: rows of different data sets (the `dataset` column, any name: mnist, cifar10,
fashion-mnist, a folder name ...) are never drawn in one panel; the panels are per (net, dataset).
A curve is one group (dataset, net, n_fe, detector, n_d, noise). When several CSVs give rows of the
same group, a file whose rows of that group all also occur (identically) in another file is
redundant and counted once; otherwise the files are drawn as separate curves labelled by file name
(and a note says so), never averaged together. Each panel's title states exactly how many chips and
base networks each point averages (e.g. "mean of 100 chips (base 0, chips 0-99)"); when curves of a
panel differ, each legend entry carries its own count. One line per panel (with --list: per curve)
on stdout says what was drawn from which file.

Every curve is the mean over the (base, chip) samples at each point, with a shaded 95 % confidence
band of that mean: mean +- t(0.975, n-1) * sd / sqrt(n), sd the sample standard deviation of the n
per-(base, chip) values (fig5: of the paired per-chip differences), t the exact Student-t 0.975
quantile (scripts/nvmstats.py). A point with a single sample has no band.

For every figure or panel that cannot be drawn one line says what is missing and which sweep makes
it; the other figures are still drawn, an empty panel carries a "no data" note.

Exit codes: 0 at least one figure written; 1 no figure could be drawn (nothing to plot);
2 bad command line; 3 bad input file (missing, unreadable, malformed header or value: one line on
stderr naming the file and line); 4 matplotlib missing (one line on stderr naming this interpreter
and, if there is one, an interpreter that has matplotlib: /usr/bin/python3 or python3 on PATH) or
an output file could not be written.

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nvmstats import t_quantile  # noqa: E402  (exact Student-t quantiles, shared by the summaries)

PROG = "plot_figures.py"
HEADER = ["net", "dataset", "n_fe", "n_d", "detector", "noise", "alpha", "base", "chip",
          "acc_clean", "acc_degraded", "acc_retrained"]

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
    return t_quantile(0.975, df)


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
                 "chip", "clean", "deg", "ret", "src")


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


# Values of the device columns under which a row is the paper's ideal device.
DEVICE_DEFAULTS = {"time": ("0",), "faults": ("0",), "read": ("0",), "adc": ("0",), "dac": ("0",),
                   "analog": ("fe",)}


def parse_row(f):
    r = Row()
    r.net, r.dataset = f[0], f[1]
    if not r.net or not r.dataset:
        raise ValueError("empty net or dataset")
    r.n_fe = _int(f[2], "n_fe", 1)
    r.n_d = _int(f[3], "n_d", 0)
    r.detector = f[4]
    if r.detector not in ("last", "new", "progressive"):
        raise ValueError("detector %r is neither last, new nor progressive" % r.detector)
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
    dev = {}
    skipped_device = skipped_progressive = 0
    try:
        for fields in reader:
            line = reader.line_num
            if line == 1:
                if fields[:len(HEADER)] != HEADER:
                    got = ",".join(fields)
                    raise InputError("%s:1: not an nvmsim sweep CSV: header must start with %s, got %.80r"
                                     % (path, ",".join(HEADER), got))
                ncols = len(fields)
                # Device columns (nvmsim 0.2): the paper's figures take the ideal-device rows only.
                dev = {name: i for i, name in enumerate(fields) if name in DEVICE_DEFAULTS}
                continue
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line
            if len(fields) != ncols:
                raise InputError("%s:%d: %d fields, the header has %d" % (path, line, len(fields), ncols))
            try:
                r = parse_row(fields)
            except ValueError as e:
                raise InputError("%s:%d: %s" % (path, line, e))
            if r.detector == "progressive":
                skipped_progressive += 1  # not the paper's remedy: no figure of it
            elif all(fields[i] in DEVICE_DEFAULTS[name] for name, i in dev.items()):
                rows.append(r)
            else:
                skipped_device += 1
    except csv.Error as e:
        raise InputError("%s:%d: %s" % (path, reader.line_num, e))
    if skipped_progressive:
        print("note: %s: %d rows of --detector progressive left out: figs 3-8 are of the paper's remedies "
              "(the detector retrained, or a new one)" % (path, skipped_progressive))
    if skipped_device:
        print("note: %s: %d rows with a device model in use (time, faults, read noise, converters, analog "
              "detector) left out: figs 3-8 are of the ideal device" % (path, skipped_device))
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


def int_ranges(nums):
    """[0, 1, 2, 5, 7, 8] -> '0–2, 5, 7–8'."""
    nums = sorted(set(nums))
    parts, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append("%d" % nums[i] if i == j else "%d%s%d" % (nums[i], "–" if j > i + 1 else ", ", nums[j]))
        i = j + 1
    return ", ".join(parts)


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


class Samples:
    """Which (base, chip) samples the points of one curve average, stated exactly."""

    def __init__(self, rows, xkey):
        pts = {}
        for r in rows:
            pts.setdefault(xkey(r), set()).add((r.base, r.chip))
        sets = list(pts.values())
        self.union = set().union(*sets) if sets else set()
        self.ns = [len(s) for s in sets]
        self.uniform = all(s == sets[0] for s in sets)
        self.bases = sorted({b for b, _ in self.union})

    def short(self):
        """'100 chips', '3 × 10 chips' (bases × chips) or '20–100 chips per point'."""
        lo, hi = min(self.ns), max(self.ns)
        if lo != hi:
            return "%d–%d chips per point" % (lo, hi)
        if len(self.bases) > 1:
            return "%d samples" % lo
        return plural(lo, "chip")

    def full(self):
        """'100 chips (base 0, chips 0–99)', '30 samples: 3 base networks (0–2) × chips 0–9', ..."""
        by_base = {}
        for b, c in self.union:
            by_base.setdefault(b, set()).add(c)
        if not self.uniform:
            lo, hi = min(self.ns), max(self.ns)
            return ("%d–%d chips per point (not the same chips at every point; %d (base, chip) pairs in all, "
                    "%s)" % (lo, hi, len(self.union), plural(len(self.bases), "base network")))
        n = self.ns[0]
        if len(self.bases) == 1:
            chips = by_base[self.bases[0]]
            return "%s (base %d, chip%s %s)" % (plural(n, "chip"), self.bases[0], "" if len(chips) == 1 else "s",
                                               int_ranges(chips))
        chipsets = list(by_base.values())
        if all(s == chipsets[0] for s in chipsets):
            return "%d samples: %d base networks (%s) × %s (%s)" % (
                n, len(self.bases), int_ranges(self.bases), plural(len(chipsets[0]), "chip"),
                int_ranges(chipsets[0]))
        return "%d (base, chip) samples from %d base networks (%s)" % (n, len(self.bases), int_ranges(self.bases))


def pick_sources(rows, files, what, notes):
    """Split the rows of one curve group by the file they came from.

    A file whose rows of this group all also occur in another file adds nothing and is dropped
    (counted once); the remaining files are returned separately, never merged: [(src or None, rows)],
    src None when a single file remains."""
    by_src = by(rows, lambda r: r.src)
    if len(by_src) == 1:
        return [(None, rows)]
    keys = {s: {row_key(r) for r in rs} for s, rs in by_src.items()}
    keep = [s for s in sorted(by_src)
            if not any(t != s and keys[s] <= keys[t] and (keys[s] != keys[t] or t < s) for t in by_src)]
    for s in sorted(set(by_src) - set(keep)):
        sup = [t for t in keep if keys[s] <= keys[t]] or [t for t in sorted(by_src) if t != s and keys[s] <= keys[t]]
        notes.append("%s: the rows of %s are all also in %s, counted once" % (what, files[s], files[sup[0]]))
    if len(keep) == 1:
        return [(None, by_src[keep[0]])]
    notes.append("%s: %d files give different rows of the same group, drawn as separate curves and not merged "
                 "(%s)" % (what, len(keep), "; ".join("%s: %d rows" % (files[s], len(by_src[s])) for s in keep)))
    return [(s, by_src[s]) for s in keep]


DATASET_ORDER = {"mnist": 0, "cifar10": 1}
NET_DATASET = {"mlp2": "mnist", "mlp3": "mnist", "cnn": "cifar10"}


def panel_order(key):
    """(net, dataset, ...) -> sort key: the paper's (net, data set) pairs first, then the others."""
    net, ds = key[0], key[1]
    paper = 0 if net in PAPER_NETS and NET_DATASET[net] == ds else 1
    return (paper, PAPER_NETS.index(net) if net in PAPER_NETS else 99, net, DATASET_ORDER.get(ds, 9), ds) + tuple(key[2:])


def ds_name(ds):
    return DATASET_NAME.get(ds, ds)


def panel_name(net, ds):
    desc = NET_DESC.get(net)
    return "%s — %s%s" % (net, ds_name(ds), (", " + desc) if desc else "")


class Curve:
    """One drawn curve: a group's rows from one file (or from one file after dropping redundant ones)."""

    def __init__(self, label, rows, src, files, xkey, color, style="-"):
        self.label, self.rows, self.src, self.color, self.style = label, rows, src, color, style
        self.samples = Samples(rows, xkey)
        self.files = sorted({files[r.src] for r in rows})


def file_styles(curves):
    """Distinct line styles for curves of the same colour that come from different files."""
    styles = ["-", "--", "-.", ":"]
    seen = {}
    for c in curves:
        if c.src is not None:
            k = seen.setdefault(c.color, [])
            c.style = styles[len(k) % len(styles)]
            k.append(c)


def panel_counts(curves, report, fig, letter, title):
    """Panel title line stating the sample counts; legend labels carry counts when curves differ."""
    fulls = sorted({c.samples.full() for c in curves})
    if len(fulls) == 1:
        line = "mean of " + fulls[0]
    else:
        line = "chip counts differ between curves (see legend)"
        for c in curves:
            c.label += " — " + c.samples.short()
    files = sorted({f for c in curves for f in c.files})
    report.append("panel %s %s %s: %s; %s; from %s" % (fig, letter, title, plural(len(curves), "curve"),
                                                         line, ", ".join(files)))
    for c in curves:
        report.append("  curve %s %s %s | %s | %s | %s" % (fig, letter, title, c.label, c.samples.full(),
                                                           ", ".join(c.files)))
    return line
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

def wrap_title(ax, lines, width_in):
    """Panel title, each line wrapped to the panel's width (about 10.5 characters of 10.5 pt per inch)."""
    n = max(20, int(width_in * 10.5))
    ax.set_title("\n".join(textwrap.fill(line, n) for line in lines))


def nfe_curves(P, rows, files, xkey, what, notes, nd_shown):
    """Curves per (n_fe, n_d) of one panel's rows (one detector, one noise family), split by file."""
    curves = []
    groups = by(rows, lambda r: (r.n_fe, r.n_d))
    for (nfe, nd) in sorted(groups):
        lab = "N_FE = %d" % nfe + (", N_D = %d" % nd if nd_shown(nfe, groups) else "")
        for src, rs in pick_sources(groups[(nfe, nd)], files, "%s, N_FE = %d, N_D = %d" % (what, nfe, nd), notes):
            curves.append(Curve(lab + ("" if src is None else " [%s]" % files[src]), rs, src, files, xkey,
                                P.nfe_color[nfe]))
    file_styles(curves)
    return curves


def multi_nd(nfe, groups):
    return len({k[1] for k in groups if k[0] == nfe}) > 1


def paper_panels(keys, fig_ids, missing, need):
    """The paper's three (net, dataset) panels first (as 'no data' when absent), then the others."""
    present = set(keys)
    out = [(net, NET_DATASET[net]) for net in PAPER_NETS]
    out += sorted(present - set(out), key=panel_order)
    for i, (net, ds) in enumerate(out):
        if (net, ds) not in present:
            missing.append("%s panel %s (%s, %s): no rows with net=%s, dataset=%s, %s — run: %s"
                           % (fig_ids, "abcdefghijklmnopqrstuvwxyz"[i % 26], net, ds, net, ds, need,
                              SWEEP_HINT.get(net, "nvmsim sweep --net " + net)))
    return out


def foreign_notes(keys, notes, what):
    for net, ds in sorted(keys, key=panel_order):
        if net in NET_DATASET and NET_DATASET[net] != ds:
            notes.append("%s: rows of net=%s with dataset=%s are drawn in their own panel, not in the %s %s one"
                         % (what, net, ds, net, ds_name(NET_DATASET[net])))


def figs_345(P, rows, files, missing, notes, report, want):
    base = [r for r in rows if r.noise == "gauss" and r.detector == "last" and r.alpha <= 1.0 + 1e-12]
    per_panel = by(base, lambda r: (r.net, r.dataset))
    panels = paper_panels(per_panel, "fig3/fig4/fig5", missing, "noise=gauss, detector=last, alpha<=1")
    if not per_panel:
        missing.append("fig3/fig4/fig5 not written: no rows with noise=gauss, detector=last")
        return
    foreign_notes(per_panel, notes, "fig3/fig4/fig5")
    ncols = len(panels)
    pw = max(4.5 * ncols + 0.4, 9.0) / ncols

    specs = [
        ("fig3_degraded", "Fig. 3 — accuracy of the degraded network (no retraining)", lambda r: r.deg,
         "test accuracy after degradation"),
        ("fig4_retrained", "Fig. 4 — accuracy after retraining the detector on the degraded features",
         lambda r: r.ret, "test accuracy after retraining"),
        ("fig5_improvement", "Fig. 5 — improvement from retraining the detector "
         "(retrained − degraded accuracy, paired per chip)", lambda r: r.ret - r.deg,
         "improvement (percentage points)"),
    ]
    cap_band = ("Line: mean over chips (and base networks) at each α, the count in each panel's title; shaded: "
                "95 % confidence interval of the mean (Student t). Rows with noise = gauss, detector = last "
                "(only the last layer retrained). One panel per (network, data set); files giving different "
                "rows of one curve are drawn apart, labelled [file].")
    cap5 = ("Line: mean over chips of the per-chip difference acc_retrained − acc_degraded, in percentage "
            "points; shaded: 95 % confidence interval of the mean paired difference (Student t). Rows with "
            "noise = gauss, detector = last. One panel per (network, data set).")
    drawn = {}
    for name, title, value, ylabel in specs:
        if name[:4] not in want:
            continue
        fig, axes = P.figure(1, ncols, title, cap5 if name == "fig5_improvement" else cap_band)
        lims = {}
        for i, (net, ds) in enumerate(panels):
            ax = axes[0][i]
            letter = panel_letter(i)
            if (net, ds) not in per_panel:
                wrap_title(ax, ["%s %s — %s" % (letter, net, ds_name(ds))], pw)
                P.no_data(ax, "(no rows with net=%s, dataset=%s,\nnoise=gauss, detector=last)" % (net, ds))
                continue
            if (net, ds) not in drawn:
                drawn[(net, ds)] = nfe_curves(P, per_panel[(net, ds)], files, lambda r: r.alpha,
                                              "fig3-5 %s/%s" % (net, ds), notes, multi_nd)
            curves = [Curve(c.label, c.rows, c.src, files, lambda r: r.alpha, c.color, c.style)
                      for c in drawn[(net, ds)]]
            line = panel_counts(curves, report, name, letter, "%s/%s" % (net, ds))
            lo, hi = 1e9, -1e9
            for c in curves:
                l, h = P.curve(ax, series(c.rows, lambda r: r.alpha, value), c.color, c.label, ls=c.style)
                lo, hi = min(lo, l), max(hi, h)
            old = lims.get(ds, (1e9, -1e9, []))
            lims[ds] = (min(old[0], lo), max(old[1], hi), old[2] + [ax])
            wrap_title(ax, ["%s %s" % (letter, panel_name(net, ds)), line], pw)
            ax.set_xlabel("programming error α")
            if name == "fig5_improvement":
                ax.axhline(0.0, color="0.3", lw=0.9, zorder=1)
                ax.set_ylabel(ylabel)
                ax.legend(loc="upper left")
            else:
                P.percent_axis(ax, ylabel)
                ax.legend(loc="lower left")
        for ds, (lo, hi, axs) in lims.items():   # panels of the same data set share the y range
            for ax in axs:
                if name == "fig5_improvement":
                    ax.set_ylim(*ylim_pad(min(lo, 0.0), max(hi, 0.0), minspan=0.5))
                else:
                    ax.set_ylim(*ylim_pad(lo, hi, top=100.5))
        P.save(fig, name)


# -- figure 6: bits ------------------------------------------------------------------------------

def fig6_bits(P, rows, files, missing, notes, report):
    quant = [r for r in rows if r.bits is not None]
    q0 = [r for r in quant if r.alpha == 0.0 and r.detector == "last"]
    skipped = len(quant) - len(q0)
    if skipped:
        notes.append("fig6: %d quant:B rows with alpha > 0 or detector=new not shown (fig6 is alpha = 0, "
                     "detector = last)" % skipped)
    per_panel = by(q0, lambda r: (r.net, r.dataset))
    panels = [(net, NET_DATASET[net]) for net in PAPER_NETS]
    panels += sorted(set(per_panel) - set(panels), key=panel_order)
    for i, (net, ds) in enumerate(panels):
        if (net, ds) not in per_panel:
            extra = " --nfe 100" if net != "cnn" else ""
            missing.append("fig6 panel %s (%s, %s): no rows with net=%s, dataset=%s, noise=quant:B, alpha=0, "
                           "detector=last — run: nvmsim sweep --net %s%s --noise %s --alpha 0 --runs 10 --out "
                           "results/%s_bits.csv" % ("abcdefgh"[i % 8], net, ds, net, ds, net, extra, BITS_ARG, net))
    if not per_panel:
        missing.append("fig6 not written: no rows with noise=quant:B at alpha=0")
        return
    foreign_notes(per_panel, notes, "fig6")
    ncols = len(panels)
    pw = max(4.5 * ncols + 0.4, 9.0) / ncols
    fig, axes = P.figure(1, ncols, "Fig. 6 — feature extractor quantized to B bits (α = 0): "
                         "accuracy vs precision",
                         "Weights of each feature-extractor tensor rounded to 2^B levels over ±max|w|. "
                         "Solid: detector retrained; dotted: degraded (original detector); dashed: clean "
                         "network. Mean over chips (count in each panel's title); shaded: 95 % CI (Student t). "
                         "detector = last. One panel per (network, data set).")
    L = P.Line2D
    lim, drawn = {}, []
    for i, (net, ds) in enumerate(panels):
        ax = axes[0][i]
        letter = panel_letter(i)
        if (net, ds) not in per_panel:
            wrap_title(ax, ["%s %s — %s" % (letter, net, ds_name(ds))], pw)
            P.no_data(ax, "(no rows with net=%s, dataset=%s,\nnoise=quant:B, alpha=0)" % (net, ds))
            continue
        rs = per_panel[(net, ds)]
        curves = nfe_curves(P, rs, files, lambda r: r.bits, "fig6 %s/%s" % (net, ds), notes, multi_nd)
        line = panel_counts(curves, report, "fig6_bits", letter, "%s/%s" % (net, ds))
        handles = []
        bmax = max(8, max(r.bits for r in rs))
        for c in curves:
            l1, h1 = P.curve(ax, series(c.rows, lambda r: r.bits, lambda r: r.ret), c.color, None, ls="-",
                             marker="o")
            l2, h2 = P.curve(ax, series(c.rows, lambda r: r.bits, lambda r: r.deg), c.color, None, ls=":",
                             marker="s")
            cleans = {}
            for r in c.rows:
                cleans[r.base] = r.clean
            clean = math.fsum(cleans.values()) / len(cleans) * 100
            ax.axhline(clean, color=c.color, ls="--", lw=1.1, alpha=0.9)
            lo, hi = lim.get(ds, (1e9, -1e9))
            lim[ds] = (min(lo, l1, l2, clean), max(hi, h1, h2, clean))
            handles.append(L([], [], color=c.color, lw=2.2, label=c.label))
        handles += [L([], [], color="0.3", ls="-", marker="o", label="retrained"),
                    L([], [], color="0.3", ls=":", marker="s", label="degraded"),
                    L([], [], color="0.3", ls="--", label="clean")]
        ax.legend(handles=handles, loc="lower right")
        ax.set_xticks(range(1, bmax + 1))
        ax.set_xlim(0.6, bmax + 0.4)
        wrap_title(ax, ["%s %s" % (letter, panel_name(net, ds)), line], pw)
        ax.set_xlabel("feature-extractor weight precision B (bits)")
        P.percent_axis(ax)
        drawn.append((ax, ds))
    for ax, ds in drawn:  # panels of the same dataset share the y range
        ax.set_ylim(*ylim_pad(*lim[ds], top=100.5))
    P.save(fig, "fig6_bits")


# -- figure 7: detector ---------------------------------------------------------------------------

def fig7_detector(P, rows, files, missing, notes, report):
    gauss = [r for r in rows if r.noise == "gauss"]
    new_keys = sorted({(r.net, r.dataset, r.n_fe) for r in gauss if r.detector == "new"}, key=panel_order)
    if not new_keys:
        missing.append("fig7 not written: no rows with detector=new, noise=gauss — run: nvmsim sweep --net mlp2 "
                       "--nfe 100 --detector new --nd 0,100 --alpha 0:1:0.05 --runs 10 --out results/mlp2_new.csv")
        return
    ncols = 2 if len(new_keys) in (2, 4) else min(3, len(new_keys))
    nrows = (len(new_keys) + ncols - 1) // ncols
    w = 5.4
    pw = max(w * ncols + 0.4, 9.0) / ncols
    matched_txt = []
    flat_panels = []
    for net, ds, nfe in new_keys:
        what = "fig7 %s/%s N_FE = %d" % (net, ds, nfe)
        rs = [r for r in gauss if r.net == net and r.dataset == ds and r.n_fe == nfe]
        new_groups = by([r for r in rs if r.detector == "new"], lambda r: r.n_d)
        new_parts = []   # (n_d, src, rows)
        for nd in sorted(new_groups):
            for src, g in pick_sources(new_groups[nd], files, "%s, new N_D = %d" % (what, nd), notes):
                new_parts.append((nd, src, g))
        # The chips every 'new' curve has at every alpha: the 'last' rows are cut down to them.
        alphas = sorted({r.alpha for _, _, g in new_parts for r in g})
        chips = None
        for _, _, g in new_parts:
            for a, pts in by(g, lambda r: r.alpha).items():
                s = {(r.base, r.chip) for r in pts}
                chips = s if chips is None else chips & s
        aset = set(alphas)
        last_all = [r for r in rs if r.detector == "last"]
        last = [r for r in last_all if r.alpha in aset and (r.base, r.chip) in chips]
        last_parts = []
        for nd, g in sorted(by(last, lambda r: r.n_d).items()):
            for src, gg in pick_sources(g, files, "%s, last N_D = %d" % (what, nd), notes):
                last_parts.append((nd, src, gg))
        # Chips missing from some 'last' point: cut every curve to the chips all of them have.
        cut = set(chips)
        for _, _, g in last_parts:
            for a in alphas:
                cut &= {(r.base, r.chip) for r in g if r.alpha == a}
        if last_parts and not cut:
            notes.append("%s: no 'last' rows of the 'new' sweep's chips at all of its alpha values: "
                         "'last' not drawn" % what)
            last_parts = []
        if last_parts:
            chips = cut
            new_parts = [(nd, src, [r for r in g if (r.base, r.chip) in chips]) for nd, src, g in new_parts]
            last_parts = [(nd, src, [r for r in g if (r.base, r.chip) in chips]) for nd, src, g in last_parts]
        dropped = len(last_all) - sum(len(g) for _, _, g in last_parts)
        # Same chips means the same eps: the degraded accuracy of a (base, chip, alpha) does not depend on
        # the detector, so it must agree between the 'last' and 'new' rows.
        deg_new = {(r.base, r.chip, r.alpha): r.deg for _, _, g in new_parts for r in g}
        mism = sum(1 for _, _, g in last_parts for r in g
                   if (r.base, r.chip, r.alpha) in deg_new and deg_new[(r.base, r.chip, r.alpha)] != r.deg)
        if mism:
            notes.append("%s: %d matched (base, chip, alpha) rows have different acc_degraded in the 'last' and "
                         "'new' sweeps: not the same eps draws (different seed or data?)" % (what, mism))
        if last_parts:
            notes.append("%s: 'last' rows restricted to the %d (base, chip) pairs and %d alpha values of the 'new' "
                         "rows (%d other 'last' rows not shown)%s" % (what, len(chips), len(alphas), dropped,
                                                                       "" if mism else "; degraded accuracies agree"))
        matched_txt.append(bool(last_parts) and not mism)
        flat_panels.append((net, ds, nfe, new_parts, last_parts, mism))

    anymis = any(p[5] for p in flat_panels)
    caption = ("Retrained accuracy; grey dashed: degraded (no retraining). Line: mean over chips; shaded: 95 % CI "
               "(Student t). 'last': the trained last layer retrained; 'new': a fresh detector (N_D = 0: one "
               "softmax layer). noise = gauss. Matched chips: in each panel every curve averages the same chips "
               "(count in the title) — the 'last' rows are restricted to the chips and α values of the 'new' "
               "sweep" + (" (same seed, so the same ε draws: their degraded accuracies agree)." if not anymis else
                          "; WARNING: in some panel their degraded accuracies differ, so these are not the same "
                          "ε draws (see the notes printed)."))
    fig, axes = P.figure(nrows, ncols, "Fig. 7 — retrained accuracy: last layer retrained vs a new "
                         "detector with N_D hidden units", caption, w=w)
    flat = [ax for row in axes for ax in row]
    for ax in flat[len(flat_panels):]:
        ax.set_visible(False)
    for i, (net, ds, nfe, new_parts, last_parts, mism) in enumerate(flat_panels):
        ax = flat[i]
        letter = panel_letter(i)
        curves = []
        for nd, src, g in last_parts:
            lab = "last layer retrained" + (" (N_D = %d)" % nd if nd else "")
            curves.append(Curve(lab + ("" if src is None else " [%s]" % files[src]), g, src, files,
                                lambda r: r.alpha, "black"))
        for j, (nd, src, g) in enumerate(new_parts):
            color = P.cmap_nd(0.1 + 0.65 * j / (len(new_parts) - 1) if len(new_parts) > 1 else 0.35)
            lab = "new detector, N_D = %d" % nd + (" (softmax only)" if nd == 0 else "")
            curves.append(Curve(lab + ("" if src is None else " [%s]" % files[src]), g, src, files,
                                lambda r: r.alpha, color))
        line = panel_counts(curves, report, "fig7_detector", letter, "%s/%s N_FE=%d" % (net, ds, nfe))
        if last_parts and not mism and line.startswith("mean of "):
            line = "every curve: mean of the same " + line[len("mean of "):]
        elif last_parts and mism:
            line += " — 'last' and 'new' NOT the same ε draws"
        # degraded reference: the chips of one detector variant (degradation does not depend on it)
        ref = new_parts[0][2]
        P.curve(ax, series(ref, lambda r: r.alpha, lambda r: r.deg), "0.55", "degraded (no retraining)",
                ls="--", marker=None, band=False, zorder=1.5)
        for c in curves:
            P.curve(ax, series(c.rows, lambda r: r.alpha, lambda r: r.ret), c.color, c.label, ls=c.style)
        wrap_title(ax, ["%s %s, N_FE = %d" % (letter, panel_name(net, ds), nfe), line], pw)
        ax.set_xlabel("programming error α")
        P.percent_axis(ax, "test accuracy after retraining")
        ax.legend(loc="lower left")
    P.save(fig, "fig7_detector")


# -- figure 8: extended alpha -----------------------------------------------------------------------

def fig8_extended(P, rows, files, missing, notes, report):
    gl = [r for r in rows if r.noise == "gauss" and r.detector == "last"]
    ext = {(r.net, r.dataset, r.n_fe, r.n_d, r.src) for r in gl if r.alpha > 1.0 + 1e-12}
    if not ext:
        missing.append("fig8 not written: no rows with alpha > 1 (noise=gauss, detector=last) — run: nvmsim sweep "
                       "--net mlp2 --nfe 20,100 --alpha 0:3:0.1 --runs 10 --out results/mlp2_ext.csv")
        return
    panels = sorted({k[:2] for k in ext}, key=panel_order)
    w = 5.2
    fig, axes = P.figure(len(panels), 2, "Fig. 8 — extended α range: degraded and retrained accuracy",
                         "Groups (network, data set, N_FE) whose sweep goes beyond α = 1 (dotted line: the paper's "
                         "range). Each curve is drawn from the one sweep file that has its α > 1 rows, over one set "
                         "of chips for the whole α range (count in each panel's title): means over different chips "
                         "are not joined at α = 1. Line: mean over chips; shaded: 95 % CI (Student t). noise = gauss, "
                         "detector = last.", w=w)
    pw = max(w * 2 + 0.4, 9.0) / 2
    for i, (net, ds) in enumerate(panels):
        curves = []
        srcs_of = {}
        for (n_, d_, nfe, nd, src) in ext:
            if (n_, d_) == (net, ds):
                srcs_of.setdefault((nfe, nd), []).append(src)
        groups = {k: None for k in srcs_of}
        for (nfe, nd) in sorted(srcs_of):
            srcs = sorted(srcs_of[(nfe, nd)])
            lab = "N_FE = %d" % nfe + (", N_D = %d" % nd if len({k[1] for k in groups if k[0] == nfe}) > 1 else "")
            what = "fig8 %s/%s N_FE = %d, N_D = %d" % (net, ds, nfe, nd)
            others = sorted({r.src for r in gl if (r.net, r.dataset, r.n_fe, r.n_d) == (net, ds, nfe, nd)} - set(srcs))
            if others:
                notes.append("%s: drawn from %s only (the file with its alpha > 1 rows); rows of %s not used"
                             % (what, " / ".join(files[s] for s in srcs), ", ".join(files[s] for s in others)))
            if len(srcs) > 1:
                notes.append("%s: %d files have alpha > 1 rows, drawn as separate curves (%s)"
                             % (what, len(srcs), ", ".join(files[s] for s in srcs)))
            for src in srcs:
                g = [r for r in gl if (r.net, r.dataset, r.n_fe, r.n_d, r.src) == (net, ds, nfe, nd, src)]
                # one set of chips over the whole range: the (base, chip) pairs present at every alpha
                pts = by(g, lambda r: r.alpha)
                common = set.intersection(*({(r.base, r.chip) for r in p} for p in pts.values()))
                g2 = [r for r in g if (r.base, r.chip) in common]
                if len(g2) != len(g):
                    notes.append("%s [%s]: %d rows of chips not present at every alpha left out (one set of chips "
                                 "per curve)" % (what, files[src], len(g) - len(g2)))
                curves.append(Curve(lab + ("" if len(srcs) == 1 else " [%s]" % files[src]), g2,
                                    src if len(srcs) > 1 else None, files, lambda r: r.alpha, P.nfe_color[nfe]))
        file_styles(curves)
        line = panel_counts(curves, report, "fig8_extended_alpha", panel_letter(2 * i) + panel_letter(2 * i + 1),
                            "%s/%s" % (net, ds))
        lo, hi = 1e9, -1e9
        for j, (value, what) in enumerate(((lambda r: r.deg, "degraded (no retraining)"),
                                           (lambda r: r.ret, "detector retrained"))):
            ax = axes[i][j]
            for c in curves:
                l, h = P.curve(ax, series(c.rows, lambda r: r.alpha, value), c.color, c.label, ls=c.style)
                lo, hi = min(lo, l), max(hi, h)
            ax.axvline(1.0, color="0.4", ls=":", lw=1.0)
            wrap_title(ax, ["%s %s" % (panel_letter(2 * i + j), panel_name(net, ds)), what, line], pw)
            ax.set_xlabel("programming error α")
            P.percent_axis(ax)
            ax.legend(loc="lower left")
        for j in range(2):
            axes[i][j].set_ylim(*ylim_pad(lo, hi, top=100.5))
    P.save(fig, "fig8_extended_alpha")


# ---------------------------------------------------------------------------------------------

def matplotlib_elsewhere():
    """The first of /usr/bin/python3, python3 and python on PATH (not this interpreter run the same
    way) that can import matplotlib, or None."""
    import shutil
    import subprocess
    me = os.path.realpath(sys.executable) if sys.executable else ""
    seen = set()
    for cand in ("/usr/bin/python3", shutil.which("python3"), shutil.which("python")):
        if not cand or not os.path.exists(cand):
            continue
        real = os.path.realpath(cand)
        if real in seen:
            continue
        seen.add(real)
        if real == me and not sys.flags.no_site and not sys.flags.isolated:
            continue   # it is this interpreter, which just failed
        try:
            ok = subprocess.run([cand, "-c", "import matplotlib"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            return cand
    return None


def main(argv):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Redraw the paper's figures (Fig. 3-8) from nvmsim sweep CSVs as PNG and PDF.",
        epilog="Rows are classified by their columns, not by file name; rows of different data sets, "
               "networks or files are never merged into one curve. "
               "Exit codes: 0 figures written, 1 nothing to plot, 2 bad command line, 3 bad input file, "
               "4 matplotlib missing (the message names an interpreter that has it) or write error.")
    ap.add_argument("--out", default=os.path.join("results", "paper", "figures"), metavar="DIR",
                    help="output folder [results/paper/figures]")
    ap.add_argument("--list", action="store_true",
                    help="also print one line per curve: its samples and the file(s) it comes from")
    ap.add_argument("--figures", default="all", metavar="LIST",
                    help="draw only these, e.g. fig3,fig7 (fig3 ... fig8) [all]")
    ap.add_argument("csv", nargs="*", metavar="CSV", help="sweep CSV files written by nvmsim sweep")
    args = ap.parse_args(argv)
    ALL = ["fig3", "fig4", "fig5", "fig6", "fig7", "fig8"]
    want = set(ALL) if args.figures == "all" else set(f.strip() for f in args.figures.split(","))
    if not want or not want <= set(ALL):
        ap.print_usage(sys.stderr)
        return fail(2, "--figures %s: expected 'all' or a list of %s" % (args.figures, ",".join(ALL)))
    if not args.csv:
        ap.print_usage(sys.stderr)
        return fail(2, "no CSV files given")

    rows, files, dups = [], [], 0
    try:
        for path in args.csv:
            if not os.path.exists(path):
                raise InputError("%s: no such file" % path)
            rs = read_csv(path)
            if not rs:
                print("note: %s has no data rows" % path)
            src = len(files)
            files.append(os.path.basename(path) if os.path.basename(path) not in
                         [os.path.basename(p) for p in args.csv[:src]] else path)
            seen = set()
            for r in rs:
                k = row_key(r)
                if k in seen:   # the same row twice in one file
                    dups += 1
                    continue
                seen.add(k)
                r.src = src
                rows.append(r)
    except InputError as e:
        return fail(3, str(e))
    if dups:
        print("note: %d rows repeated within a file counted once" % dups)
    others = sorted({r.noise for r in rows if r.noise != "gauss" and r.bits is None})
    for nz in others:
        print("note: %d rows with noise=%s are not plotted (no figure for that noise model)"
              % (sum(1 for r in rows if r.noise == nz), nz))

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        other = matplotlib_elsewhere()
        me = "%s (Python %d.%d%s)" % (sys.executable or "this python", sys.version_info[0], sys.version_info[1],
                                      ", run with -S or -I: no site-packages" if sys.flags.no_site or
                                      sys.flags.isolated else "")
        if other:
            return fail(4, "matplotlib cannot be imported by %s; %s has it: run %s %s ..."
                        % (me, other, other, sys.argv[0]))
        return fail(4, "matplotlib cannot be imported by %s, nor by /usr/bin/python3 or python3 on PATH "
                    "(Debian: apt-get install python3-matplotlib)" % me)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        return fail(4, "%s: cannot create folder: %s" % (args.out, e.strerror or e))

    P = Plotter(args.out, rows)
    missing, notes, report = [], [], []
    if want & {"fig3", "fig4", "fig5"}:
        figs_345(P, rows, files, missing, notes, report, want)
    if "fig6" in want:
        fig6_bits(P, rows, files, missing, notes, report)
    if "fig7" in want:
        fig7_detector(P, rows, files, missing, notes, report)
    if "fig8" in want:
        fig8_extended(P, rows, files, missing, notes, report)
    for line in report:
        if args.list or not line.startswith("  curve "):
            print(line)
    done = set()
    for line in notes:
        if line not in done:
            done.add(line)
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
