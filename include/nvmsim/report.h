/* Output a person or a machine reads: the CSV file (rows whole and flushed, renamed when complete)
 * and the progress line with its ETA. */
#ifndef NVMSIM_REPORT_H
#define NVMSIM_REPORT_H

#include <stdio.h>

#include "nvmsim/common.h"

typedef struct {
    FILE *f;
    char path[4096];      /* final name */
    char part[4200];      /* path.part while the run is in progress */
} nvm_csv;

/* Creates path.part and writes the header line (without newline in header). */
int nvm_csv_open(nvm_csv *c, const char *path, const char *header, nvm_err *e);
/* Reopens path.part of an interrupted run for appending: checks its header, keeps the first complete
 * rows in whole groups of `group` rows (a cell's rows), truncates anything after them, and returns
 * the kept rows (malloc'd text, NUL-terminated) and their number. NVM_EDATA if path.part is missing or
 * not such a CSV. */
int nvm_csv_resume(nvm_csv *c, const char *path, const char *header, int group, char **rows,
                   long *n_rows, nvm_err *e);
/* Appends one complete line (line includes its newline) and flushes it to the OS. */
int nvm_csv_write(nvm_csv *c, const char *line, nvm_err *e);
/* Complete: closes and renames path.part to path. */
int nvm_csv_finish(nvm_csv *c, nvm_err *e);
/* Incomplete: closes and leaves path.part for inspection. */
void nvm_csv_abandon(nvm_csv *c);

/* How progress reaches stderr: not at all, as one line redrawn in place (a terminal), or as plain lines
 * at most once a minute (a file: a Slurm job's log, nohup, make reproduce). */
typedef enum { NVM_PROGRESS_OFF = 0, NVM_PROGRESS_TTY = 1, NVM_PROGRESS_LOG = 2 } nvm_progress_mode;
#define NVM_PROGRESS_LOG_SECONDS 60.0
/* The mode for stderr as it is: TTY on a terminal, else LOG. */
nvm_progress_mode nvm_progress_mode_stderr(void);

typedef struct {
    nvm_progress_mode mode;
    double t0, last;
    long total;
    char label[96];
} nvm_progress;

void nvm_progress_start(nvm_progress *p, nvm_progress_mode mode, const char *label, long total);
/* "label done/total (pct)  elapsed  ETA": redrawn at most a few times a second (TTY), or a line at most
 * once a minute and none before the first minute (LOG). */
void nvm_progress_update(nvm_progress *p, long done);
/* Clears the line. */
void nvm_progress_end(nvm_progress *p);

/* "1:05" or "1:02:05" */
void nvm_format_duration(double seconds, char out[32]);

#endif
