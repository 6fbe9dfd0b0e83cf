/*
 * verify.c — verify an Identity header with libcliauth.
 *
 *   usage: verify pubkey <public.pem> <identity> <orig> <dest> <now>
 *          verify store  <root.pem> <chain.pem> <identity> <orig> <dest> <now>
 *          verify chain  <root.pem> <chain.pem> <identity> <orig> <dest> <now>
 *          verify budget <root.pem> <chain.pem> <identity> <orig> <dest> <now>
 *
 * pubkey: check against a public key (or certificate) in hand.
 * store:  a certificate store validating x5u chains against the root; the first attempt
 *         misses (CLIAUTH_CERTIFICATE_NEEDED), then a fetch callback that serves
 *         <chain.pem> for any URL fills the store; later verifications hit the cache.
 * budget: a store verifier with a fetch budget of 50 ms and a slow fetch callback (300 ms):
 *         the callback runs on a library worker thread; the first calls get
 *         CLIAUTH_CERTIFICATE_PENDING (rejected, then let through unverified), and once
 *         the background fetch has completed the token verifies; one fetch in all.
 * chain:  one chain validated up front against the root (x5u is not looked up); verified
 *         90 s after `now` with a 120 s window, then once more in strict profile mode.
 *
 * Prints the parsed header, then the verdict as "field: value" lines. Exits 0 when the
 * (last) verification succeeded, 3 when it failed, 1 on other errors, 2 on bad usage.
 *
 * Build (after scripts/install-c.sh PREFIX): cc -std=c11 verify.c $(pkg-config --cflags --libs cliauth)
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cliauth.h"

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

static const char *or_none(const char *s) { return s != NULL ? s : "(none)"; }

/* Prints what a verdict says; returns its result. */
static cliauth_result print_verdict(const cliauth_verdict *v) {
    cliauth_result r = cliauth_verdict_result(v);
    printf("result: %s (%u)\n", cliauth_result_kind(r), (unsigned)r);
    printf("verstat: %s\n", cliauth_verdict_verstat(v));
    if (r != CLIAUTH_OK) {
        printf("sip: %u %s\n", (unsigned)cliauth_verdict_sip_code(v), cliauth_verdict_reason(v));
        printf("reason-header: %s\n", cliauth_verdict_reason_header(v));
        printf("error: %s\n", cliauth_verdict_error_text(v));
        if (cliauth_verdict_needed_url(v) != NULL) {
            printf("needed-url: %s\n", cliauth_verdict_needed_url(v));
        }
        return r;
    }
    printf("ppt: %s\n", or_none(cliauth_ppt_name(cliauth_verdict_ppt(v))));
    printf("attest: %s\n", or_none(cliauth_attest_name(cliauth_verdict_attest(v))));
    printf("orig: %s\n", cliauth_verdict_orig(v));
    for (size_t i = 0; i < cliauth_verdict_dest_count(v); i++) {
        printf("dest[%zu]: %s\n", i, cliauth_verdict_dest(v, i));
    }
    printf("origid: %s\n", or_none(cliauth_verdict_origid(v)));
    printf("x5u: %s\n", cliauth_verdict_x5u(v));
    printf("iat: %lld\n", (long long)cliauth_verdict_iat(v));
    printf("spc: %s\n", or_none(cliauth_verdict_spc(v)));
    return r;
}

/* Verifies once and prints the verdict under a heading; returns the result. */
static cliauth_result verify_and_print(const char *heading, const cliauth_verifier *verifier,
                                       const char *identity, const char *orig, const char *dest,
                                       int64_t now) {
    cliauth_verdict *verdict = NULL;
    cliauth_result r = cliauth_verifier_verify(verifier, identity, orig, dest, now, &verdict);
    printf("== %s\n", heading);
    if (verdict == NULL) { /* only for NULL arguments or an internal panic */
        printf("result: %s (%u)\n", cliauth_result_kind(r), (unsigned)r);
        return r;
    }
    print_verdict(verdict);
    cliauth_verdict_free(verdict);
    return r;
}

struct fetch_ctx {
    const char *path;
    int calls;
};

/* The fetch callback: serves the chain file for any URL. A real one would do an HTTPS GET
 * of `url` (with a timeout) in the host's HTTP client. */
static int fetch_file(void *userdata, const char *url, uint8_t *buf, size_t buf_len,
                      size_t *out_len) {
    struct fetch_ctx *ctx = userdata;
    ctx->calls++;
    printf("fetch: %s\n", url);
    FILE *f = fopen(ctx->path, "rb");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, buf_len, f);
    int too_big = n == buf_len && fgetc(f) != EOF;
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        return -1;
    }
    *out_len = too_big ? buf_len + 1 : n;
    return 0;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

struct slow_fetch_ctx {
    const char *path;
    atomic_int calls;
};

/* With a fetch budget the callback runs on a library worker thread, so what it shares
 * with the rest of the program must be thread-safe (an atomic counter here). */
