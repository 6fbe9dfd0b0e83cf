/*
 * capi_ops.h — the third column of compare.c: the same operations through libcliauth's
 * own C API (include/cliauth.h), loaded with dlopen like the two libsecsipid ABIs.
 *
 *   sign           one cliauth_signer (made once) -> cliauth_signer_sign_shaken(identity form)
 *   verify         one cliauth_verifier (public key, made once, max age 3600 s)
 *                  -> cliauth_verifier_verify(IDENTITY) -> cliauth_verdict_free
 *   verify-pubkey  per call: cliauth_verifier_new_pubkey(<pub.pem text>) -> verify -> free,
 *                  the analogue of SecSIPIDCheckFullPubKey's key-text-per-call
 *
 * Included by compare.c when built with -DHAVE_CLIAUTH_H.
 */
#ifndef CAPI_OPS_H
#define CAPI_OPS_H

static __typeof__(&cliauth_signer_new_pem) p_signer_new_pem;
static __typeof__(&cliauth_signer_sign_shaken) p_signer_sign_shaken;
static __typeof__(&cliauth_verifier_new_pubkey) p_verifier_new_pubkey;
static __typeof__(&cliauth_verifier_set_max_age) p_verifier_set_max_age;
static __typeof__(&cliauth_verifier_verify) p_verifier_verify;
static __typeof__(&cliauth_verifier_free) p_verifier_free;
static __typeof__(&cliauth_verdict_free) p_verdict_free;

static cliauth_signer *capi_signer;
static cliauth_verifier *capi_verifier;

static int capi_load(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s (C API column skipped)\n", path, dlerror());
        return -1;
    }
#define CAPI_SYM(var, name)                                                                  \
    do {                                                                                     \
        *(void **)(&var) = dlsym(h, name);                                                   \
        if (!var) {                                                                          \
            fprintf(stderr, "libcliauth: missing %s (C API column skipped)\n", name);        \
            return -1;                                                                       \
        }                                                                                    \
    } while (0)
    CAPI_SYM(p_signer_new_pem, "cliauth_signer_new_pem");
    CAPI_SYM(p_signer_sign_shaken, "cliauth_signer_sign_shaken");
    CAPI_SYM(p_verifier_new_pubkey, "cliauth_verifier_new_pubkey");
    CAPI_SYM(p_verifier_set_max_age, "cliauth_verifier_set_max_age");
    CAPI_SYM(p_verifier_verify, "cliauth_verifier_verify");
    CAPI_SYM(p_verifier_free, "cliauth_verifier_free");
    CAPI_SYM(p_verdict_free, "cliauth_verdict_free");
#undef CAPI_SYM
    if (p_signer_new_pem((const uint8_t *)PRV_PEM, strlen(PRV_PEM), X5U, &capi_signer) != CLIAUTH_OK ||
        p_verifier_new_pubkey((const uint8_t *)PUB_PEM, strlen(PUB_PEM), &capi_verifier) != CLIAUTH_OK ||
        p_verifier_set_max_age(capi_verifier, 3600) != CLIAUTH_OK) {
        fprintf(stderr, "libcliauth: cannot make a signer or verifier (C API column skipped)\n");
        return -1;
    }
    return 0;
}

static int capi_verify_with(const cliauth_verifier *v) {
    cliauth_verdict *verdict = NULL;
    cliauth_result r = p_verifier_verify(v, IDENTITY, NULL, NULL, (int64_t)time(NULL), &verdict);
    p_verdict_free(verdict);
    return r == CLIAUTH_OK ? 0 : (int)r;
}

static int capi_op(int op) {
    switch (op) {
    case OP_SIGN: {
        char buf[CLIAUTH_MAX_SIGNED_LEN];
        size_t len = 0;
        const char *dest[1] = {DEST};
        cliauth_result r = p_signer_sign_shaken(capi_signer, ORIG, dest, 1, CLIAUTH_ATTEST_A, NULL,
                                                (int64_t)time(NULL), CLIAUTH_FORM_IDENTITY, buf, sizeof buf,
                                                &len);
        return r == CLIAUTH_OK && len > 0 ? 0 : (int)r;
    }
    case OP_VERIFY:
        return capi_verify_with(capi_verifier);
    case OP_VERIFY_PUBKEY: {
        cliauth_verifier *v = NULL;
        if (p_verifier_new_pubkey((const uint8_t *)PUB_PEM, strlen(PUB_PEM), &v) != CLIAUTH_OK) return -1;
        if (p_verifier_set_max_age(v, 3600) != CLIAUTH_OK) return -1;
        int r = capi_verify_with(v);
        p_verifier_free(v);
        return r;
    }
    }
    return -1;
}

#endif
