"""Statistics shared by the summary scripts (Python 3 standard library only).

- t_quantile(p, df): Student-t quantile, exact to ~1e-10 (regularised incomplete beta + bisection), so no
  table runs out of degrees of freedom.
- mean_ci(xs): mean and half-width of the 95 % Student-t interval of independent values.
- nested(groups): chips nested in base networks (base networks a random effect). groups maps a base to the
  values of its chips. The grand mean is the mean of the base means (each base weighs the same); its 95 %
  interval is Student-t with B - 1 degrees of freedom on the B base means — for a balanced design this is
  the one-way random-effects ANOVA interval (MS_between / (B·C) = var(base means) / B), valid whatever
  the within-base spread. The spreads are the ANOVA variance components: within = pooled SD of chips
  about their base's mean; between = sqrt(max(0, var(base means) - within² / C)), C the harmonic mean
  of the chips per base.
- A paired comparison is nested() of per-chip differences (same base, same chip, two remedies).
"""
import math


def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (Lentz's method)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
                    -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a, b, x):
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t, df):
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p, df):
    """The t with P(T <= t) = p for Student's t with df degrees of freedom (df > 0)."""
    if df <= 0 or not 0.0 < p < 1.0:
        return float("nan")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def mean_sd(xs):
    n = len(xs)
    m = sum(xs) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1)) if n > 1 else float("nan")
    return m, sd


def mean_ci(xs):
    """(mean, 95 % half-width) of independent values; the half-width is nan for one value."""
    m, sd = mean_sd(xs)
    if len(xs) < 2:
        return m, float("nan")
    return m, t_quantile(0.975, len(xs) - 1) * sd / math.sqrt(len(xs))


def nested(groups):
    """groups: {base: [chip values]}. Returns a dict: mean (of base means), ci (95 % half-width over
    bases), sd_between, sd_within (variance components), bases, chips (total)."""
    means = [sum(v) / len(v) for v in groups.values() if v]
    B = len(means)
    chips = sum(len(v) for v in groups.values())
    m, ci = mean_ci(means) if B else (float("nan"), float("nan"))
    dfw = sum(len(v) - 1 for v in groups.values() if v)
    ssw = sum(sum((x - sum(v) / len(v)) ** 2 for x in v) for v in groups.values() if v)
    sd_w = math.sqrt(ssw / dfw) if dfw > 0 else float("nan")
    if B > 1:
        var_means = mean_sd(means)[1] ** 2
        c_h = B / sum(1.0 / len(v) for v in groups.values() if v)
        sd_b = math.sqrt(max(0.0, var_means - (sd_w ** 2 / c_h if dfw > 0 else 0.0)))
    else:
        sd_b = float("nan")
    return {"mean": m, "ci": ci, "sd_between": sd_b, "sd_within": sd_w, "bases": B, "chips": chips}


def welch(a, b):
    """Difference of the means of two independent samples a - b (e.g. base means of two architectures):
    (diff, 95 % half-width) with Welch's unequal-variance t and Satterthwaite's degrees of freedom."""
    ma, sa = mean_sd(a)
    mb, sb = mean_sd(b)
    if len(a) < 2 or len(b) < 2:
        return ma - mb, float("nan")
    va, vb = sa * sa / len(a), sb * sb / len(b)
    if va + vb == 0:
        return ma - mb, 0.0
    df = (va + vb) ** 2 / (va * va / (len(a) - 1) + vb * vb / (len(b) - 1))
    return ma - mb, t_quantile(0.975, df) * math.sqrt(va + vb)
