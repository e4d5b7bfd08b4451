/* PCM devices as in IBM aihwkit's PCMLikeNoiseModel (Nandakumar et al., "Phase-change memory models
 * for deep learning training and inference", ICECS 2019; Joshi et al., Nat. Commun. 11:2473, 2020):
 * programming noise whose std depends on the target, power-law drift with a target-dependent exponent,
 * and accumulated 1/f read noise that grows with the log of time. */
#include "nvmsim/device.h"

#include <math.h>

static double clip(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

nvm_pcm_xi nvm_pcm_draw(const nvm_chip *chip, uint64_t device)
{
    nvm_stream p = nvm_chip_stream(chip, NVM_RNG_PCM_PROG, chip->chip);
    nvm_stream d = nvm_chip_stream(chip, NVM_RNG_PCM_DRIFT, chip->chip);
    nvm_stream f = nvm_chip_stream(chip, NVM_RNG_PCM_1F, chip->chip);
    nvm_pcm_xi xi = {nvm_normal(&p, device), nvm_normal(&d, device), nvm_normal(&f, device)};
    return xi;
}

nvm_pcm_xi nvm_pcm_draw_at(const nvm_chip *chip, uint64_t device, double t)
{
    if (t > 0)
        return nvm_pcm_draw(chip, device);
    /* At t = 0 the drift factor ((t + t₀)/t₀)^(-ν) is exactly 1 whatever ν, so ξ_ν is not drawn. */
    nvm_stream p = nvm_chip_stream(chip, NVM_RNG_PCM_PROG, chip->chip);
    nvm_stream f = nvm_chip_stream(chip, NVM_RNG_PCM_1F, chip->chip);
    nvm_pcm_xi xi = {nvm_normal(&p, device), 0.0, nvm_normal(&f, device)};
    return xi;
}

double nvm_pcm_prog_sigma(double g_t)
{
    double gr = g_t / NVM_DEV_GMAX;
    return (NVM_PCM_PROG_C0 + NVM_PCM_PROG_C1 * gr + NVM_PCM_PROG_C2 * gr * gr) * NVM_DEV_GMAX / 25.0;
}

/* ln g_r with g_r floored, so that an idle device (G_T = 0) gets the statistics of the lowest state. */
static double log_gr(double g_t)
{
    double gr = g_t / NVM_DEV_GMAX;
    return log(gr > NVM_PCM_GR_MIN ? gr : NVM_PCM_GR_MIN);
}

double nvm_pcm_nu_mean(double g_t)
{
    return clip(NVM_PCM_NU_MU_A * log_gr(g_t) + NVM_PCM_NU_MU_B, NVM_PCM_NU_MU_MIN, NVM_PCM_NU_MU_MAX);
}

double nvm_pcm_nu_sd(double g_t)
{
    return clip(NVM_PCM_NU_SD_A * log_gr(g_t) + NVM_PCM_NU_SD_B, NVM_PCM_NU_SD_MIN, NVM_PCM_NU_SD_MAX);
}

double nvm_pcm_q(double g_prog)
{
    double p = pow(g_prog / NVM_DEV_GMAX, NVM_PCM_Q_EXP);
    double q = NVM_PCM_Q_A / (p > NVM_PCM_Q_FLOOR ? p : NVM_PCM_Q_FLOOR);
    return q < NVM_PCM_Q_MAX ? q : NVM_PCM_Q_MAX;
}

double nvm_pcm_flicker_t(double t)
{
    /* Noise accumulated from the end of programming: present already at t = 0, since reading takes
     * t_read and the drift clock starts t₀ before. */
    return sqrt(log((t + NVM_PCM_T0 + NVM_PCM_TREAD) / (2 * NVM_PCM_TREAD)));
}

void nvm_pcm_device(double g_t, double alpha, double t, const nvm_pcm_xi *xi, nvm_pcm_state *st)
{
    double gp = g_t + alpha * nvm_pcm_prog_sigma(g_t) * xi->prog;
    st->g_prog = gp > 0 ? gp : 0;   /* a conductance is never negative */
    st->nu = fabs(nvm_pcm_nu_mean(g_t) + nvm_pcm_nu_sd(g_t) * xi->drift);
    st->g_drift = st->g_prog * exp(-st->nu * log((t + NVM_PCM_T0) / NVM_PCM_T0));
    double g = st->g_drift + fabs(st->g_drift) * nvm_pcm_q(st->g_prog) * nvm_pcm_flicker_t(t) * xi->flicker;
    st->g = g > 0 ? g : 0;
}
