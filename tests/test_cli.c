/* Ranges, lists, numbers and the shortest decimal form of alpha. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nvmsim/cli.h"

static int range(const char *s, double **v, int *n)
{
    nvm_err e;
    return nvm_parse_range("--alpha", s, 0, 1000, v, n, &e);
}

static void ranges(void)
{
    double *v;
    int n;
    char buf[32];
    CHECK(range("0:1:0.05", &v, &n) == NVM_OK);
    CHECK(n == 21);
    if (n == 21) {
        CHECK(v[0] == 0 && v[20] == 1.0 && v[3] == 0.15 && v[7] == 0.35);
        nvm_format_double(v[1], buf);
        CHECK(strcmp(buf, "0.05") == 0);
        nvm_format_double(v[3], buf);
        CHECK(strcmp(buf, "0.15") == 0);
        nvm_format_double(v[20], buf);
        CHECK(strcmp(buf, "1") == 0);
    }
    free(v);
    CHECK(range("0:1:0.3", &v, &n) == NVM_OK && n == 4 && v[3] == 0.9);   /* 1.0 not landed on */
    free(v);
    CHECK(range("0:3:0.1", &v, &n) == NVM_OK && n == 31 && v[30] == 3.0);
    free(v);
    CHECK(range("0.5:0.5:0.1", &v, &n) == NVM_OK && n == 1 && v[0] == 0.5);
    free(v);
    CHECK(range("0,0.25,1", &v, &n) == NVM_OK && n == 3 && v[1] == 0.25);
    free(v);
    CHECK(range("0.7", &v, &n) == NVM_OK && n == 1 && v[0] == 0.7);
    free(v);
    const char *bad[] = {"1:0:0.1", "0:1:0", "0:1:-0.1", "nan", "inf", "0:nan:0.1", "-0.1", "1e400",
                         "0:1", "0:1:0.1:2", "a:b:c", "", ",", "0,,1", "0:1e9:1e-9", "0.1x", "0:1:0.05x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nvm_err e = {{0}};
        v = NULL;
        int rc = nvm_parse_range("--alpha", bad[i], 0, 1000, &v, &n, &e);
        CHECK(rc == NVM_EUSAGE);
        CHECK(strstr(e.msg, "--alpha") != NULL);
        if (rc == NVM_OK)
            free(v);
    }
}

static void numbers(void)
{
    nvm_err e;
    long x;
    uint64_t u;
    int *v, n;
    double d;
    CHECK(nvm_parse_int("--nfe", "100", 1, 1000, &x, &e) == NVM_OK && x == 100);
    CHECK(nvm_parse_int("--nfe", "0", 1, 1000, &x, &e) == NVM_EUSAGE);
    CHECK(nvm_parse_int("--nfe", "12abc", 1, 1000, &x, &e) == NVM_EUSAGE);
    CHECK(nvm_parse_int("--nfe", "99999999999999999999", 1, 1000, &x, &e) == NVM_EUSAGE);
    CHECK(nvm_parse_u64("--seed", "18446744073709551615", &u, &e) == NVM_OK && u == UINT64_MAX);
    CHECK(nvm_parse_u64("--seed", "-1", &u, &e) == NVM_EUSAGE);
    CHECK(nvm_parse_u64("--seed", "18446744073709551616", &u, &e) == NVM_EUSAGE);
    CHECK(nvm_parse_double("--lr", "0.05", 1e-9, 100, &d, &e) == NVM_OK && d == 0.05);
    CHECK(nvm_parse_double("--lr", "nan", 1e-9, 100, &d, &e) == NVM_EUSAGE);
    CHECK(nvm_parse_double("--lr", "0", 1e-9, 100, &d, &e) == NVM_EUSAGE);
    CHECK(nvm_parse_int_list("--nfe", "10,20,50,100,200", 1, 1000, &v, &n, &e) == NVM_OK && n == 5 &&
          v[4] == 200);
    free(v);
    CHECK(nvm_parse_int_list("--nfe", "10,0", 1, 1000, &v, &n, &e) == NVM_EUSAGE);
    CHECK(strstr(e.msg, "--nfe 0") != NULL);
    CHECK(nvm_parse_int_list("--nfe", "10,", 1, 1000, &v, &n, &e) == NVM_EUSAGE);
}

static void shortest(void)
{
    char buf[32];
    const double vals[] = {0.1, 0.05, 1e-7, 123456.5, 1.0 / 3, 2.5e300};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        nvm_format_double(vals[i], buf);
        CHECK(strtod(buf, NULL) == vals[i]);
    }
    nvm_format_double(0.1 + 0.2, buf);
    CHECK(strcmp(buf, "0.30000000000000004") == 0);
}

int main(void)
{
    ranges();
    numbers();
    shortest();
    return check_report("cli");
}
