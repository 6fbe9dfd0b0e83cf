/*
 * compare.c — same-run throughput comparison of Debian's libsecsipid and cliauth.
 *
 *   compare REFERENCE_LIB OUR_LIB KEY_DIR [SECONDS_PER_SAMPLE] [ROUNDS]
 *
 * Both libraries are dlopen'ed (RTLD_LOCAL, so their identical symbol names do not
 * clash) and called through the same libsecsipid ABI, identically:
 *
 *   sign          SecSIPIDGetIdentity(orig, dest, "A", "", x5u, KEY_DIR/prv.pem, &out); free(out)
 *   verify        SecSIPIDCheckFull(identity, 0, 3600, KEY_DIR/pub.pem, 5)
 *   verify-pubkey SecSIPIDCheckFullPubKey(identity, 0, 3600, <pub.pem text>, 0)
 *
 * With -DHAVE_CLIAUTH_H (and libcliauth.so given as a 6th argument, or CLIAUTH_CAPI_LIB in
 * the environment) the same operations also run through libcliauth's own C API (a signer
 * and a verifier made once, then used for every call), as a third column.
 *
 * Each sample runs one implementation for SECONDS_PER_SAMPLE (default 1) on 1 thread or
 * on all cores (pthreads, one per core, the same operation on the same inputs); the
 * implementations alternate within each round (the order is rotated every round) and the
 * median of ROUNDS (default 5) samples is reported, with ours/secsipid ratios. Every call's
 * result is checked; a failure aborts the run. Both libraries verify the identities
 * signed by the other before timing starts.
 *
 * Written for cliauth from libsecsipid's public header only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_CLIAUTH_H
#include "cliauth.h"
#endif

typedef int (*get_identity_f)(char *, char *, char *, char *, char *, char *, char **);
typedef int (*check_full_f)(char *, int, int, char *, int);
typedef int (*check_pubkey_f)(char *, int, int, char *, int);

enum { IMPL_SECSIPID, IMPL_OURS, IMPL_CAPI, N_IMPL };
enum { OP_SIGN, OP_VERIFY, OP_VERIFY_PUBKEY, N_OP };
static const char *IMPL_NAME[N_IMPL] = {"secsipid", "ours(abi)", "cliauth(capi)"};
static const char *OP_NAME[N_OP] = {"sign", "verify", "verify-pubkey"};

struct abi {
    get_identity_f get_identity;
    check_full_f check_full;
    check_pubkey_f check_full_pubkey;
};

static struct abi LIBS[2];
static int have_capi;

static char ORIG[] = "12155551212";
static char DEST[] = "12155551213";
static char ATTEST[] = "A";
static char EMPTY[] = "";
static char X5U[] = "https://cert.example.org/sp.pem";
static char PRV_PATH[1024], PUB_PATH[1024];
static char *PUB_PEM;
static char *PRV_PEM;
static char *IDENTITY; /* signed once, verified by every implementation */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    b[n] = 0;
    fclose(f);
    return b;
}

static void *need(void *h, const char *name) {
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "missing symbol %s: %s\n", name, dlerror());
        exit(2);
    }
    return p;
}

static void load_abi(struct abi *a, const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(2);
    }
    a->get_identity = (get_identity_f)need(h, "SecSIPIDGetIdentity");
    a->check_full = (check_full_f)need(h, "SecSIPIDCheckFull");
    a->check_full_pubkey = (check_pubkey_f)need(h, "SecSIPIDCheckFullPubKey");
}

#ifdef HAVE_CLIAUTH_H
#include "capi_ops.h"
#endif

/* One operation of one implementation; returns 0 on success. */
static int run_op(int impl, int op) {
    if (impl == IMPL_CAPI) {
#ifdef HAVE_CLIAUTH_H
        return capi_op(op);
#else
        return -1;
#endif
    }
    struct abi *a = &LIBS[impl];
    switch (op) {
    case OP_SIGN: {
        char *out = NULL;
        int n = a->get_identity(ORIG, DEST, ATTEST, EMPTY, X5U, PRV_PATH, &out);
        free(out);
        return n > 0 ? 0 : n;
    }
    case OP_VERIFY:
        return a->check_full(IDENTITY, 0, 3600, PUB_PATH, 5);
    case OP_VERIFY_PUBKEY:
        return a->check_full_pubkey(IDENTITY, 0, 3600, PUB_PEM, 0);
    }
    return -1;
}

struct job {
    int impl, op;
    double seconds;
    atomic_int *go;
    long count;
    int failed;
};

static void *worker(void *arg) {
    struct job *j = arg;
    while (!atomic_load(j->go)) {
    }
    double end = now_s() + j->seconds;
    long n = 0;
    for (;;) {
        for (int k = 0; k < 16; k++) {
            int r = run_op(j->impl, j->op);
            if (r != 0) {
                j->failed = r;
                j->count = n;
                return NULL;
            }
            n++;
        }
        if (now_s() >= end) break;
    }
    j->count = n;
    return NULL;
}

