/*
 * threads.c — one signer and one verifier shared by four threads.
 *
 *   usage: threads <key.pem> <public.pem> <tokens-per-thread>
 *
 * Each thread signs and verifies its own tokens (distinct numbers per thread) with the
 * shared handles, checking every verdict. Prints
 *   threads: 4 x <n> verified, <failures> failed
 * and exits 0 when nothing failed.
 *
 * Build (after scripts/install-c.sh PREFIX): cc -std=c11 -pthread threads.c $(pkg-config --cflags --libs cliauth)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliauth.h"

#define THREADS 4
#define NOW 1700000000

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    unsigned char *data = malloc(cap);
    while (data != NULL) {
        n += fread(data + n, 1, cap - n, f);
        if (n < cap) {
            break;
        }
        unsigned char *bigger = realloc(data, cap * 2);
        if (bigger == NULL) {
            free(data);
            data = NULL;
            break;
        }
        data = bigger;
        cap *= 2;
    }
    if (ferror(f)) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = n;
    return data;
}

struct job {
    const cliauth_signer *signer;     /* shared, read-only */
    const cliauth_verifier *verifier; /* shared, read-only */
    int index;
    long count;
    long verified;
    long failed;
};

static void *work(void *arg) {
    struct job *job = arg;
    char identity[CLIAUTH_MAX_SIGNED_LEN];
    for (long i = 0; i < job->count; i++) {
        char orig[32], dest[32];
        snprintf(orig, sizeof orig, "1215555%04ld", (long)(job->index * 1000 + i % 1000));
        snprintf(dest, sizeof dest, "1972555%04ld", i % 10000);
        const char *dests[] = {dest};
        size_t len = 0;
        cliauth_result r =
            cliauth_signer_sign_shaken(job->signer, orig, dests, 1, CLIAUTH_ATTEST_B, NULL, NOW,
                                       CLIAUTH_FORM_IDENTITY, identity, sizeof identity, &len);
        if (r != CLIAUTH_OK) {
            job->failed++;
            continue;
        }
        cliauth_verdict *verdict = NULL;
        r = cliauth_verifier_verify(job->verifier, identity, orig, dest, NOW + 1, &verdict);
        if (r == CLIAUTH_OK && cliauth_verdict_attest(verdict) == CLIAUTH_ATTEST_B &&
            strcmp(cliauth_verdict_orig(verdict), orig) == 0) {
            job->verified++;
        } else {
            job->failed++;
        }
        cliauth_verdict_free(verdict);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s <key.pem> <public.pem> <tokens-per-thread>\n", argv[0]);
        return 2;
    }
    long count = strtol(argv[3], NULL, 10);
    size_t key_len = 0, pub_len = 0;
    unsigned char *key = read_file(argv[1], &key_len);
    unsigned char *pub = read_file(argv[2], &pub_len);
    cliauth_signer *signer = NULL;
    cliauth_verifier *verifier = NULL;
    int status = 1;
    if (key == NULL || pub == NULL) {
        goto out;
    }
    cliauth_result r = cliauth_signer_new_pem(key, key_len, "https://cert.example.net/sp.pem",
                                              &signer);
    if (r == CLIAUTH_OK) {
        r = cliauth_verifier_new_pubkey(pub, pub_len, &verifier);
    }
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "setup: %s\n", cliauth_result_text(r));
        goto out;
    }

    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    int started = 0;
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (struct job){signer, verifier, t, count, 0, 0};
        if (pthread_create(&threads[t], NULL, work, &jobs[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            break;
        }
        started++;
    }
    long verified = 0, failed = 0;
    for (int t = 0; t < started; t++) {
        pthread_join(threads[t], NULL);
        verified += jobs[t].verified;
        failed += jobs[t].failed;
    }
    printf("threads: %d x %ld verified, %ld failed\n", started,
           started > 0 ? verified / started : 0, failed);
    status = (started == THREADS && failed == 0 && verified == THREADS * count) ? 0 : 1;

out:
    cliauth_verifier_free(verifier);
    cliauth_signer_free(signer);
    free(key);
    free(pub);
    return status;
}
