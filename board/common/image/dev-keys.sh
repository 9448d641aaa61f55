#!/usr/bin/env bash
# Development signing keys for RAUC bundles, made once in DIR (never committed):
# a CA (its certificate is the keyring the image trusts) and a signing key and
# certificate issued by it. Production keys: README.md, "Images and updates".
set -euo pipefail
dir=${1:?usage: dev-keys.sh DIR}
[ -f "$dir/signing.cert.pem" ] && exit 0
mkdir -p "$dir"
chmod 700 "$dir"
subj="/O=shopcast development (not for boxes in the field)"
openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -keyout "$dir/ca.key.pem" \
	-out "$dir/ca.cert.pem" -subj "$subj/CN=shopcast development CA" 2>/dev/null
openssl req -newkey rsa:3072 -nodes -keyout "$dir/signing.key.pem" -out "$dir/signing.csr" \
	-subj "$subj/CN=shopcast development signing" 2>/dev/null
openssl x509 -req -in "$dir/signing.csr" -CA "$dir/ca.cert.pem" -CAkey "$dir/ca.key.pem" \
	-CAcreateserial -days 3650 -out "$dir/signing.cert.pem" 2>/dev/null
rm -f "$dir/signing.csr"
echo "image: development keys made in $dir (bundles signed with them install only on development images)"
