/*
 * abi_probe.c — runs the same list of calls against one libsecsipid ABI implementation
 * (dlopen'ed from the path given as argv[1]) and prints one line per call:
 *
 *     <case> <return code> [<normalised output>]
 *
 * Run it on Debian's libsecsipid.so.1 and on ours (compat/secsipid) and diff the two
 * outputs: every return code must be the same. Outputs that contain random parts
 * (signatures, generated origid, iat) are normalised before printing.
 *
 * Usage: abi_probe LIB FIXTURE_DIR [EDGE_CASE]
 *   FIXTURE_DIR holds ec.pem (SEC1), ec-pk8.pem (PKCS#8), ec-pub.pem, cert.pem
 *   (self-signed, valid now), expired.pem (self-signed, expired), rsa.pem, rsa-pub.pem,
 *   junk.pem, other-pub.pem (another P-256 public key).
 *
 * Written for cliauth from the public header (secsipid.h / libsecsipid.h) only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*sign_json_hp_f)(char *, char *, char *, char **);
typedef int (*get_identity_f)(char *, char *, char *, char *, char *, char *, char **);
typedef int (*check_f)(char *, int, int, char *, int);
typedef int (*check_pubkey_f)(char *, int, int, char *, int);
typedef int (*cache_opts_f)(char *, int);
typedef int (*get_url_f)(char *, int, char **, int *);
typedef int (*opt_s_f)(char *, char *);
typedef int (*opt_n_f)(char *, int);
typedef int (*opt_v_f)(char *);

static sign_json_hp_f SignJSONHP;
static get_identity_f GetIdentity, GetIdentityPrvKey;
static check_f Check, CheckFull;
static check_pubkey_f CheckFullPubKey;
static cache_opts_f SetFileCacheOptions;
static get_url_f GetURLContent;
static opt_s_f OptSetS;
static opt_n_f OptSetN;
static opt_v_f OptSetV;

static const char *dir;
static char path_buf[8][1024];
static int path_i;

static char *fx(const char *name) {
    char *p = path_buf[path_i++ % 8];
    snprintf(p, 1024, "%s/%s", dir, name);
    return p;
}

static char *slurp(const char *name) {
    FILE *f = fopen(fx(name), "rb");
    if (!f) {
        fprintf(stderr, "cannot open fixture %s\n", name);
        exit(2);
    }
    static char bufs[4][16384];
    static int bi;
    char *b = bufs[bi++ % 4];
    size_t n = fread(b, 1, sizeof(bufs[0]) - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

static void *sym(void *h, const char *name) {
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "missing symbol %s\n", name);
        exit(2);
    }
    return p;
}

/* base64url (no padding) encode / decode, enough for the probe */
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64e(const char *in, char *out) {
    size_t n = strlen(in), o = 0;
    const unsigned char *s = (const unsigned char *)in;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        if (i + 1 < n) out[o++] = B64[(v >> 6) & 63];
        if (i + 2 < n) out[o++] = B64[v & 63];
    }
    out[o] = 0;
}

static int b64v(char c) {
    const char *p = strchr(B64, c);
    return (p && c) ? (int)(p - B64) : -1;
}

static void b64d(const char *in, size_t n, char *out) {
    size_t o = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int d = b64v(in[i]);
        if (d < 0) break;
        v = v << 6 | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((v >> bits) & 0xff);
        }
    }
    out[o] = 0;
}

/* Replace the value of "key":<value> in JSON text with X (for iat and origid). */
static void blank_member(char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    char *p = strstr(json, pat);
    if (!p) return;
    p += strlen(pat);
    char *e = p;
    if (*e == '"') {
        e++;
        while (*e && *e != '"') e++;
        if (*e) e++;
    } else {
        while (*e && *e != ',' && *e != '}') e++;
    }
    memmove(p + 1, e, strlen(e) + 1);
    *p = 'X';
}

/* Print an Identity value with the token decoded: header JSON, payload JSON, signature
 * length, then the parameters. */