static int slow_fetch(void *userdata, const char *url, uint8_t *buf, size_t buf_len,
                      size_t *out_len) {
    struct slow_fetch_ctx *ctx = userdata;
    atomic_fetch_add(&ctx->calls, 1);
    printf("fetch: %s (in the background)\n", url);
    sleep_ms(300); /* a slow repository */
    struct fetch_ctx file = {ctx->path, 0};
    return fetch_file(&file, url, buf, buf_len, out_len);
}

static void print_identity(const char *value) {
    cliauth_identity *id = NULL;
    cliauth_result r = cliauth_identity_parse(value, &id);
    if (r != CLIAUTH_OK) {
        printf("parse: %s\n", cliauth_result_kind(r));
        return;
    }
    printf("parse: info=%s alg=%s ppt=%s compact=%s token-length=%zu\n",
           or_none(cliauth_identity_info(id)), cliauth_identity_alg(id),
           or_none(cliauth_identity_ppt(id)), cliauth_identity_is_compact(id) ? "yes" : "no",
           strlen(cliauth_identity_token(id)));
    cliauth_identity_free(id);
}

/* Loads a trust with the anchors in `path`; NULL on failure. */
static cliauth_trust *load_trust(const char *path) {
    size_t len = 0;
    unsigned char *pem = read_file(path, &len);
    if (pem == NULL) {
        return NULL;
    }
    cliauth_trust *trust = NULL;
    cliauth_result r = cliauth_trust_new(&trust);
    size_t count = 0;
    if (r == CLIAUTH_OK) {
        r = cliauth_trust_add_anchors_pem(trust, pem, len, &count);
    }
    free(pem);
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "trust: %s\n", cliauth_result_text(r));
        cliauth_trust_free(trust);
        return NULL;
    }
    printf("anchors: %zu\n", count);
    return trust;
}

static int run_pubkey(char **argv) {
    size_t len = 0;
    unsigned char *pem = read_file(argv[2], &len);
    if (pem == NULL) {
        return 1;
    }
    cliauth_verifier *verifier = NULL;
    cliauth_result r = cliauth_verifier_new_pubkey(pem, len, &verifier);
    free(pem);
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "verifier: %s\n", cliauth_result_text(r));
        return 1;
    }
    int64_t now = strtoll(argv[6], NULL, 10);
    r = verify_and_print("pubkey", verifier, argv[3], argv[4], argv[5], now);
    if (r == CLIAUTH_OK) {
        /* The verdict cache: the same token again for the same Call-ID is a
         * retransmission (answered without verifying the signature again); for another
         * Call-ID within its freshness window, a replay. */
        const char *calls[] = {"call-1@example.net", "call-1@example.net", "call-2@example.net"};
        cliauth_verifier_set_verdict_cache(verifier, 1000, 0);
        printf("== replay\n");
        for (int i = 0; i < 3; i++) {
            cliauth_verdict *v = NULL;
            cliauth_result rr = cliauth_verifier_verify_call(verifier, argv[3], argv[4], argv[5],
                                                             calls[i], now, &v);
            printf("call %d: %s/%s\n", i, cliauth_result_kind(rr), cliauth_verdict_replay(v));
            cliauth_verdict_free(v);
        }
    }
    cliauth_verifier_free(verifier);
    return r == CLIAUTH_OK ? 0 : 3;
}

static int run_store(char **argv) {
    cliauth_trust *trust = load_trust(argv[2]);
    if (trust == NULL) {
        return 1;
    }
    cliauth_store *store = NULL;
    cliauth_result r = cliauth_store_new(trust, &store);
    cliauth_trust_free(trust); /* the store took a copy */
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "store: %s\n", cliauth_result_text(r));
        return 1;
    }
    cliauth_verifier *verifier = NULL;
    r = cliauth_verifier_new_store(store, &verifier);
    cliauth_store_free(store); /* the verifier shares the store and keeps it alive */
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "verifier: %s\n", cliauth_result_text(r));
        return 1;
    }
    const char *identity = argv[4], *orig = argv[5], *dest = argv[6];
    int64_t now = strtoll(argv[7], NULL, 10);

    /* Sans-IO: without a callback, a store miss tells us which URL to fetch. */
    verify_and_print("no callback", verifier, identity, orig, dest, now);

    struct fetch_ctx ctx = {argv[3], 0};
    r = cliauth_verifier_set_fetch_callback(verifier, fetch_file, &ctx);
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "set_fetch_callback: %s\n", cliauth_result_text(r));
        cliauth_verifier_free(verifier);
        return 1;
    }
    verify_and_print("with callback", verifier, identity, orig, dest, now);
    r = verify_and_print("cached", verifier, identity, orig, dest, now + 1);
    printf("fetches: %d\n", ctx.calls);
    /* The same token an hour later is stale: 403. */
    verify_and_print("an hour later", verifier, identity, orig, dest, now + 3600);
    cliauth_verifier_free(verifier);
    return r == CLIAUTH_OK ? 0 : 3;
}

