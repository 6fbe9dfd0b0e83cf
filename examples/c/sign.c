/*
 * sign.c — sign caller-ID tokens with libcliauth.
 *
 *   usage: sign <key.pem> <x5u> <orig> <dest> <iat>
 *
 * Prints one line per output:
 *   needed: <length of the Identity header>   (asked for with a too-small buffer)
 *   identity: <Identity header value>          (SHAKEN, attest A, origid "c-example")
 *   token: <bare token>
 *   compact: <Identity header value with the token in compact form>
 *   div: <Identity header value of a div PASSporT, diverted to +1 215 555 0000>
 *   rcd: <Identity header value of an rcd PASSporT with the name "Alice Example">
 *   bad number: <result kind> <SIP code>       (signing for an invalid number fails)
 *
 * Build (after scripts/install-c.sh PREFIX): cc -std=c11 sign.c $(pkg-config --cflags --libs cliauth)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliauth.h"

/* Reads a whole file into a new buffer; NULL on failure. */
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

static int fail(const char *what, cliauth_result r) {
    fprintf(stderr, "%s: %s (%s, %u)\n", what, cliauth_result_text(r),
            cliauth_result_kind(r), (unsigned)r);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s <key.pem> <x5u> <orig> <dest> <iat>\n", argv[0]);
        return 2;
    }
    const char *orig = argv[3];
    const char *dest[] = {argv[4]};
    int64_t iat = strtoll(argv[5], NULL, 10);

    size_t key_len = 0;
    unsigned char *key = read_file(argv[1], &key_len);
    if (key == NULL) {
        return 1;
    }
    cliauth_signer *signer = NULL;
    cliauth_result r = cliauth_signer_new_pem(key, key_len, argv[2], &signer);
    free(key); /* the signer keeps its own copy */
    if (r != CLIAUTH_OK) {
        return fail("cliauth_signer_new_pem", r);
    }

    int status = 0;

    /* 1. Too small a buffer: the result says so and gives the length needed. Then sign
     *    into a buffer of exactly that size (plus the NUL). */
    char small[8];
    size_t needed = 0;
    r = cliauth_signer_sign_shaken(signer, orig, dest, 1, CLIAUTH_ATTEST_A, "c-example", iat,
                                   CLIAUTH_FORM_IDENTITY, small, sizeof small, &needed);
    if (r != CLIAUTH_BUFFER_TOO_SMALL) {
        status = fail("expected CLIAUTH_BUFFER_TOO_SMALL", r);
        goto out;
    }
    printf("needed: %zu\n", needed);
    char *identity = malloc(needed + 1);
    if (identity == NULL) {
        status = 1;
        goto out;
    }
    size_t len = 0;
    r = cliauth_signer_sign_shaken(signer, orig, dest, 1, CLIAUTH_ATTEST_A, "c-example", iat,
                                   CLIAUTH_FORM_IDENTITY, identity, needed + 1, &len);
    if (r != CLIAUTH_OK) {
        free(identity);
        status = fail("cliauth_signer_sign_shaken", r);
        goto out;
    }
    printf("identity: %s\n", identity);
    free(identity);

    /* 2. The other forms, into a buffer that always suffices. */
    char buf[CLIAUTH_MAX_SIGNED_LEN];
    r = cliauth_signer_sign_shaken(signer, orig, dest, 1, CLIAUTH_ATTEST_A, "c-example", iat,
                                   CLIAUTH_FORM_TOKEN, buf, sizeof buf, &len);
    if (r != CLIAUTH_OK) {
        status = fail("token", r);
        goto out;
    }
    printf("token: %s\n", buf);
    r = cliauth_signer_sign_shaken(signer, orig, dest, 1, CLIAUTH_ATTEST_A, "c-example", iat,
                                   CLIAUTH_FORM_COMPACT_IDENTITY, buf, sizeof buf, &len);
    if (r != CLIAUTH_OK) {
        status = fail("compact", r);
        goto out;
    }
    printf("compact: %s\n", buf);

    /* 3. Other extensions with the general signing function. */
    r = cliauth_signer_sign(signer, CLIAUTH_PPT_DIV, orig, dest, 1, CLIAUTH_ATTEST_NONE, NULL,
                            "+1 215 555 0000", NULL, iat, CLIAUTH_FORM_IDENTITY, buf, sizeof buf,
                            &len);
    if (r != CLIAUTH_OK) {
        status = fail("div", r);
        goto out;
    }
    printf("div: %s\n", buf);
    r = cliauth_signer_sign(signer, CLIAUTH_PPT_RCD, orig, dest, 1, CLIAUTH_ATTEST_NONE, NULL,
                            NULL, "Alice Example", iat, CLIAUTH_FORM_IDENTITY, buf, sizeof buf,
                            &len);
    if (r != CLIAUTH_OK) {
        status = fail("rcd", r);
        goto out;
    }
    printf("rcd: %s\n", buf);

    /* 4. Any claims as JSON: here div-o, which carries the original PASSporT in "opt". */
    char original[CLIAUTH_MAX_SIGNED_LEN];
    r = cliauth_signer_sign_shaken(signer, orig, dest, 1, CLIAUTH_ATTEST_A, "c-example", iat,
                                   CLIAUTH_FORM_TOKEN, original, sizeof original, &len);
    if (r != CLIAUTH_OK) {
        status = fail("original", r);
        goto out;
    }
    /* (orig and dest go into the JSON as given: pass them in canonical form.) */
    size_t json_len = len + strlen(orig) + strlen(dest[0]) + 256;
    char *json = malloc(json_len);
    if (json == NULL) {
        status = 1;
        goto out;
    }
    snprintf(json, json_len,
             "{\"dest\":{\"tn\":[\"%s\"]},\"div\":{\"tn\":\"12155550000\"},"
             "\"iat\":%lld,\"opt\":\"%s\",\"orig\":{\"tn\":\"%s\"}}",
             dest[0], (long long)iat, original, orig);
    r = cliauth_signer_sign_json(signer, CLIAUTH_PPT_DIV_O, json, CLIAUTH_FORM_IDENTITY, buf,
                                 sizeof buf, &len);
    free(json);
    if (r != CLIAUTH_OK) {
        status = fail("div-o", r);
        goto out;
    }
    printf("div-o: %s\n", buf);

    /* 5. Errors are codes with a stable kind and a SIP mapping. */
    r = cliauth_signer_sign_shaken(signer, "not a number", dest, 1, CLIAUTH_ATTEST_A, NULL, iat,
                                   CLIAUTH_FORM_IDENTITY, buf, sizeof buf, &len);
    printf("bad number: %s %u\n", cliauth_result_kind(r), (unsigned)cliauth_result_sip_code(r));

out:
    cliauth_signer_free(signer);
    return status;
}
