/* Fast layer kernels against their plain references, bit for bit: max-pool backward (ties, NaN, odd
 * sizes, channel counts that are not a multiple of the vector width). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../src/nn/layers.h"

static uint32_t rng_state = 2463534242u;
static float frand(void)   /* uniform in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) * 0x1p-23f - 1.0f;
}

static nvm_layer pool_layer(int H, int W, int C)
{
    nvm_layer L = {.kind = NVM_POOL, .in_h = H, .in_w = W, .in_c = C, .out_h = H / 2, .out_w = W / 2,
                   .out_c = C};
    L.n_in = H * W * C;
    L.n_out = L.out_h * L.out_w * C;
    return L;
}

static void maxpool_matches_reference(void)
{
    const int shapes[][3] = {{4, 4, 1}, {6, 6, 4}, {5, 7, 3}, {30, 30, 32}, {13, 13, 64}, {8, 6, 13}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int B = 3;
        nvm_layer L = pool_layer(shapes[s][0], shapes[s][1], shapes[s][2]);
        size_t nin = (size_t)B * L.n_in, nout = (size_t)B * L.n_out;
        float *in = malloc(nin * sizeof *in), *out = malloc(nout * sizeof *out);
        float *dout = malloc(nout * sizeof *dout), *d1 = malloc(nin * sizeof *d1), *d2 = malloc(nin * sizeof *d2);
        for (size_t i = 0; i < nin; i++) {   /* few distinct values: many ties; a few NaN and -0 */
            float v = (float)(int)(3 * frand());
            in[i] = i % 97 == 5 ? NAN : i % 89 == 3 ? -0.0f : v;
        }
        for (size_t i = 0; i < nout; i++)
            dout[i] = frand();
        nvm_maxpool_forward(&L, in, out, B);
        memset(d1, 0x7f, nin * sizeof *d1);   /* garbage: every element must be written */
        nvm_maxpool_backward(&L, in, out, dout, d1, B);
        nvm_maxpool_backward_ref(&L, in, out, dout, d2, B);
        CHECK(memcmp(d1, d2, nin * sizeof *d1) == 0);
        free(in), free(out), free(dout), free(d1), free(d2);
    }
}

int main(void)
{
    maxpool_matches_reference();
    return check_report("layers");
}
