#!/usr/bin/env bash
# Makes a development CA and the certificates vigil-controller, vigil-sensor and vigilctl
# need for mTLS, plus an access file granting their roles (docs/certificates.md).
#
# Usage: scripts/dev-ca.sh [--force] DIR [NAME...]
#
#   DIR/ca.pem, ca-key.pem                  the CA (EC P-256, 10 years)
#   DIR/controller.pem, controller-key.pem  server certificate: DNS:localhost, IP:127.0.0.1
#                                           and every NAME (DNS name or IP address)
#   DIR/sensor.pem, sensor-key.pem          client certificate CN=node:<hostname> (speaks
#                                           for this node only)
#   DIR/admin.pem, admin-key.pem            client certificate CN=vigil-admin
#   DIR/reader.pem, reader-key.pem          client certificate CN=vigil-reader
#   DIR/access.txt                          admin/reader/sensor grants for those names
#
# Leaves are EC P-256, valid 825 days. Keys are written 0600. Running it again keeps what
# is there: the CA always, a leaf when it still verifies against the CA, matches its key
# and (the controller's) covers every NAME; the access file when present. --force makes
# everything anew.
set -euo pipefail

readonly leaf_days=825
readonly ca_days=3650

usage() {
  sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//'
}

force=0
positional=()
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h | --help)
      sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "dev-ca.sh: unknown option '$arg'" >&2
      usage >&2
      exit 2
      ;;
    *) positional+=("$arg") ;;
  esac
done
if ((${#positional[@]} < 1)); then
  usage >&2
  exit 2
fi
dir=${positional[0]}
names=("${positional[@]:1}")

if ! command -v openssl > /dev/null; then
  echo "dev-ca.sh: needs the openssl command (Debian: apt-get install openssl)" >&2
  exit 1
fi

umask 077
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

is_ip() {
  [[ $1 =~ ^[0-9]+(\.[0-9]+){3}$ || $1 == *:* ]]
}

# Subject alternative names of the controller's certificate.
sans="DNS:localhost,IP:127.0.0.1"
for name in "${names[@]}"; do
  if [[ -z $name || $name == *[,\ ]* ]]; then
    echo "dev-ca.sh: bad name '$name' (a DNS name or an IP address)" >&2
    exit 2
  fi
  if is_ip "$name"; then sans+=",IP:$name"; else sans+=",DNS:$name"; fi
done

# Nothing here depends on the system's openssl.cnf.
cat > "$tmp/openssl.cnf" << EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $sans
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2> "$tmp/err" ||
    { cat "$tmp/err" >&2; exit 1; }
}

# install FILE MODE DEST: moves a finished file into place.
install_file() {
  chmod "$2" "$1"
  mv -f "$1" "$3"
}

# Whether CERT's public key is KEY's.
key_matches() {
  [[ $(openssl x509 -in "$1" -noout -pubkey 2> /dev/null) == \
    $(openssl pkey -in "$2" -pubout 2> /dev/null) ]]
}

# Whether the leaf BASE(.pem, -key.pem) can be kept: it verifies against the CA, its key
# matches and, for the controller, every name given is in it.
leaf_ok() {
  local cert=$dir/$1.pem key=$dir/$1-key.pem
  [[ -s $cert && -s $key ]] || return 1
  openssl verify -CAfile "$dir/ca.pem" "$cert" > /dev/null 2>&1 || return 1
  key_matches "$cert" "$key" || return 1
  if [[ $1 == controller ]]; then
    local name check
    for name in localhost 127.0.0.1 "${names[@]}"; do
      if is_ip "$name"; then check=-checkip; else check=-checkhost; fi
      openssl x509 -in "$cert" -noout "$check" "$name" 2> /dev/null | grep -q 'does match' ||
        return 1
    done
  fi
}

# leaf BASE CN EXTENSIONS: issues DIR/BASE.pem and DIR/BASE-key.pem unless kept (a kept
# certificate also carries CN).
leaf() {
  local base=$1 cn=$2 ext=$3
  if ((!force && !ca_made)) && leaf_ok "$base" &&
    [[ $(openssl x509 -in "$dir/$base.pem" -noout -subject -nameopt multiline 2> /dev/null |
      sed -n 's/^ *commonName *= *//p') == "$cn" ]]; then
    echo "dev-ca.sh: kept $dir/$base.pem (CN=$cn)" >&2
    return
  fi
  new_key "$tmp/$base-key.pem"
  openssl req -new -config "$tmp/openssl.cnf" -key "$tmp/$base-key.pem" -subj "/CN=$cn" \
    -out "$tmp/$base.csr"
  openssl x509 -req -in "$tmp/$base.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$leaf_days" -sha256 \
    -extfile "$tmp/openssl.cnf" -extensions "$ext" -out "$tmp/$base.pem" 2> "$tmp/err" ||
    { cat "$tmp/err" >&2; exit 1; }
  install_file "$tmp/$base-key.pem" 600 "$dir/$base-key.pem"
  install_file "$tmp/$base.pem" 644 "$dir/$base.pem"
  echo "dev-ca.sh: made $dir/$base.pem (CN=$cn)" >&2
}

ca_made=0
if ((force)) || [[ ! -e $dir/ca.pem && ! -e $dir/ca-key.pem ]]; then
  new_key "$tmp/ca-key.pem"
  openssl req -x509 -new -config "$tmp/openssl.cnf" -extensions ca -key "$tmp/ca-key.pem" \
    -subj "/CN=Vigil development CA" -days "$ca_days" -sha256 -out "$tmp/ca.pem"
  install_file "$tmp/ca-key.pem" 600 "$dir/ca-key.pem"
  install_file "$tmp/ca.pem" 644 "$dir/ca.pem"
  ca_made=1
  echo "dev-ca.sh: made $dir/ca.pem" >&2
elif [[ ! -s $dir/ca.pem || ! -s $dir/ca-key.pem ]] || ! key_matches "$dir/ca.pem" "$dir/ca-key.pem"; then
  echo "dev-ca.sh: $dir/ca.pem and $dir/ca-key.pem do not form a CA; --force replaces them" >&2
  exit 1
else
  echo "dev-ca.sh: kept $dir/ca.pem" >&2
fi

leaf controller vigil-controller server
leaf sensor "node:$(uname -n)" client
leaf admin vigil-admin client
leaf reader vigil-reader client

if ((force)) || [[ ! -e $dir/access.txt ]]; then
  cat > "$tmp/access.txt" << 'EOF'
# vigil-controller access file (made by scripts/dev-ca.sh): ROLE cert|token VALUE.
# A token is granted by the SHA-256 of its text: printf %s "$TOKEN" | sha256sum
#   reader token sha256:<64 hex digits>
# A sensor certificate named node:<node> speaks for that node only (docs/certificates.md).
admin  cert  vigil-admin
reader cert  vigil-reader
sensor cert  node:*
EOF
  install_file "$tmp/access.txt" 644 "$dir/access.txt"
  echo "dev-ca.sh: made $dir/access.txt" >&2
else
  echo "dev-ca.sh: kept $dir/access.txt" >&2
fi
