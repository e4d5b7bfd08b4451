/* Device physics of the analog layers: how a chip stores each weight as a differential pair of
 * conductances (G+, G-), what programming, drift, 1/f noise and stuck-at faults do to them, and the
 * per-layer descriptors (read noise, DAC/ADC, drift compensation) the forward pass applies
 * (nvm_analog in nvmsim/net.h). Conductances are in µS, times in seconds.
 *
 * Mapping (one array per analog layer: its weights W[rows × cols] and, when biases are degraded, its
 * bias as one more row): s = g_max / max|W|, G+ = s·max(w, 0), G- = s·max(-w, 0), and the chip computes
 * with the realised weight (G+ - G-)/s. Every random draw is a counter-based stream keyed by
 * (seed, purpose, base network, chip) at the device index 2·i (G+) or 2·i + 1 (G-) of parameter i, so a
 * chip is the same whatever else runs, and the same draws serve every α, time, fault rate and model
 * (common random numbers: smooth curves, meaningful paired differences).
 *
 * One chip condition, end to end (all functions pure; no state, no allocation):
 *   nvm_device_calibrate(a, clean, train_x, n, &w, cx, &cal);        once per base network (DAC/ADC)
 *   nvm_device_realise(a, clean, chip_params, &d, &chip);            the block at time d.time
 *   nvm_device_drift_comp(a, clean, chip_params, scratch, &d, &chip, c);   only if d.drift_comp
 *   nvm_device_analog(a, clean, &d, &chip, &cal, d.drift_comp ? c : NULL, &an);
 *   an.pass = 0; nvm_run_layers_an(a, chip_params, 0, fe, train_x, n, features, &w, cx, &an, 0);
 *   an.pass = 1; nvm_run_layers_an(... test_x ...);  (each pass over data reads fresh noise) */
#ifndef NVMSIM_DEVICE_H
#define NVMSIM_DEVICE_H

#include <stdint.h>
#include <stdio.h>

#include "nvmsim/common.h"
#include "nvmsim/net.h"
#include "nvmsim/noise.h"
#include "nvmsim/rng.h"

/* Model constants (the values of IBM aihwkit's PCMLikeNoiseModel and SinglePairConductanceConverter;
 * nvm_device_constants lists them for the JSON sidecar). */
#define NVM_DEV_GMAX 25.0             /* µS, largest programmable conductance */
#define NVM_PCM_PROG_C0 0.26348       /* σ_prog(G_T) = (c0 + c1·g_r + c2·g_r²)·g_max/25 µS */
#define NVM_PCM_PROG_C1 1.9650
#define NVM_PCM_PROG_C2 (-1.1731)
#define NVM_PCM_NU_MU_A (-0.0155)     /* μ_ν = clip(a·ln g_r + b, 0.049, 0.1) */
#define NVM_PCM_NU_MU_B 0.0244
#define NVM_PCM_NU_MU_MIN 0.049
#define NVM_PCM_NU_MU_MAX 0.1
#define NVM_PCM_NU_SD_A (-0.0125)     /* σ_ν = clip(a·ln g_r + b, 0.008, 0.045) */
#define NVM_PCM_NU_SD_B (-0.0059)
#define NVM_PCM_NU_SD_MIN 0.008
#define NVM_PCM_NU_SD_MAX 0.045
#define NVM_PCM_GR_MIN 1e-7           /* g_r floor of the drift statistics (idle devices) */
#define NVM_PCM_T0 20.0               /* s, drift reference time t₀ */
#define NVM_PCM_TREAD 250e-9          /* s, read duration t_read of the 1/f noise */
#define NVM_PCM_Q_A 0.0088            /* Q = min(a / max((G_p/g_max)^e, floor), max) */
#define NVM_PCM_Q_EXP 0.65
#define NVM_PCM_Q_FLOOR 1e-3
#define NVM_PCM_Q_MAX 0.2
/* Default share of stuck devices that are stuck on (at g_max): 9.04 % stuck-on against 1.75 %
 * stuck-off devices measured on a 4-Mb HfO2 RRAM test chip, C.-Y. Chen et al., "RRAM Defect Modeling
 * and Failure Analysis Based on March Test and a Novel Squeeze-Search Scheme", IEEE Trans. Computers
 * 64(1):180-190, 2015, doi:10.1109/TC.2014.12 (the figures as commonly quoted, e.g. by L. Xia et al.,
 * "Fault-Tolerant Training with On-Line Fault Detection for RRAM-Based Neural Computing Systems",
 * DAC 2017). */
#define NVM_STUCK_ON_DEFAULT (9.04 / (1.75 + 9.04))
#define NVM_CALIB_SAMPLES 1000        /* training samples the converter ranges are calibrated on */