static void show_identity(const char *v) {
    const char *d1 = strchr(v, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2) {
        printf(" undecodable:%s", v);
        return;
    }
    const char *semi = strchr(d2, ';');
    size_t siglen = semi ? (size_t)(semi - d2 - 1) : strlen(d2 + 1);
    char h[4096], p[4096];
    b64d(v, (size_t)(d1 - v), h);
    b64d(d1 + 1, (size_t)(d2 - d1 - 1), p);
    blank_member(p, "iat");
    blank_member(p, "origid");
    printf(" hdr=%s payload=%s siglen=%zu params=%s", h, p, siglen, semi ? semi : "(none)");
}

static void line_out(const char *name, int ret, char *out, int identity) {
    printf("%-28s %d", name, ret);
    if (out) {
        if (ret > 0 && (int)strlen(out) != ret) printf(" LENGTH-MISMATCH(%zu)", strlen(out));
        if (identity && ret > 0) show_identity(out);
        else if (!identity) printf(" out=%.60s", out);
        free(out); /* as Kamailio does: free() on the returned pointer */
    } else {
        printf(" out=NULL");
    }
    printf("\n");
}

static char X5U[] = "https://cert.example.org/sp.pem";

static int sign_custom(const char *hdr, const char *payload, char *out, size_t cap) {
    char *o = NULL;
    int r = SignJSONHP((char *)hdr, (char *)payload, fx("ec.pem"), &o);
    if (r > 0 && o) snprintf(out, cap, "%s", o);
    else out[0] = 0;
    free(o);
    return r;
}

static void payload_at(char *buf, size_t cap, long iat) {
    snprintf(buf, cap,
             "{\"attest\":\"A\",\"dest\":{\"tn\":[\"12155551213\"]},\"iat\":%ld,"
             "\"orig\":{\"tn\":\"12155551212\"},\"origid\":\"abc\"}",
             iat);
}

#define HDR_OK "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"https://cert.example.org/sp.pem\"}"

/* Edge cases that may crash an implementation: each runs in its own process
 * (abi_probe LIB DIR N runs case N only; prints END past the last one). */
