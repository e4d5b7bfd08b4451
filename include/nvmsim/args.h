/* Command-line flags: one table gives each flag's commands and help; parsing and --help both use it. */
#ifndef NVMSIM_ARGS_H
#define NVMSIM_ARGS_H

#include "nvmsim/common.h"

enum {
    NVM_CMD_TRAIN = 1, NVM_CMD_EVAL = 2, NVM_CMD_SWEEP = 4, NVM_CMD_INFO = 8, NVM_CMD_BENCH = 16,
    NVM_CMD_MERGE = 32
};

#define NVM_MAX_FLAGS 64
#define NVM_MAX_POS 100000

typedef struct {
    int cmd;                           /* one NVM_CMD_* */
    const char *cmd_name;
    const char *val[NVM_MAX_FLAGS];    /* value given for each flag of the table, or NULL */
    int help;                          /* -h/--help was given */
    char **pos;                        /* arguments that are not flags (merge only: its shard files) */
    int n_pos;
} nvm_args;

/* Parses argv[first..argc) for command cmd. Unknown flags, flags of other commands, repeats and
 * missing values are usage errors. */
int nvm_args_parse(nvm_args *a, int cmd, const char *cmd_name, int argc, char **argv, int first,
                   nvm_err *e);
/* Frees what parsing allocated (merge's list of files). */
void nvm_args_free(nvm_args *a);
/* Value of a flag ("--epochs"), or NULL when not given. */
const char *nvm_arg(const nvm_args *a, const char *flag);

/* Typed getters: def when absent, else the parsed value (usage error naming the flag if bad). */
int nvm_arg_int(const nvm_args *a, const char *flag, long def, long min, long max, int *out,
                nvm_err *e);
int nvm_arg_double(const nvm_args *a, const char *flag, double def, double min, double max,
                   double *out, nvm_err *e);
int nvm_arg_yesno(const nvm_args *a, const char *flag, int def, int *out, nvm_err *e);

/* Prints the command's help (description, flags, examples) to stdout. */
void nvm_args_help(int cmd);
/* Prints the top-level help. */
void nvm_args_usage(void);

#endif