/* ops per second of `impl` doing `op` on `threads` threads for `seconds`. */
static double sample(int impl, int op, int threads, double seconds) {
    pthread_t t[256];
    struct job jobs[256];
    atomic_int go = 0;
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct job){impl, op, seconds, &go, 0, 0};
        pthread_create(&t[i], NULL, worker, &jobs[i]);
    }
    double start = now_s();
    atomic_store(&go, 1);
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        if (jobs[i].failed) {
            fprintf(stderr, "%s %s failed with %d\n", IMPL_NAME[impl], OP_NAME[op], jobs[i].failed);
            exit(1);
        }
        total += jobs[i].count;
    }
    double elapsed = now_s() - start;
    return (double)total / elapsed;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s REFERENCE_LIB OUR_LIB KEY_DIR [SECONDS] [ROUNDS] [LIBCLIAUTH]\n", argv[0]);
        return 2;
    }
    double seconds = argc > 4 ? atof(argv[4]) : 1.0;
    int rounds = argc > 5 ? atoi(argv[5]) : 5;
    if (rounds < 1 || rounds > 99 || seconds <= 0) {
        fprintf(stderr, "bad SECONDS or ROUNDS\n");
        return 2;
    }
    load_abi(&LIBS[IMPL_SECSIPID], argv[1]);
    load_abi(&LIBS[IMPL_OURS], argv[2]);
    snprintf(PRV_PATH, sizeof PRV_PATH, "%s/prv.pem", argv[3]);
    snprintf(PUB_PATH, sizeof PUB_PATH, "%s/pub.pem", argv[3]);
    PUB_PEM = slurp(PUB_PATH);
    PRV_PEM = slurp(PRV_PATH);
#ifdef HAVE_CLIAUTH_H
    {
        const char *capi = argc > 6 ? argv[6] : getenv("CLIAUTH_CAPI_LIB");
        have_capi = capi && *capi && capi_load(capi) == 0;
    }
#endif

    /* Cross-check: each signs, every implementation verifies. */
    for (int s = 0; s < 2; s++) {
        char *out = NULL;
        int n = LIBS[s].get_identity(ORIG, DEST, ATTEST, EMPTY, X5U, PRV_PATH, &out);
        if (n <= 0) {
            fprintf(stderr, "%s cannot sign: %d\n", IMPL_NAME[s], n);
            return 1;
        }
        for (int v = 0; v < 2; v++) {
            int r = LIBS[v].check_full(out, 0, 3600, PUB_PATH, 5);
            if (r != 0) {
                fprintf(stderr, "%s rejects the identity %s signed: %d\n", IMPL_NAME[v], IMPL_NAME[s], r);
                return 1;
            }
        }
        if (s == IMPL_OURS) IDENTITY = out; else free(out);
    }
    printf("cross-check: each library verifies the other's identities\n");
    if (have_capi) {
        for (int op = 0; op < N_OP; op++) {
            if (run_op(IMPL_CAPI, op) != 0) {
                fprintf(stderr, "libcliauth %s failed\n", OP_NAME[op]);
                return 1;
            }
        }
        printf("libcliauth C API: loaded, sign/verify checked\n");
    }

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    if (cores > 256) cores = 256;
    int thread_modes[2] = {1, (int)cores};
    int n_impl = have_capi ? 3 : 2;
    printf("%d rounds x %.2f s per sample, implementations alternating; %ld cores\n\n", rounds, seconds, cores);
    printf("%-14s %-8s %14s %14s %14s %10s %10s\n", "operation", "threads", "secsipid/s", "ours(abi)/s",
           have_capi ? "cliauth(capi)/s" : "", "abi/ref", have_capi ? "capi/ref" : "");
    for (int m = 0; m < 2; m++) {
        if (m == 1 && thread_modes[1] == 1) break;
        for (int op = 0; op < N_OP; op++) {
            double res[N_IMPL][99];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < n_impl; k++) {
                    int impl = (k + r) % n_impl; /* rotate the order every round */
                    res[impl][r] = sample(impl, op, thread_modes[m], seconds);
                }
            }
            double med[N_IMPL] = {0};
            for (int i = 0; i < n_impl; i++) {
                qsort(res[i], (size_t)rounds, sizeof(double), cmp_double);
                med[i] = res[i][rounds / 2];
            }
            char capi_col[32] = "", capi_ratio[32] = "";
            if (have_capi) {
                snprintf(capi_col, sizeof capi_col, "%14.0f", med[IMPL_CAPI]);
                snprintf(capi_ratio, sizeof capi_ratio, "%9.2fx", med[IMPL_CAPI] / med[IMPL_SECSIPID]);
            }
            printf("%-14s %-8d %14.0f %14.0f %14s %9.2fx %10s\n", OP_NAME[op], thread_modes[m], med[IMPL_SECSIPID],
                   med[IMPL_OURS], capi_col, med[IMPL_OURS] / med[IMPL_SECSIPID], capi_ratio);
            fflush(stdout);
        }
    }
    free(IDENTITY);
    free(PUB_PEM);
    free(PRV_PEM);
    return 0;
}
