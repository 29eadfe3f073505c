/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Corpus replay for `make check`: runs every file under corpus/<target>/
 * through that target's harness (linked in as fuzz_<target>_one) and prints
 * TAP, one line per target. Each target runs in a child process, so an
 * input that crashes one target (or fails a property: abort) is reported as
 * "not ok" with its file name and the other targets still run.
 * Usage: replay [CORPUS_DIR] (default: $AOIDC_FUZZ_CORPUS, else the source
 * tree's fuzz/corpus). AOIDC_FUZZ_NOFORK=1 runs in-process (gdb, valgrind).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "fuzz.h"

#ifndef AOIDC_FUZZ_CORPUS
#define AOIDC_FUZZ_CORPUS "fuzz/corpus"
#endif

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

#define DECLARE(t) int fuzz_##t##_one(const uint8_t *data, size_t size);
AOIDC_FUZZ_TARGETS(DECLARE)
#undef DECLARE

static const struct {
    const char *name;
    fuzz_fn fn;
} targets[] = {
#define ENTRY(t) {#t, fuzz_##t##_one},
    AOIDC_FUZZ_TARGETS(ENTRY)
#undef ENTRY
};

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every file in dir; returns the number of inputs, -1 on error.
 * Before each input its path is written to trace_fd (when >= 0). */
static int replay(const char *dir, fuzz_fn fn, int trace_fd, apr_pool_t *p)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_array_header_t *names = apr_array_make(p, 16, sizeof(char *));
    if (apr_dir_open(&d, dir, p) != APR_SUCCESS) {
        return -1;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        if (fi.filetype == APR_REG && fi.name[0] != '.') {
            APR_ARRAY_PUSH(names, char *) = apr_pstrdup(p, fi.name);
        }
    }
    apr_dir_close(d);
    qsort(names->elts, (size_t)names->nelts, sizeof(char *), cmp);
    for (int i = 0; i < names->nelts; i++) {
        const char *path =
            apr_pstrcat(p, dir, "/", APR_ARRAY_IDX(names, i, char *), NULL);
        apr_file_t *f;
        apr_finfo_t info;
        if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p)
                != APR_SUCCESS
            || apr_file_info_get(&info, APR_FINFO_SIZE, f) != APR_SUCCESS) {
            return -1;
        }
        /* an exactly sized heap buffer, as libFuzzer gives */
        apr_size_t n = (apr_size_t)info.size;
        uint8_t *buf = malloc(n ? n : 1);
        if (n && apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
            free(buf);
            apr_file_close(f);
            return -1;
        }
        apr_file_close(f);
        if (trace_fd >= 0) {
            dprintf(trace_fd, "%s\n", path);
        }
        fn(buf, n);
        free(buf);
    }
    return names->nelts;
}

/* Run one target in a child; its TAP line is printed here. The child
 * writes each input's path to a pipe before running it, and its count at
 * the end, so a crash can name its input. */
static bool run_forked(size_t num, const char *name, const char *dir,
                       fuzz_fn fn, apr_pool_t *p)
{
    int fds[2], status = 0, k = -1;
    char *line = NULL, *last = NULL;
    size_t cap = 0;
    FILE *in;
    if (pipe(fds) != 0) {
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        int count = replay(dir, fn, fds[1], p);
        dprintf(fds[1], "#count %d\n", count);
        close(fds[1]);
        exit(0);
    }
    close(fds[1]);
    in = fdopen(fds[0], "r");
    while (in && getline(&line, &cap, in) > 0) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "#count ", 7)) {
            k = atoi(line + 7);
        }
        else {
            free(last);
            last = strdup(line);
        }
    }
    if (in) {
        fclose(in);
    }
    free(line);
    waitpid(pid, &status, 0);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && k > 0;
    if (ok) {
        printf("ok %zu - %s: %d inputs\n", num, name, k);
    }
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        printf("not ok %zu - %s: no corpus in %s\n", num, name, dir);
    }
    else if (WIFSIGNALED(status)) {
        printf("not ok %zu - %s: signal %d on %s\n", num, name,
               WTERMSIG(status), last ? last : "?");
    }
    else {
        printf("not ok %zu - %s: exit %d on %s\n", num, name,
               WEXITSTATUS(status), last ? last : "?");
    }
    free(last);
    return ok;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    const char *root = argc > 1 ? argv[1] : getenv("AOIDC_FUZZ_CORPUS");
    const char *nofork = getenv("AOIDC_FUZZ_NOFORK");
    int failed = 0;
    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    if (!root || !*root) {
        root = AOIDC_FUZZ_CORPUS;
    }
    size_t n = sizeof(targets) / sizeof(targets[0]);
    printf("1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        const char *dir = apr_pstrcat(p, root, "/", targets[i].name, NULL);
        if (nofork && *nofork && strcmp(nofork, "0")) {
            int k = replay(dir, targets[i].fn, -1, p);
            if (k > 0) {
                printf("ok %zu - %s: %d inputs\n", i + 1, targets[i].name, k);
            }
            else {
                printf("not ok %zu - %s: no corpus in %s\n", i + 1,
                       targets[i].name, dir);
                failed++;
            }
        }
        else if (!run_forked(i + 1, targets[i].name, dir, targets[i].fn, p)) {
            failed++;
        }
        fflush(stdout);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
