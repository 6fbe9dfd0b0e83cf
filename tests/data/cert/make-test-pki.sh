#!/bin/sh
# Regenerates the test PKI used by tests/sticert.rs (needs the openssl CLI).
# The generated PEM files are committed; the tests do not run this script.
set -eu
cd "$(dirname "$0")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

cat > "$T/ext.cnf" <<'CNF'
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[inter]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = 2.16.840.1.114569.1.1.3
crlDistributionPoints = crldp

[ee]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = 2.16.840.1.114569.1.1.3
crlDistributionPoints = crldp
# TNAuthList: spc "1234"
1.3.6.1.5.5.7.1.26 = DER:30:08:a0:06:16:04:31:32:33:34

[ee_constrained]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = 2.16.840.1.114569.1.1.3
crlDistributionPoints = crldp
# TNAuthList: spc "567J", range 12025550000 count 100, one 18005551212
1.3.6.1.5.5.7.1.26 = DER:30:2b:a0:06:16:04:35:36:37:4a:a1:12:30:10:16:0b:31:32:30:32:35:35:35:30:30:30:30:02:01:64:a2:0d:16:0b:31:38:30:30:35:35:35:31:32:31:32
# JWTClaimConstraints: mustInclude [attest]
1.3.6.1.5.5.7.1.27 = DER:30:0c:a0:0a:30:08:16:06:61:74:74:65:73:74
# EnhancedJWTClaimConstraints: permittedValues attest in {A, B}; mustExclude [rcd]
1.3.6.1.5.5.7.1.33 = DER:30:1f:a1:14:30:12:30:10:16:06:61:74:74:65:73:74:30:06:0c:01:41:0c:01:42:a2:07:30:05:16:03:72:63:64

[ee_faulty]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
subjectKeyIdentifier = none
authorityKeyIdentifier = none
certificatePolicies = 1.2.3.4, 2.16.840.1.114569.1.1.3
crlDistributionPoints = URI:ldap://crl.example.test/cn=crl
# TNAuthList holding an IA5String URL (libstirshaken style)
1.3.6.1.5.5.7.1.26 = DER:16:1a:68:74:74:70:73:3a:2f:2f:65:78:61:6d:70:6c:65:2e:74:65:73:74:2f:74:6e:61:6c
# A critical extension nobody knows
1.3.6.1.4.1.99999.1 = critical, DER:05:00

[crldp]
fullname = URI:https://sti-pa.example.test/crl
CRLissuer = dirName:crl_issuer_dn

[crl_issuer_dn]
C = US
CN = Test STI-PA
CNF

key() { openssl ecparam -name "$1" -genkey -noout -out "$2"; }
key prime256v1 "$T/root.key"
key prime256v1 "$T/inter.key"
key prime256v1 "$T/ee.key"
key prime256v1 "$T/ee2.key"
openssl genrsa -out "$T/rsa.key" 2048 2>/dev/null

openssl req -new -key "$T/root.key" -subj "/C=US/O=cliauth test/CN=cliauth Test STI Root" -out "$T/root.csr"
openssl x509 -req -in "$T/root.csr" -signkey "$T/root.key" -sha256 -days 7300 \
  -set_serial 0x5e1d0c2b7a6f4e3d2c1b0a99 -extfile "$T/ext.cnf" -extensions root -out root.pem

sign() { # csr key-of-issuer cert-of-issuer ext serial out [digest]
  openssl x509 -req -in "$1" -CA "$3" -CAkey "$2" -sha"${7:-256}" -days 3650 \
    -set_serial "$5" -extfile "$T/ext.cnf" -extensions "$4" -out "$6"
}
openssl req -new -key "$T/inter.key" -subj "/C=US/O=cliauth test/CN=cliauth Test STI Intermediate" -out "$T/inter.csr"
sign "$T/inter.csr" "$T/root.key" root.pem inter 0x6a2b3c4d5e6f708192a3b4c5 inter.pem

openssl req -new -key "$T/ee.key" -subj "/C=US/O=Example Carrier/CN=SHAKEN 1234" -out "$T/ee.csr"
sign "$T/ee.csr" "$T/inter.key" inter.pem ee 0x7b3c4d5e6f708192a3b4c5d6e7 ee.pem

openssl req -new -key "$T/ee2.key" -subj "/C=US/O=Example Carrier/CN=SHAKEN 567J" -out "$T/ee2.csr"
sign "$T/ee2.csr" "$T/inter.key" inter.pem ee_constrained 0x0c3d4e5f60718293a4b5c6d7e8 ee-constrained.pem

openssl req -new -key "$T/rsa.key" -subj "/C=US/O=Bad Carrier/CN=Bad Carrier Inc" -out "$T/bad.csr"
sign "$T/bad.csr" "$T/inter.key" inter.pem ee_faulty 0x01 ee-faulty.pem 384

cat ee.pem inter.pem root.pem > chain.pem
