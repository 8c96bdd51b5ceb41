#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds the throw-away PKI of tests/unit/test_ike_cert.c in directory $1
# (nothing here is committed; test_ike_cert runs this once per run):
#
#   ca          root CA (P-256)            other_ca   another root (P-256)
#   int         intermediate CA (P-256), pathlen 0, signed by ca
#   rsa         RSA-3072 end entity  \
#   p256        ECDSA P-256          |  signed by int, valid now,
#   p384        ECDSA P-384          |  subjectAltName DNS:/email:/IP:
#   ed25519     Ed25519              /
#   expired     P-256, valid 2020-2021 only, signed by int
#   wrongsan    P-256 key, CN=p256.example.org, SAN DNS:wrong.example.net
#   other       P-256, signed by other_ca
#   alice       P-256 client (EAP-TLS), signed by int, SAN DNS:alice.example.org,
#               email:alice@example.org
#   eve         P-256 client (eve.example.org), signed by other_ca (untrusted)
#
# For each: NAME.key, NAME.pub, NAME.pem, NAME.der; and NAME-chain.pem
# (end entity, then int; other-chain.pem ends with other_ca).
set -eu

dir=${1:?usage: make.sh DIR}
O=${OPENSSL:-/usr/bin/openssl}
cd "$dir"

cat > pki.cnf <<'CNF'
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = unused

[ext_root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ext_int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ext_rsa]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:rsa.example.org, email:rsa@example.org, IP:192.0.2.1, IP:2001:db8::1
[ext_p256]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:p256.example.org, IP:192.0.2.2
[ext_p384]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:p384.example.org, email:p384@example.org
[ext_ed25519]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:ed25519.example.org, IP:2001:db8::3
[ext_expired]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:expired.example.org
[ext_wrongsan]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:wrong.example.net
[ext_other]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:p256.example.org

[ext_alice]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid:always
extendedKeyUsage = clientAuth
subjectAltName = DNS:alice.example.org, email:alice@example.org
[ext_eve]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid:always
extendedKeyUsage = clientAuth
subjectAltName = DNS:eve.example.org, email:eve@example.org

# openssl ca, for the certificate with dates in the past
[ca]
default_ca = ca_int
[ca_int]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = ca_policy
unique_subject = no
[ca_policy]
commonName = supplied
CNF

key() { # name algorithm [option]
	if [ $# -gt 2 ]; then
		$O genpkey -algorithm "$2" -pkeyopt "$3" -out "$1.key"
	else
		$O genpkey -algorithm "$2" -out "$1.key"
	fi
	$O pkey -in "$1.key" -pubout -out "$1.pub"
}

sign() { # name subject ca extensions
	$O req -new -config pki.cnf -key "$1.key" -subj "$2" -out "$1.csr"
	$O x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" \
		-set_serial "0x$($O rand -hex 8)" -days 30 \
		-extfile pki.cnf -extensions "ext_$1" -out "$1.pem"
}

key ca EC ec_paramgen_curve:P-256
$O req -x509 -new -config pki.cnf -key ca.key -subj "/O=espgate test/CN=Root CA" \
	-days 30 -extensions ext_root -out ca.pem
key other_ca EC ec_paramgen_curve:P-256
$O req -x509 -new -config pki.cnf -key other_ca.key \
	-subj "/O=espgate test/CN=Other Root CA" -days 30 -extensions ext_root \
	-out other_ca.pem

key int EC ec_paramgen_curve:P-256
sign int "/O=espgate test/CN=Intermediate CA" ca

key rsa RSA rsa_keygen_bits:3072
key p256 EC ec_paramgen_curve:P-256
key p384 EC ec_paramgen_curve:P-384
key ed25519 ED25519
key expired EC ec_paramgen_curve:P-256
key other EC ec_paramgen_curve:P-256
key alice EC ec_paramgen_curve:P-256
key eve EC ec_paramgen_curve:P-256
cp p256.key wrongsan.key
cp p256.pub wrongsan.pub

sign rsa "/C=CH/O=espgate test/CN=rsa.example.org" int
sign p256 "/C=CH/O=espgate test/CN=p256.example.org" int
sign p384 "/O=espgate test/CN=p384.example.org" int
sign ed25519 "/O=espgate test/CN=ed25519.example.org" int
sign wrongsan "/C=CH/O=espgate test/CN=p256.example.org" int
sign other "/C=CH/O=espgate test/CN=p256.example.org" other_ca
sign alice "/C=CH/O=espgate test/CN=alice.example.org" int
sign eve "/C=CH/O=espgate test/CN=eve.example.org" other_ca

: > index.txt
echo 1000 > serial
$O req -new -config pki.cnf -key expired.key -subj "/CN=expired.example.org" \
	-out expired.csr
$O ca -batch -config pki.cnf -cert int.pem -keyfile int.key -notext \
	-startdate 20200101000000Z -enddate 20210101000000Z \
	-extfile pki.cnf -extensions ext_expired -in expired.csr -out expired.pem

for n in ca other_ca int rsa p256 p384 ed25519 expired wrongsan other alice eve; do
	$O x509 -in "$n.pem" -outform DER -out "$n.der"
done
for n in rsa p256 p384 ed25519 expired wrongsan alice; do
	cat "$n.pem" int.pem > "$n-chain.pem"
done
cat other.pem other_ca.pem > other-chain.pem
cat eve.pem other_ca.pem > eve-chain.pem