typedef enum {
    NVM_DEV_GAUSS = 0,   /* Eq. 1: w -> (1 + α·ε)·w (nvm_degrade) */
    NVM_DEV_QUANT = 1,   /* quant:B: every tensor to 2^B levels, then Eq. 1 (nvm_degrade) */
    NVM_DEV_PCM = 2      /* PCM programming noise (scaled by α), drift and 1/f noise at time t */
} nvm_dev_model;

/* One chip condition. nvm_device_defaults gives gauss with α = 0 and every effect off. */
typedef struct {
    nvm_dev_model model;
    int bits;              /* quant:B: B = 1..8 */
    int quant_clip;        /* quantmse:B: levels over the least-squared-error range (nvm_quant_range) */
    double alpha;          /* gauss/quant: α of Eq. 1; pcm: scale of the programming noise (1 = as measured) */
    double time;           /* pcm: seconds since programming, t ≥ 0 */
    double time_ref;       /* pcm: t₁, when the detector was retrained (reference of drift compensation) */
    double fault_rate;     /* f in [0, 1]: share of devices stuck */
    double stuck_on;       /* F in [0, 1]: share of stuck devices stuck at g_max (else at 0) */
    double read_sigma;     /* σ ≥ 0: read noise per device, relative to g_max, fresh at every inference */
    int adc_bits;          /* 0 = ideal, else 1..16 */
    int dac_bits;          /* 0 = ideal, else 1..16 */
    int drift_comp;        /* 1: global drift compensation (outputs · c per analog layer) */
    int analog_all;        /* 1: every layer with parameters is analog; 0: the feature extractor only */
} nvm_device;

void nvm_device_defaults(nvm_device *d);
/* A parsed noise model into d->model, d->bits and d->quant_clip. */
void nvm_device_set_noise(nvm_device *d, const nvm_noise *n);
/* "gauss", "quant:B", "quantmse:B" or "pcm" into d->model (and d->bits); usage error naming --noise otherwise. */
int nvm_device_parse_model(const char *s, nvm_device *d, nvm_err *e);
/* The model as in a CSV noise column: "gauss", "quant:3", "pcm". */
void nvm_device_model_name(const nvm_device *d, char out[16]);

/* A named constant of the models, for the JSON sidecar. */
typedef struct {
    const char *name;    /* "g_max_uS", "pcm_t0_s", ... */
    double value;
} nvm_dev_const;
/* The table of every constant above (*n entries, static storage). */
const nvm_dev_const *nvm_device_constants(int *n);

/* Whether layer l is analog under d: a dense or conv layer in [0, fe_layers), or any such layer with
 * d->analog_all. */
int nvm_device_is_analog(const nvm_arch *a, const nvm_device *d, int l);

/* ---- mapping (mapping.c) ---- */

/* s = g_max / max|W| of layer l of the clean block (W = its weights, plus its bias row when
 * bias_on_array), in µS per unit weight; g_max when W is all zero (any s maps zeros to zeros). */
double nvm_device_scale(const nvm_arch *a, const float *clean, int l, int bias_on_array);

/* The mapping of one analog layer, for `nvmsim info --device`. */
typedef struct {
    int layer;           /* index in the network */
    int rows, cols;      /* array size: weight rows (+1 bias row when on the array) × outputs */
    int bias_row;        /* the bias is on the array */
    double w_max;        /* max|W| */
    double s;            /* µS per unit weight */
    double g_min;        /* smallest nonzero target conductance s·|w| (µS; 0 if all zero) */
    double g_max;        /* largest target conductance, = NVM_DEV_GMAX unless W is all zero */
    uint64_t devices;    /* 2 · rows · cols */
} nvm_dev_map;
/* Fills maps[0..*n) with the analog layers of a (at most NVM_MAX_LAYERS). */
void nvm_device_mapping(const nvm_arch *a, const float *clean, const nvm_device *d, int bias_on_array,
                        nvm_dev_map maps[NVM_MAX_LAYERS], int *n);
/* Prints a heading and one line per analog layer, e.g. "layer 0 (dense 100, tanh): 784+1 x 100 array,
 * max|w| 0.666924, s = 37.4856 uS, G 3.1059e-06..25 uS, 157000 devices". */
void nvm_device_print_mapping(FILE *f, const nvm_arch *a, const float *clean, const nvm_device *d,
                              int bias_on_array);

/* ---- PCM (pcm.c): one device; g_t is its target conductance in µS ---- */

