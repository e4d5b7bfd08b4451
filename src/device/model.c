/* A chip condition: defaults, the model's name, which layers are analog, and the constants table. */
#include "nvmsim/device.h"

#include <stdlib.h>
#include <string.h>

void nvm_device_defaults(nvm_device *d)
{
    memset(d, 0, sizeof *d);
    d->model = NVM_DEV_GAUSS;
    d->stuck_on = NVM_STUCK_ON_DEFAULT;
}

int nvm_device_parse_model(const char *s, nvm_device *d, nvm_err *e)
{
    nvm_noise n;
    int rc = nvm_noise_parse(s, &n, e);
    if (rc == NVM_OK)
        nvm_device_set_noise(d, &n);
    return rc;
}

void nvm_device_set_noise(nvm_device *d, const nvm_noise *n)
{
    d->model = n->pcm ? NVM_DEV_PCM : n->bits ? NVM_DEV_QUANT : NVM_DEV_GAUSS;
    d->bits = n->pcm ? 0 : n->bits;
    d->quant_clip = d->model == NVM_DEV_QUANT && n->clip;
}

void nvm_device_model_name(const nvm_device *d, char out[16])
{
    if (d->model == NVM_DEV_PCM) {
        strcpy(out, "pcm");
        return;
    }
    nvm_noise n = {.bits = d->model == NVM_DEV_QUANT ? d->bits : 0, .clip = d->quant_clip};
    nvm_noise_name(&n, out);
}

static const nvm_dev_const CONSTANTS[] = {
    {"g_max_uS", NVM_DEV_GMAX},
    {"pcm_prog_c0", NVM_PCM_PROG_C0},
    {"pcm_prog_c1", NVM_PCM_PROG_C1},
    {"pcm_prog_c2", NVM_PCM_PROG_C2},
    {"pcm_nu_mu_a", NVM_PCM_NU_MU_A},
    {"pcm_nu_mu_b", NVM_PCM_NU_MU_B},
    {"pcm_nu_mu_min", NVM_PCM_NU_MU_MIN},
    {"pcm_nu_mu_max", NVM_PCM_NU_MU_MAX},
    {"pcm_nu_sd_a", NVM_PCM_NU_SD_A},
    {"pcm_nu_sd_b", NVM_PCM_NU_SD_B},
    {"pcm_nu_sd_min", NVM_PCM_NU_SD_MIN},
    {"pcm_nu_sd_max", NVM_PCM_NU_SD_MAX},
    {"pcm_gr_min", NVM_PCM_GR_MIN},
    {"pcm_t0_s", NVM_PCM_T0},
    {"pcm_t_read_s", NVM_PCM_TREAD},
    {"pcm_q_a", NVM_PCM_Q_A},
    {"pcm_q_exp", NVM_PCM_Q_EXP},
    {"pcm_q_floor", NVM_PCM_Q_FLOOR},
    {"pcm_q_max", NVM_PCM_Q_MAX},
    {"stuck_on_default", NVM_STUCK_ON_DEFAULT},
    {"calib_samples", NVM_CALIB_SAMPLES},
};

const nvm_dev_const *nvm_device_constants(int *n)
{
    *n = (int)(sizeof CONSTANTS / sizeof CONSTANTS[0]);
    return CONSTANTS;
}

int nvm_device_is_analog(const nvm_arch *a, const nvm_device *d, int l)
{
    return l >= 0 && l < a->n_layers && a->layers[l].kind != NVM_POOL && (d->analog_all || l < a->fe_layers);
}
