/* nvmsim: command dispatch (each command lives in src/cmd/, bench in src/bench.c). */
#include <stdio.h>
#include <string.h>

#include "nvmsim/args.h"
#include "nvmsim/bench.h"
#include "nvmsim/cli.h"
#include "nvmsim/commands.h"

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int cmd;
    } CMDS[] = {{"sweep", NVM_CMD_SWEEP}, {"train", NVM_CMD_TRAIN}, {"eval", NVM_CMD_EVAL},
                {"info", NVM_CMD_INFO}, {"bench", NVM_CMD_BENCH}, {"merge", NVM_CMD_MERGE}};
    enum { N_CMDS = sizeof CMDS / sizeof CMDS[0] };
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        nvm_args_usage();
        return argc < 2 ? NVM_EUSAGE : NVM_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("nvmsim %s\n", NVMSIM_VERSION);
        return NVM_OK;
    }
    for (int i = 0; i < N_CMDS; i++) {
        if (strcmp(argv[1], CMDS[i].name) != 0)
            continue;
        nvm_args a;
        nvm_err e = {{0}};
        int rc = nvm_args_parse(&a, CMDS[i].cmd, CMDS[i].name, argc, argv, 2, &e);
        if (rc == NVM_OK && a.help) {
            nvm_args_help(CMDS[i].cmd);
            nvm_args_free(&a);
            return NVM_OK;
        }
        if (rc == NVM_OK) {
            switch (CMDS[i].cmd) {
            case NVM_CMD_TRAIN: rc = nvm_cmd_train(&a, &e); break;
            case NVM_CMD_EVAL: rc = nvm_cmd_eval(&a, &e); break;
            case NVM_CMD_SWEEP: rc = nvm_cmd_sweep(argc, argv, &a, &e); break;
            case NVM_CMD_BENCH: rc = nvm_cmd_bench(&a, &e); break;
            case NVM_CMD_MERGE: rc = nvm_cmd_merge(argc, argv, &a, &e); break;
            default: rc = nvm_cmd_info(&a, &e); break;
            }
        }
        if (rc == NVM_EUSAGE)   /* one line: what failed, and where to read what is expected */
            fprintf(stderr, "nvmsim %s: %s; see 'nvmsim %s --help'\n", CMDS[i].name, e.msg, CMDS[i].name);
        else if (rc != NVM_OK)
            fprintf(stderr, "nvmsim %s: %s\n", CMDS[i].name, e.msg);
        nvm_args_free(&a);
        return rc;
    }
    const char *names[N_CMDS];
    for (int i = 0; i < N_CMDS; i++)
        names[i] = CMDS[i].name;
    const char *near = nvm_nearest(argv[1], names, N_CMDS);
    nvm_err e;   /* formatted by nvm_fail, which keeps the quoted argument on one line */
    if (near)
        nvm_fail(&e, NVM_EUSAGE, "unknown command '%s'; did you mean %s? (see nvmsim --help)", argv[1], near);
    else
        nvm_fail(&e, NVM_EUSAGE, "unknown command '%s' (expected sweep, train, eval, info, bench or merge; see "
                 "nvmsim --help)", argv[1]);
    fprintf(stderr, "nvmsim: %s\n", e.msg);
    return NVM_EUSAGE;
}