/* The three standard normals a PCM device draws: programming, drift exponent, accumulated 1/f noise. */
typedef struct {
    double prog, drift, flicker;
} nvm_pcm_xi;
/* What happens to a device, stage by stage (µS). */
typedef struct {
    double g_prog;       /* after programming: max(0, G_T + α·σ_prog(G_T)·ξ) */
    double nu;           /* drift exponent |μ_ν + σ_ν·ξ| */
    double g_drift;      /* G_p·((t + t₀)/t₀)^(-ν) */
    double g;            /* at time t: max(0, G_d + |G_d|·Q(G_p)·√ln((t + t₀ + t_read)/(2·t_read))·ξ') */
} nvm_pcm_state;

/* Device `device` (2·i or 2·i + 1) of the chip: its draws from NVM_RNG_PCM_PROG, _DRIFT and _1F. The
 * same for every α and time (one ξ' serves every t, so the 1/f curves of a chip are common random
 * numbers rather than independent per time). */
nvm_pcm_xi nvm_pcm_draw(const nvm_chip *chip, uint64_t device);
/* The draws a device needs at time t: nvm_pcm_draw's, except that at t = 0 (where the drift factor is
 * exactly 1 whatever ν) the drift ξ is not drawn and is 0. nvm_pcm_device gives the same g either way. */
nvm_pcm_xi nvm_pcm_draw_at(const nvm_chip *chip, uint64_t device, double t);
double nvm_pcm_prog_sigma(double g_t);   /* σ_prog(G_T) in µS */
double nvm_pcm_nu_mean(double g_t);      /* μ_ν(G_T) */
double nvm_pcm_nu_sd(double g_t);        /* σ_ν(G_T) */
double nvm_pcm_q(double g_prog);         /* Q(G_p) */
double nvm_pcm_flicker_t(double t);      /* √ln((t + t₀ + t_read)/(2·t_read)) */
/* Runs one device through programming (scale alpha), drift and 1/f noise to time t. */
void nvm_pcm_device(double g_t, double alpha, double t, const nvm_pcm_xi *xi, nvm_pcm_state *st);

/* ---- stuck-at faults (faults.c) ---- */

typedef enum { NVM_FAULT_NONE = 0, NVM_FAULT_OFF = 1, NVM_FAULT_ON = 2 } nvm_fault;
/* Device `device` of the chip is faulty when u < rate (u from NVM_RNG_FAULT), so the faulty set at a
 * lower rate is inside the one at a higher rate; it is stuck on (at g_max) when v < stuck_on (v from
 * NVM_RNG_STUCK), else stuck off (at 0). */
nvm_fault nvm_device_fault(const nvm_chip *chip, uint64_t device, double rate, double stuck_on);

/* ---- the chip (realise.c) ---- */

/* out[n_params] = the parameters chip computes with at time d->time: clean everywhere except the
 * analog layers' weights (and biases when chip->degrade_biases), whose realised values are
 * (G+ - G-)/s. gauss/quant without faults write exactly what nvm_degrade writes (bit for bit; with
 * analog_all over every layer); with faults, each pair holding a faulty device is mapped from that
 * value (G± = s·max(±w', 0): the noise is on the active device, the idle one exact), the faulty
 * device replaced by its stuck level and the pair read back. pcm programs G+ and G- (both) from
 * their targets, drifts them to d->time, adds the 1/f noise, then the faults. */
void nvm_device_realise(const nvm_arch *a, const float *clean, float *out, const nvm_device *d,
                        const nvm_chip *chip);

/* Whether every realised parameter depends only on its own clean value and draws: pcm, and gauss
 * with α = 0 (the faults alone). Then a realisation can be computed in parts, e.g. on threads. */
int nvm_device_per_parameter(const nvm_device *d);
/* s[l] = nvm_device_scale of every analog layer of d (0 elsewhere). */
void nvm_device_scales(const nvm_arch *a, const float *clean, const nvm_device *d, int bias_on_array,
                       double s[NVM_MAX_LAYERS]);
/* out[lo, hi) = what nvm_device_realise writes there (the rest of out untouched), for a d with
 * nvm_device_per_parameter; scales from nvm_device_scales(a, clean, d, chip->degrade_biases). This is
 * the code nvm_device_realise runs for such a d (over [0, n_params)), so the parts of any split are
 * the same bits. */
void nvm_device_realise_part(const nvm_arch *a, const float *clean, float *out, const nvm_device *d,
                             const nvm_chip *chip, const double scales[NVM_MAX_LAYERS], size_t lo, size_t hi);

/* ---- converters (converters.c) ---- */

/* out[n] = x[n] clipped to [0, x_max] (or [-x_max, x_max] when is_signed) and rounded to the nearest
 * of 2^bits evenly spaced levels spanning that range (x_max ≤ 0: all 0). out may be x. Unsigned
 * ranges include 0 exactly; signed ones have no level at 0 (2^bits levels, symmetric). Vectorised for
 * isa; every isa gives the same bits. */
