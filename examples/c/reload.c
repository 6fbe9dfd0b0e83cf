/*
 * reload.c — replace a store's trust anchors and CRLs while it is in use.
 *
 *   usage: reload <root.pem> <chain.pem> <revoking-crl.pem> <identity> <orig> <dest> <now>
 *
 * A store trusting <root.pem> caches <chain.pem> under the token's x5u; a verifier shares
 * the store. Then the trust is reloaded with <revoking-crl.pem> added
 * (cliauth_store_replace_trust): the cached chain is revalidated, found revoked and
 * dropped; inserting it again is refused. Reloaded once more without the CRL, the chain is
 * accepted again. A real host reloads from a timer or a SIGHUP handler, while its other
 * threads go on verifying.
 *
 * Prints "field: value" lines under "== heading" lines. Exits 0 when every step did what
 * it should, 3 when one did not, 1 on other errors, 2 on bad usage.
 *
 * Build (after scripts/install-c.sh PREFIX): cc -std=c11 reload.c $(pkg-config --cflags --libs cliauth)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A trust with the anchors in `root` and, when `crl` is not NULL, the CRLs in `crl`. */
static cliauth_trust *load_trust(const char *root, const char *crl) {
    cliauth_trust *trust = NULL;
    if (cliauth_trust_new(&trust) != CLIAUTH_OK) {
        return NULL;
    }
    const char *paths[2] = {root, crl};
    for (int i = 0; i < 2 && paths[i] != NULL; i++) {
        size_t len = 0;
        unsigned char *pem = read_file(paths[i], &len);
        if (pem == NULL) {
            cliauth_trust_free(trust);
            return NULL;
        }
        cliauth_result r = i == 0 ? cliauth_trust_add_anchors_pem(trust, pem, len, NULL)
                                  : cliauth_trust_add_crls_pem(trust, pem, len, NULL);
        free(pem);
        if (r != CLIAUTH_OK) {
            fprintf(stderr, "%s: %s\n", paths[i], cliauth_result_text(r));
            cliauth_trust_free(trust);
            return NULL;
        }
    }
    return trust;
}

/* Verifies once; prints and returns the result. */
static cliauth_result verify(const char *heading, const cliauth_verifier *verifier,
                             const char *identity, const char *orig, const char *dest,
                             int64_t now) {
    cliauth_verdict *verdict = NULL;
    cliauth_result r = cliauth_verifier_verify(verifier, identity, orig, dest, now, &verdict);
    printf("== %s\n", heading);
    printf("result: %s (%u)\n", cliauth_result_kind(r), (unsigned)r);
    cliauth_verdict_free(verdict);
    return r;
}

/* Replaces the store's trust; prints what happened to the cached chains. */
static cliauth_result reload(const char *heading, const cliauth_store *store, const char *root,
                             const char *crl, int64_t now) {
    cliauth_trust *trust = load_trust(root, crl);
    if (trust == NULL) {
        return CLIAUTH_INVALID_PARAMETER;
    }
    size_t kept = 0, dropped = 0;
    cliauth_result r = cliauth_store_replace_trust(store, trust, now, &kept, &dropped);
    cliauth_trust_free(trust); /* the store took a copy */
    printf("== %s\n", heading);
    printf("reload: %s\n", cliauth_result_kind(r));
    printf("kept: %zu\n", kept);
    printf("dropped: %zu\n", dropped);
    return r;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr,
                "usage: %s <root.pem> <chain.pem> <revoking-crl.pem> <identity> <orig> <dest> "
                "<now>\n",
                argv[0]);
        return 2;
    }
    const char *root = argv[1], *identity = argv[4], *orig = argv[5], *dest = argv[6];
    int64_t now = strtoll(argv[7], NULL, 10);
    size_t chain_len = 0;
    unsigned char *chain = read_file(argv[2], &chain_len);
    cliauth_trust *trust = load_trust(root, NULL);
    if (chain == NULL || trust == NULL) {
        free(chain);
        cliauth_trust_free(trust);
        return 1;
    }
    cliauth_store *store = NULL;
    cliauth_verifier *verifier = NULL;
    cliauth_result r = cliauth_store_new(trust, &store);
    cliauth_trust_free(trust);
    if (r == CLIAUTH_OK) {
        r = cliauth_verifier_new_store(store, &verifier);
    }
    /* The x5u the token names: the sans-IO miss says which URL to fill. */
    char url[2048] = "";
    if (r == CLIAUTH_OK) {
        cliauth_verdict *miss = NULL;
        cliauth_verifier_verify(verifier, identity, orig, dest, now, &miss);
        const char *needed = miss != NULL ? cliauth_verdict_needed_url(miss) : NULL;
        if (needed != NULL && strlen(needed) < sizeof url) {
            strcpy(url, needed);
        }
        cliauth_verdict_free(miss);
        r = url[0] != '\0' ? CLIAUTH_OK : CLIAUTH_INVALID_PARAMETER;
    }
    if (r != CLIAUTH_OK) {
        fprintf(stderr, "setup: %s\n", cliauth_result_text(r));
        free(chain);
        cliauth_verifier_free(verifier);
        cliauth_store_free(store);
        return 1;
    }
    int ok = 1;
    ok &= cliauth_store_insert(store, url, chain, chain_len, now, -1) == CLIAUTH_OK;
    ok &= verify("before", verifier, identity, orig, dest, now) == CLIAUTH_OK;

    ok &= reload("reload with the CRL", store, root, argv[3], now) == CLIAUTH_OK;
    ok &= verify("after", verifier, identity, orig, dest, now) == CLIAUTH_CERTIFICATE_NEEDED;
    r = cliauth_store_insert(store, url, chain, chain_len, now, -1);
    printf("insert: %s\n", cliauth_result_kind(r));
    ok &= r == CLIAUTH_CERT_REVOKED;

    ok &= reload("reload without the CRL", store, root, NULL, now) == CLIAUTH_OK;
    ok &= cliauth_store_insert(store, url, chain, chain_len, now, -1) == CLIAUTH_OK;
    ok &= verify("again", verifier, identity, orig, dest, now) == CLIAUTH_OK;

    free(chain);
    cliauth_verifier_free(verifier);
    cliauth_store_free(store);
    return ok ? 0 : 3;
}