static int run_edge(int n) {
    char *o = NULL;
    int len = 0, r;
    switch (n) {
    case 0: r = OptSetV("CacheExpires"); printf("%-28s %d\n", "edge/opt_v-no-equals", r); break;
    case 1: r = OptSetV(""); printf("%-28s %d\n", "edge/opt_v-empty", r); break;
    case 2: r = OptSetV(NULL); printf("%-28s %d\n", "edge/opt_v-null", r); break;
    case 3: r = Check(NULL, 0, 60, fx("ec-pub.pem"), 1); printf("%-28s %d\n", "edge/check-null", r); break;
    case 4: r = CheckFull(NULL, 0, 60, fx("ec-pub.pem"), 1); printf("%-28s %d\n", "edge/check_full-null", r); break;
    case 5: r = CheckFull("a.b.c;info", 0, 60, fx("ec-pub.pem"), 1); printf("%-28s %d\n", "edge/check_full-info-noval", r); break;
    case 6: r = CheckFullPubKey("a.b.c", 0, 60, NULL, 0); printf("%-28s %d\n", "edge/pubkey-null", r); break;
    case 7:
        r = GetIdentity(NULL, NULL, NULL, NULL, NULL, fx("ec.pem"), &o);
        printf("%-28s %d out=%s\n", "edge/get_identity-nulls", r, o ? "set" : "NULL");
        free(o);
        break;
    case 8: r = GetIdentity("1", "2", "A", "", "https://x/y", fx("ec.pem"), NULL); printf("%-28s %d\n", "edge/get_identity-null-out", r); break;
    case 9: r = OptSetS(NULL, NULL); printf("%-28s %d\n", "edge/opt_s-null", r); break;
    case 10: r = OptSetN(NULL, 1); printf("%-28s %d\n", "edge/opt_n-null", r); break;
    case 11: r = SetFileCacheOptions(NULL, 1); printf("%-28s %d\n", "edge/cache-null", r); break;
    case 12:
        r = GetURLContent(NULL, 1, &o, &len);
        printf("%-28s %d out=%s\n", "edge/get_url-null", r, o ? "set" : "NULL");
        free(o);
        break;
    case 13: r = Check("a.b.c", -5, 60, fx("ec-pub.pem"), 1); printf("%-28s %d\n", "edge/check-negative-len", r); break;
    case 14: r = SignJSONHP(NULL, NULL, NULL, &o); printf("%-28s %d out=%s\n", "edge/sign-nulls", r, o ? "set" : "NULL"); free(o); break;
    case 15: r = CheckFull("x;info=<http://127.0.0.1:9/k.pem>", 0, 60, "", 1); printf("%-28s %d\n", "edge/check_full-x", r); break;
    case 16: r = CheckFull(";;;", 0, 60, fx("ec-pub.pem"), 1); printf("%-28s %d\n", "edge/check_full-semis", r); break;
    default: printf("END\n"); return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s LIB FIXTURE_DIR [EDGE_CASE]\n", argv[0]);
        return 2;
    }
    dir = argv[2];
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
        return 2;
    }
    SignJSONHP = (sign_json_hp_f)sym(h, "SecSIPIDSignJSONHP");
    GetIdentity = (get_identity_f)sym(h, "SecSIPIDGetIdentity");
    GetIdentityPrvKey = (get_identity_f)sym(h, "SecSIPIDGetIdentityPrvKey");
    Check = (check_f)sym(h, "SecSIPIDCheck");
    CheckFull = (check_f)sym(h, "SecSIPIDCheckFull");
    CheckFullPubKey = (check_pubkey_f)sym(h, "SecSIPIDCheckFullPubKey");
    SetFileCacheOptions = (cache_opts_f)sym(h, "SecSIPIDSetFileCacheOptions");
    GetURLContent = (get_url_f)sym(h, "SecSIPIDGetURLContent");
    OptSetS = (opt_s_f)sym(h, "SecSIPIDOptSetS");
    OptSetN = (opt_n_f)sym(h, "SecSIPIDOptSetN");
    OptSetV = (opt_v_f)sym(h, "SecSIPIDOptSetV");

    if (argc == 4) return run_edge(atoi(argv[3])) == 0 ? 0 : 3;

    char *o;
    int r;
    long now = (long)time(NULL);

    /* ---- signing ---- */
    o = NULL; r = GetIdentity("12155551212", "12155551213", "A", "", X5U, fx("ec.pem"), &o);
    line_out("get_identity/ok", r, o, 1);
    o = NULL; r = GetIdentity("12155551212", "12155551213", "B", "my-orig-id", X5U, fx("ec-pk8.pem"), &o);
    line_out("get_identity/pkcs8+origid", r, o, 1);
    o = NULL; r = GetIdentity("+1 215-555-1212", "+12155551213", "C", "x", X5U, fx("ec.pem"), &o);
    line_out("get_identity/plus-numbers", r, o, 1);
    o = NULL; r = GetIdentity("12155551212", "12155551213", "X", "x", X5U, fx("ec.pem"), &o);
    line_out("get_identity/attest-X", r, o, 1);
    o = NULL; r = GetIdentity("", "", "A", "x", X5U, fx("ec.pem"), &o);
    line_out("get_identity/empty-numbers", r, o, 1);
    o = NULL; r = GetIdentity("12155551212", "12155551213", "A", "x", "", fx("ec.pem"), &o);
    line_out("get_identity/empty-x5u", r, o, 1);
    o = NULL; r = GetIdentity("12155551212", "12155551213", "A", "x", X5U, fx("missing.pem"), &o);
    line_out("get_identity/missing-key", r, o, 1);
    o = NULL; r = GetIdentity("12155551212", "12155551213", "A", "x", X5U, fx("junk.pem"), &o);
    line_out("get_identity/junk-key", r, o, 1);
    o = NULL; r = GetIdentity("12155551212", "12155551213", "A", "x", X5U, fx("rsa.pem"), &o);
    line_out("get_identity/rsa-key", r, o, 1);
    o = NULL; r = GetIdentity("12155551212", "12155551213", "A", "x", X5U, fx("ec-pub.pem"), &o);
    line_out("get_identity/pubkey-as-key", r, o, 1);
    o = NULL; r = GetIdentityPrvKey("12155551212", "12155551213", "A", "", X5U, slurp("ec.pem"), &o);
    line_out("get_identity_prvkey/ok", r, o, 1);
    o = NULL; r = GetIdentityPrvKey("12155551212", "12155551213", "A", "", X5U, slurp("ec-pk8.pem"), &o);
    line_out("get_identity_prvkey/pkcs8", r, o, 1);
    o = NULL; r = GetIdentityPrvKey("12155551212", "12155551213", "A", "", X5U, "junk", &o);
    line_out("get_identity_prvkey/junk", r, o, 1);
    o = NULL; r = GetIdentityPrvKey("12155551212", "12155551213", "A", "", X5U, "", &o);
    line_out("get_identity_prvkey/empty", r, o, 1);
    o = NULL; r = GetIdentityPrvKey("12155551212", "12155551213", "A", "", X5U, slurp("rsa.pem"), &o);
    line_out("get_identity_prvkey/rsa", r, o, 1);

    char pl[512];
    payload_at(pl, sizeof pl, now);
    o = NULL; r = SignJSONHP(HDR_OK, pl, fx("ec.pem"), &o);
    line_out("sign_json_hp/ok", r, o, 1);
    o = NULL; r = SignJSONHP("  " HDR_OK "\n", pl, fx("ec.pem"), &o);
    line_out("sign_json_hp/spaces", r, o, 1);
    o = NULL; r = SignJSONHP("{\"b\":1, \"a\":2}", "{\"z\": [1, 2], \"y\": \"v\"}", fx("ec.pem"), &o);
    line_out("sign_json_hp/unsorted", r, o, 1);
    o = NULL; r = SignJSONHP("not json", pl, fx("ec.pem"), &o);
    line_out("sign_json_hp/bad-header", r, o, 1);
    o = NULL; r = SignJSONHP(HDR_OK, "not json", fx("ec.pem"), &o);
    line_out("sign_json_hp/bad-payload", r, o, 1);
    o = NULL; r = SignJSONHP(HDR_OK, pl, fx("missing.pem"), &o);
    line_out("sign_json_hp/missing-key", r, o, 1);
    o = NULL; r = SignJSONHP(HDR_OK, pl, fx("junk.pem"), &o);
    line_out("sign_json_hp/junk-key", r, o, 1);
    o = NULL; r = SignJSONHP(HDR_OK, pl, fx("rsa.pem"), &o);
    line_out("sign_json_hp/rsa-key", r, o, 1);

    /* ---- checking ---- */
    char good[2048], tok[2048], full[2400], buf[2400];
    o = NULL;
    r = GetIdentity("12155551212", "12155551213", "A", "", X5U, fx("ec.pem"), &o);
    if (r <= 0 || !o) {
        printf("cannot sign: %d\n", r);
        return 1;
    }
    snprintf(good, sizeof good, "%s", o);
    free(o);
    snprintf(tok, sizeof tok, "%s", good);
    *strchr(tok, ';') = 0;
    snprintf(full, sizeof full, "%s;info=<%s>;alg=ES256;ppt=shaken", tok, X5U);

    printf("%-28s %d\n", "check/ok", Check(tok, 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check/full-value", Check(good, 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check/cert-as-key", Check(tok, 0, 60, fx("cert.pem"), 5));
    printf("%-28s %d\n", "check/other-key", Check(tok, 0, 60, fx("other-pub.pem"), 5));
    printf("%-28s %d\n", "check/missing-key", Check(tok, 0, 60, fx("missing.pem"), 5));
    printf("%-28s %d\n", "check/junk-key", Check(tok, 0, 60, fx("junk.pem"), 5));
    printf("%-28s %d\n", "check/rsa-key", Check(tok, 0, 60, fx("rsa-pub.pem"), 5));
    printf("%-28s %d\n", "check/private-as-key", Check(tok, 0, 60, fx("ec.pem"), 5));
    snprintf(buf, sizeof buf, "file://%s", fx("ec-pub.pem"));
    printf("%-28s %d\n", "check/file-url", Check(tok, 0, 60, buf, 5));
    printf("%-28s %d\n", "check/http-refused", Check(tok, 0, 60, "http://127.0.0.1:9/k.pem", 2));
    printf("%-28s %d\n", "check/empty-string", Check("", 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check/two-parts", Check("abc.def", 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check/four-parts", Check("a.b.c.d", 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check/garbage-payload", Check("eyJhIjoxfQ.!!!.AAAA", 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check/non-json-payload", Check("eyJhIjoxfQ.bm90anNvbg.AAAA", 0, 60, fx("ec-pub.pem"), 5));
    /* identityLen: only the first len bytes count */
    snprintf(buf, sizeof buf, "%sGARBAGE", tok);
    printf("%-28s %d\n", "check/len-prefix", Check(buf, (int)strlen(tok), 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check/len-zero-garbage", Check(buf, 0, 60, fx("ec-pub.pem"), 5));
    /* tampering */
    snprintf(buf, sizeof buf, "%s", tok);
    {
        char *last = strrchr(buf, '.');
        last[5] = last[5] == 'A' ? 'B' : 'A';
    }
    printf("%-28s %d\n", "check/bad-signature", Check(buf, 0, 60, fx("ec-pub.pem"), 5));
    snprintf(buf, sizeof buf, "%s", tok);
    strcpy(strrchr(buf, '.') + 1, "AAAA");
    printf("%-28s %d\n", "check/short-signature", Check(buf, 0, 60, fx("ec-pub.pem"), 5));
    {
        char pl2[512], t2[2048];
        payload_at(pl2, sizeof pl2, now);
        sign_custom(HDR_OK, pl2, t2, sizeof t2);
        /* swap the payload for another one with the same shape */
        char pl3[512], b3[1024];
        payload_at(pl3, sizeof pl3, now + 1);
        b64e(pl3, b3);
        char *d1 = strchr(t2, '.'), *d2 = strchr(d1 + 1, '.');
        snprintf(buf, sizeof buf, "%.*s.%s%s", (int)(d1 - t2), t2, b3, d2);
        printf("%-28s %d\n", "check/tampered-payload", Check(buf, 0, 60, fx("ec-pub.pem"), 5));
    }
    {
        char pl2[512], t2[2048];
        payload_at(pl2, sizeof pl2, now - 3600);
        sign_custom(HDR_OK, pl2, t2, sizeof t2);
        printf("%-28s %d\n", "check/expired", Check(t2, 0, 60, fx("ec-pub.pem"), 5));
        printf("%-28s %d\n", "check/expired-long-expire", Check(t2, 0, 7200, fx("ec-pub.pem"), 5));
        printf("%-28s %d\n", "check/expired-bad-sig-key", Check(t2, 0, 60, fx("other-pub.pem"), 5));
        payload_at(pl2, sizeof pl2, now + 3600);
        sign_custom(HDR_OK, pl2, t2, sizeof t2);
        printf("%-28s %d\n", "check/future-iat", Check(t2, 0, 60, fx("ec-pub.pem"), 5));
        payload_at(pl2, sizeof pl2, 0);
        sign_custom(HDR_OK, pl2, t2, sizeof t2);
        printf("%-28s %d\n", "check/iat-zero", Check(t2, 0, 60, fx("ec-pub.pem"), 5));
        sign_custom(HDR_OK, "{\"attest\":\"A\",\"iat\":\"x\"}", t2, sizeof t2);
        printf("%-28s %d\n", "check/iat-string", Check(t2, 0, 60, fx("ec-pub.pem"), 5));
        sign_custom(HDR_OK, "{\"attest\":\"A\"}", t2, sizeof t2);
        printf("%-28s %d\n", "check/no-iat", Check(t2, 0, 60, fx("ec-pub.pem"), 5));
        printf("%-28s %d\n", "check/expire-zero", Check(tok, 0, 0, fx("ec-pub.pem"), 5));
    }

    printf("%-28s %d\n", "check_full/ok", CheckFull(full, 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check_full/as-signed", CheckFull(good, 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check_full/token-only", CheckFull(tok, 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check_full/cert-key", CheckFull(full, 0, 60, fx("cert.pem"), 5));
    printf("%-28s %d\n", "check_full/other-key", CheckFull(full, 0, 60, fx("other-pub.pem"), 5));
    printf("%-28s %d\n", "check_full/missing-key", CheckFull(full, 0, 60, fx("missing.pem"), 5));
    printf("%-28s %d\n", "check_full/empty", CheckFull("", 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "check_full/semicolon-only", CheckFull(";", 0, 60, fx("ec-pub.pem"), 5));
#define CF(name, fmt, ...)                                                                   \
    do {                                                                                     \
        snprintf(buf, sizeof buf, fmt, __VA_ARGS__);                                         \
        printf("%-28s %d\n", name, CheckFull(buf, 0, 60, fx("ec-pub.pem"), 5));              \
    } while (0)
    CF("check_full/alg-RS256", "%s;info=<%s>;alg=RS256;ppt=shaken", tok, X5U);
    CF("check_full/ppt-div", "%s;info=<%s>;alg=ES256;ppt=div", tok, X5U);
    CF("check_full/ppt-quoted", "%s;info=<%s>;alg=ES256;ppt=\"shaken\"", tok, X5U);
    CF("check_full/no-info", "%s;alg=ES256;ppt=shaken", tok);
    CF("check_full/info-mismatch", "%s;info=<https://other.example/x.pem>;alg=ES256;ppt=shaken", tok);
    CF("check_full/info-no-brackets", "%s;info=%s;alg=ES256;ppt=shaken", tok, X5U);
    CF("check_full/info-short", "%s;info=<>;alg=ES256", tok);
    CF("check_full/reordered", "%s;ppt=shaken;alg=ES256;info=<%s>", tok, X5U);
    CF("check_full/spaces", "%s ; info=<%s> ; alg=ES256 ; ppt=shaken", tok, X5U);
    CF("check_full/unknown-param", "%s;info=<%s>;foo=bar;alg=ES256", tok, X5U);
    CF("check_full/upper-ALG", "%s;info=<%s>;ALG=RS256", tok, X5U);
    CF("check_full/only-info", "%s;info=<%s>", tok, X5U);
    CF("check_full/trailing-semi", "%s;info=<%s>;", tok, X5U);
    CF("check_full/bad-sig+bad-alg", "%sA;info=<%s>;alg=RS256", tok, X5U);
    {
        char pl2[512], t2[2048];
        payload_at(pl2, sizeof pl2, now);
        sign_custom("{\"alg\":\"RS256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"https://cert.example.org/sp.pem\"}", pl2, t2, sizeof t2);
        CF("check_full/hdr-alg", "%s;info=<%s>;alg=ES256;ppt=shaken", t2, X5U);
        sign_custom("{\"alg\":\"ES256\",\"ppt\":\"div\",\"typ\":\"passport\",\"x5u\":\"https://cert.example.org/sp.pem\"}", pl2, t2, sizeof t2);
        CF("check_full/hdr-ppt", "%s;info=<%s>;alg=ES256", t2, X5U);
        sign_custom("{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"JWT\",\"x5u\":\"https://cert.example.org/sp.pem\"}", pl2, t2, sizeof t2);
        CF("check_full/hdr-typ", "%s;info=<%s>;alg=ES256", t2, X5U);
        sign_custom("{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"https://elsewhere.example/sp.pem\"}", pl2, t2, sizeof t2);
        CF("check_full/hdr-x5u", "%s;info=<%s>;alg=ES256", t2, X5U);
        sign_custom("{\"typ\":\"passport\"}", pl2, t2, sizeof t2);
        CF("check_full/hdr-minimal", "%s;info=<%s>;alg=ES256", t2, X5U);
        sign_custom("not json", pl2, t2, sizeof t2);
        CF("check_full/hdr-not-json", "%s;info=<%s>;alg=ES256", t2, X5U);
        payload_at(pl2, sizeof pl2, now - 3600);
        sign_custom(HDR_OK, pl2, t2, sizeof t2);
        CF("check_full/expired", "%s;info=<%s>;alg=ES256;ppt=shaken", t2, X5U);
        CF("check_full/expired+bad-alg", "%s;info=<%s>;alg=RS256;ppt=shaken", t2, X5U);
    }
    snprintf(buf, sizeof buf, "%s;info=<%s>;alg=ES256;ppt=shaken\r\nVia: x", tok, X5U);
    printf("%-28s %d\n", "check_full/len", CheckFull(buf, (int)strlen(full), 60, fx("ec-pub.pem"), 5));

    char *pub = slurp("ec-pub.pem");
    printf("%-28s %d\n", "check_full_pubkey/ok", CheckFullPubKey(full, 0, 60, pub, 0));
    printf("%-28s %d\n", "check_full_pubkey/len", CheckFullPubKey(full, (int)strlen(full), 60, pub, (int)strlen(pub)));
    printf("%-28s %d\n", "check_full_pubkey/cert", CheckFullPubKey(full, 0, 60, slurp("cert.pem"), 0));
    printf("%-28s %d\n", "check_full_pubkey/other", CheckFullPubKey(full, 0, 60, slurp("other-pub.pem"), 0));
    printf("%-28s %d\n", "check_full_pubkey/junk", CheckFullPubKey(full, 0, 60, "junk", 0));
    printf("%-28s %d\n", "check_full_pubkey/token-only", CheckFullPubKey(tok, 0, 60, pub, 0));
    printf("%-28s %d\n", "check_full_pubkey/as-signed", CheckFullPubKey(good, 0, 60, pub, 0));
    printf("%-28s %d\n", "check_full_pubkey/empty", CheckFullPubKey(full, 0, 60, "", 0));
    printf("%-28s %d\n", "check_full_pubkey/rsa", CheckFullPubKey(full, 0, 60, slurp("rsa-pub.pem"), 0));
    snprintf(buf, sizeof buf, "%s;info=<%s>;alg=RS256", tok, X5U);
    printf("%-28s %d\n", "check_full_pubkey/alg", CheckFullPubKey(buf, 0, 60, pub, 0));

    /* ---- options ---- */
    printf("%-28s %d\n", "opt_s/CacheDirPath", OptSetS("CacheDirPath", ""));
    printf("%-28s %d\n", "opt_s/unknown", OptSetS("NoSuchOption", "x"));
    printf("%-28s %d\n", "opt_s/CacheExpires", OptSetS("CacheExpires", "100"));
    printf("%-28s %d\n", "opt_s/CertCAFile", OptSetS("CertCAFile", fx("cert.pem")));
    printf("%-28s %d\n", "opt_n/CacheExpires", OptSetN("CacheExpires", 3600));
    printf("%-28s %d\n", "opt_n/CertVerify", OptSetN("CertVerify", 0));
    printf("%-28s %d\n", "opt_n/unknown", OptSetN("NoSuchOption", 1));
    printf("%-28s %d\n", "opt_n/CacheDirPath", OptSetN("CacheDirPath", 1));
    printf("%-28s %d\n", "opt_v/CacheExpires", OptSetV("CacheExpires=3600"));
    printf("%-28s %d\n", "opt_v/CertVerify", OptSetV("CertVerify=0"));
    printf("%-28s %d\n", "opt_v/unknown", OptSetV("NoSuchOption=1"));
    printf("%-28s %d\n", "opt_v/not-a-number", OptSetV("CacheExpires=abc"));
    printf("%-28s %d\n", "opt_v/CacheDirPath", OptSetV("CacheDirPath="));
    printf("%-28s %d\n", "opt_n/lowercase", OptSetN("cacheexpires", 10));
    printf("%-28s %d\n", "opt_v/spaces", OptSetV("CacheExpires = 10"));
    OptSetN("CacheExpires", 3600);

    /* certificate verification: time validity (1) */
    printf("%-28s %d\n", "opt_n/CertVerify=1", OptSetN("CertVerify", 1));
    printf("%-28s %d\n", "certverify1/cert", CheckFull(full, 0, 60, fx("cert.pem"), 5));
    printf("%-28s %d\n", "certverify1/pubkey", CheckFull(full, 0, 60, fx("ec-pub.pem"), 5));
    printf("%-28s %d\n", "certverify1/expired-cert", CheckFull(full, 0, 60, fx("expired.pem"), 5));
    printf("%-28s %d\n", "certverify1/pubkey-val", CheckFullPubKey(full, 0, 60, pub, 0));
    printf("%-28s %d\n", "opt_n/CertVerify=0", OptSetN("CertVerify", 0));
    printf("%-28s %d\n", "certverify0/expired-cert", CheckFull(full, 0, 60, fx("expired.pem"), 5));

    /* ---- cache options and URLs ---- */
    printf("%-28s %d\n", "set_file_cache/ok", SetFileCacheOptions("", 3600));
    printf("%-28s %d\n", "set_file_cache/dir", SetFileCacheOptions("/nonexistent-dir", 10));
    SetFileCacheOptions("", 3600);
    {
        int len = -7;
        o = NULL; r = GetURLContent("ftp://127.0.0.1/x", 1, &o, &len);
        printf("%-28s %d len=%d out=%s\n", "get_url/ftp", r, r == 0 ? len : 0, o ? "set" : "NULL");
        free(o);
        o = NULL; r = GetURLContent("not a url", 1, &o, &len);
        printf("%-28s %d out=%s\n", "get_url/not-a-url", r, o ? "set" : "NULL");
        free(o);
        o = NULL; r = GetURLContent("http://127.0.0.1:9/x", 1, &o, &len);
        printf("%-28s %d out=%s\n", "get_url/refused", r, o ? "set" : "NULL");
        free(o);
        const char *u = getenv("PROBE_HTTP_BASE");
        if (u) {
            char url[256];
            snprintf(url, sizeof url, "%s/ec-pub.pem", u);
            o = NULL; len = -7; r = GetURLContent(url, 2, &o, &len);
            printf("%-28s %d len-ok=%d out=%s\n", "get_url/http-ok", r,
                   o && len == (int)strlen(pub) && memcmp(o, pub, (size_t)len) == 0, o ? "set" : "NULL");
            free(o);
            snprintf(url, sizeof url, "%s/missing.pem", u);
            o = NULL; r = GetURLContent(url, 2, &o, &len);
            printf("%-28s %d out=%s\n", "get_url/http-404", r, o ? "set" : "NULL");
            free(o);
            snprintf(url, sizeof url, "%s/ec-pub.pem", u);
            printf("%-28s %d\n", "check/http-key", Check(tok, 0, 60, url, 2));
            char full2[3000];
            snprintf(full2, sizeof full2, "%s;info=<%s>;alg=ES256;ppt=shaken", tok, url);
            printf("%-28s %d\n", "check_full/http-key", CheckFull(full2, 0, 60, url, 2));
            /* empty key path: the key is fetched from info, which must match the x5u */
            printf("%-28s %d\n", "check_full/info-fetch-mismatch", CheckFull(full2, 0, 60, "", 2));
            {
                char hdr[640], pl2[512], t2[2048];
                snprintf(hdr, sizeof hdr, "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"%s\"}", url);
                payload_at(pl2, sizeof pl2, now);
                sign_custom(hdr, pl2, t2, sizeof t2);
                snprintf(full2, sizeof full2, "%s;info=<%s>;alg=ES256;ppt=shaken", t2, url);
                printf("%-28s %d\n", "check_full/info-fetch", CheckFull(full2, 0, 60, "", 2));
                snprintf(full2, sizeof full2, "%s;info=<%s/missing.pem>;alg=ES256;ppt=shaken", t2, u);
                printf("%-28s %d\n", "check_full/info-fetch-404", CheckFull(full2, 0, 60, "", 2));
                {
                    /* The same 404 for a token whose x5u is the missing URL (no other fault). */
                    char hdr404[640], t404[2048], miss[300];
                    snprintf(miss, sizeof miss, "%s/missing.pem", u);
                    snprintf(hdr404, sizeof hdr404, "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"%s\"}", miss);
                    sign_custom(hdr404, pl2, t404, sizeof t404);
                    snprintf(full2, sizeof full2, "%s;info=<%s>;alg=ES256;ppt=shaken", t404, miss);
                    printf("%-28s %d\n", "check_full/x5u-fetch-404", CheckFull(full2, 0, 60, "", 2));
                }
                snprintf(full2, sizeof full2, "%s;alg=ES256;ppt=shaken", t2);
                printf("%-28s %d\n", "check_full/info-fetch-none", CheckFull(full2, 0, 60, "", 2));
                snprintf(full2, sizeof full2, "%s;info=<ftp://127.0.0.1/k.pem>;alg=ES256;ppt=shaken", t2);
                printf("%-28s %d\n", "check_full/info-ftp", CheckFull(full2, 0, 60, "", 2));
                snprintf(full2, sizeof full2, "%s;info=<file://%s>;alg=ES256;ppt=shaken", t2, fx("ec-pub.pem"));
                printf("%-28s %d\n", "check_full/info-file-url", CheckFull(full2, 0, 60, "", 2));
                snprintf(full2, sizeof full2, "%s;info=<%s>;alg=ES256;ppt=shaken", t2, fx("ec-pub.pem"));
                printf("%-28s %d\n", "check_full/info-file-path", CheckFull(full2, 0, 60, "", 2));
                printf("%-28s %d\n", "check_full/fetch-token-only", CheckFull(t2, 0, 60, "", 2));
            }
        }
    }
    return 0;
}