static int run_budget(char **argv) {
    cliauth_trust *trust = load_trust(argv[2]);
    if (trust == NULL) {
        return 1;
    }
    cliauth_store *store = NULL;
    cliauth_result r = cliauth_store_new(trust, &store);
    cliauth_trust_free(trust);
    cliauth_verifier *verifier = NULL;
    if (r == CLIAUTH_OK) {
        r = cliauth_verifier_new_store(store, &verifier);
    }
    cliauth_store_free(store);
    struct slow_fetch_ctx ctx = {argv[3], 0};
    /* Configure before sharing: a 50 ms budget, then the callback. */
    if (r == CLIAUTH_OK) {
        r = cliauth_verifier_set_fetch_budget(verifier, 50, CLIAUTH_BUDGET_REJECT);
    }
    if (r == CLIAUTH_OK) {
        r = cliauth_verifier_set_fetch_callback(verifier, slow_fetch, &ctx);
    }
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "budget setup: %s\n", cliauth_result_text(r));
        cliauth_verifier_free(verifier);
        return 1;
    }
    const char *identity = argv[4], *orig = argv[5], *dest = argv[6];
    int64_t now = strtoll(argv[7], NULL, 10);
    /* The chain is not there within 50 ms: 436, verstat TN-Validation-Failed. */
    verify_and_print("over budget", verifier, identity, orig, dest, now);
    /* The same, configured to let such calls through unverified. */
    cliauth_verifier_set_fetch_budget(verifier, 50, CLIAUTH_BUDGET_NO_TN_VALIDATION);
    verify_and_print("over budget, let through", verifier, identity, orig, dest, now);
    /* The fetch completes in the background; a later call finds the chain. */
    for (int i = 0; i < 200; i++) {
        cliauth_verdict *v = NULL;
        r = cliauth_verifier_verify(verifier, identity, orig, dest, now, &v);
        cliauth_verdict_free(v);
        if (r != CLIAUTH_CERTIFICATE_PENDING) {
            break;
        }
        sleep_ms(25);
    }
    r = verify_and_print("after the background fetch", verifier, identity, orig, dest, now);
    printf("fetches: %d\n", atomic_load(&ctx.calls));
    /* Waits for a callback still running (none here); it is never called after this. */
    cliauth_verifier_free(verifier);
    return r == CLIAUTH_OK ? 0 : 3;
}

static int run_chain(char **argv) {
    cliauth_trust *trust = load_trust(argv[2]);
    if (trust == NULL) {
        return 1;
    }
    size_t len = 0;
    unsigned char *chain = read_file(argv[3], &len);
    if (chain == NULL) {
        cliauth_trust_free(trust);
        return 1;
    }
    int64_t now = strtoll(argv[7], NULL, 10);
    cliauth_verifier *verifier = NULL;
    cliauth_result r = cliauth_verifier_new_chain(trust, chain, len, now, &verifier);
    free(chain);
    cliauth_trust_free(trust);
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "verifier: %s (%s)\n", cliauth_result_text(r), cliauth_result_kind(r));
        return 1;
    }
    /* Configure before sharing the verifier: a wider freshness window, here. */
    r = cliauth_verifier_set_max_age(verifier, 120);
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "config: %s\n", cliauth_result_text(r));
        cliauth_verifier_free(verifier);
        return 1;
    }
    cliauth_result lenient = verify_and_print("chain", verifier, argv[4], argv[5], argv[6], now + 90);
    /* Strict mode rejects certificates with ATIS-1000080 profile faults (437). */
    r = cliauth_verifier_set_strict_profile(verifier, true);
    if (r == CLIAUTH_OK) {
        verify_and_print("chain, strict profile", verifier, argv[4], argv[5], argv[6], now + 90);
    }
    r = lenient;
    cliauth_verifier_free(verifier);
    return r == CLIAUTH_OK ? 0 : 3;
}

int main(int argc, char **argv) {
    printf("libcliauth %s\n", cliauth_version());
    if (argc == 7 && strcmp(argv[1], "pubkey") == 0) {
        print_identity(argv[3]);
        return run_pubkey(argv);
    }
    if (argc == 8 && strcmp(argv[1], "store") == 0) {
        print_identity(argv[4]);
        return run_store(argv);
    }
    if (argc == 8 && strcmp(argv[1], "budget") == 0) {
        return run_budget(argv);
    }
    if (argc == 8 && strcmp(argv[1], "chain") == 0) {
        print_identity(argv[4]);
        return run_chain(argv);
    }
    fprintf(stderr,
            "usage: %s pubkey <public.pem> <identity> <orig> <dest> <now>\n"
            "       %s store <root.pem> <chain.pem> <identity> <orig> <dest> <now>\n"
            "       %s chain <root.pem> <chain.pem> <identity> <orig> <dest> <now>\n"
            "       %s budget <root.pem> <chain.pem> <identity> <orig> <dest> <now>\n",
            argv[0], argv[0], argv[0], argv[0]);
    return 2;
}
