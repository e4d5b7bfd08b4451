/* Softmax cross-entropy. */
#include <math.h>

#include "nvmsim/net.h"

double nvm_softmax_xent(const float *logits, const uint8_t *y, int B, int C, float *dlogits)
{
    double loss = 0.0;
    for (int i = 0; i < B; i++) {
        const float *z = logits + (size_t)i * C;
        float *d = dlogits + (size_t)i * C;
        float zmax = z[0];
        for (int c = 1; c < C; c++)
            zmax = z[c] > zmax ? z[c] : zmax;
        double sum = 0.0;   /* shifted by the max so exp never overflows; each exp computed once */
        for (int c = 0; c < C; c++) {
            double ez = exp((double)z[c] - zmax);
            d[c] = (float)ez;
            sum += ez;
        }
        loss += log(sum) + zmax - z[y[i]];
        for (int c = 0; c < C; c++)
            d[c] = (float)((d[c] / sum - (c == y[i])) / B);
    }
    return loss / B;
}