void nvm_dac_quantize(nvm_isa isa, const float *x, float *out, size_t n, int bits, float x_max, int is_signed);
/* 1 if any of the converter settings adcs[n_adc], dacs[n_dac] (bits, 0 = ideal) is a real converter: then
 * their ranges must be calibrated (nvm_device_calibrate). */
int nvm_device_any_converter(const int *adcs, int n_adc, const int *dacs, int n_dac);
/* y[n] clipped to ±y_max and rounded to the nearest of 2^bits levels spanning it, in place. */
void nvm_adc_quantize(nvm_isa isa, float *y, size_t n, int bits, float y_max);

/* Converter ranges of every dense/conv layer, measured on the CLEAN network. */
typedef struct {
    int samples;                       /* how many training samples they were measured on */
    float x_max[NVM_MAX_LAYERS];       /* max |input| of layer l */
    int x_signed[NVM_MAX_LAYERS];      /* some input of layer l was negative: the DAC spans ±x_max */
    float y_max[NVM_MAX_LAYERS];       /* max |x·W + b| of layer l (bias on the array) */
    float y_max_nob[NVM_MAX_LAYERS];   /* max |x·W| (bias added digitally after the ADC) */
} nvm_dev_calib;
/* Runs the clean network on the first min(n, NVM_CALIB_SAMPLES) rows of x[n × in] (in batches of
 * w->max_batch; w a workspace of a) and records the ranges. */
void nvm_device_calibrate(const nvm_arch *a, const float *clean, const float *x, int n, nvm_work *w,
                          nvm_compute *cx, nvm_dev_calib *cal);

/* ---- read noise (read_noise.c) ---- */

/* Adds read noise to y[B·P × N], the outputs of B samples with P array reads each (dense P = 1, conv
 * P = out_h·out_w) of inputs rows[B·P × K]: output o = p·N + j of sample b gets std·‖x‖₂·ξ, ‖x‖₂ the
 * norm of its read's row (with a 1 more when bias_row), ξ the normal o of the blocks of s that start at
 * a counter of (layer, sample0 + b). Layer < 16, sample < 2^32, o < 2^28 (nvm_arch's cap). rstd[B·P]
 * is scratch. */
void nvm_read_noise_add(nvm_isa isa, float *y, const float *rows, int B, int P, int K, int N, int bias_row,
                        float std, const nvm_stream *s, int layer, uint64_t sample0, float *rstd);
/* z[0..n) = standard normals, four per Philox block of s starting at counter `block` (z[4k..4k+3]
 * from block + k): Φ⁻¹ of 23-bit uniforms, |z| ≤ 5.3, Φ(z) within 1e-5 relative of its uniform's tail
 * probability. Fast (vectorised for isa; every isa gives the same bits), for read noise. */
void nvm_read_normals(nvm_isa isa, const nvm_stream *s, uint64_t block, float *z, int n);

/* ---- global drift compensation (drift_comp.c) ---- */

/* c = mean_j |y_j(ref)| / mean_j |y_j(now)| of layer l, y_j = Σ_r W_rj (+ b_j when bias_on_array) the
 * response of realised blocks ref and now to an all-ones input (1 when a mean is 0). */
double nvm_device_comp_factor(const nvm_arch *a, int l, const float *ref, const float *now,
                              int bias_on_array);
/* c[l] for every analog layer (1 elsewhere): realises the chip at d->time_ref into ref[n_params]
 * (scratch) and compares it with now (the chip at d->time, from nvm_device_realise). */
void nvm_device_drift_comp(const nvm_arch *a, const float *clean, const float *now, float *ref,
                           const nvm_device *d, const nvm_chip *chip, float c[NVM_MAX_LAYERS]);

/* ---- the descriptors (analog.c) ---- */

/* Fills an for chip under d: for every analog layer the read-noise factor √2·σ·g_max/s (s from clean),
 * bias_on_array = chip->degrade_biases, the DAC (bits, ±x_max or [0, x_max]) and ADC (bits, y_max)
 * from cal (may be NULL when both are ideal), and out_scale = comp[l] (comp may be NULL: no
 * compensation); digital layers all zero. The read stream is keyed by (seed, base, chip < 2^24) and
 * an->pass is 0: set it per pass over data (each pass reads fresh noise). */
void nvm_device_analog(const nvm_arch *a, const float *clean, const nvm_device *d,
                       const nvm_chip *chip, const nvm_dev_calib *cal, const float *comp,
                       nvm_analog *an);

#endif
