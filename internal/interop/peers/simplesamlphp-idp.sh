#!/usr/bin/env bash
# simplesamlphp-idp.sh -- SimpleSAMLphp 1.19 (Debian package) as a real SAML 2.0
# IdP on 127.0.0.1, served by `php -S`, logged into with curl.
#
#   simplesamlphp-idp.sh run   [start opts] [issue opts]   start + issue + stop (tidy one-shot)
#   simplesamlphp-idp.sh start [--port N] [--idp-entity-id ID] [--state DIR]
#   simplesamlphp-idp.sh issue --out DIR (--sp-entity-id ID --acs-url URL | --authn-request R) [opts]
#   simplesamlphp-idp.sh stop  [--state DIR] [--keep]
#   simplesamlphp-idp.sh status [--state DIR]
#   simplesamlphp-idp.sh slo   --mode sp-initiated|idp-initiated --cookie-jar FILE
#                          Single Logout for the browser whose cookies an
#                          `issue --cookie-jar FILE --slo-url URL` left in FILE,
#                          over stdio (see "slo" below)
#
# issue options:
#   --sp-entity-id ID      SP entityID (registered in saml20-sp-remote.php)
#   --acs-url URL          SP ACS URL (HTTP-POST); repeatable (first = default)
#   --authn-request R      SP-initiated: the SP's AuthnRequest, as a redirect URL or
#                          query string carrying SAMLRequest= (RelayState, SigAlg,
#                          Signature are forwarded untouched), the bare SAMLRequest
#                          value (deflated = HTTP-Redirect, sent by GET; plain base64
#                          = HTTP-POST, sent by POST with --relay-state), or @FILE. Its
#                          Issuer / AssertionConsumerServiceURL fill --sp-entity-id /
#                          --acs-url when those are not given.
#   --in-response-to ID    SP-initiated with a minimal AuthnRequest of this ID built
#                          by make-authnrequest.py (when you have no real request)
#   (neither)              IdP-initiated: SSOService.php?spentityid=...
#   --sp-cert PEM          SP signing cert: registered as certData and
#                          validate.authnrequest=true, so SimpleSAMLphp checks the
#                          redirect signature (SigAlg/Signature) of --authn-request
#   --relay-state S        RelayState (IdP-initiated or generated request)
#   --nameid V             NameID value (default alice@example.com)
#   --nameid-format F      email|persistent|transient|unspecified|<URI> (default email)
#   --attr NAME=VALUE      attribute, repeat NAME for more values (default: uid, mail,
#                          givenName, sn, eduPersonAffiliation x2)
#   --attr-name-format F   basic|uri|unspecified (default basic, SimpleSAMLphp's default)
#   --sign W               assertion|response|both|none (default both)
#   --sig-alg A            rsa-sha1|rsa-sha256|rsa-sha384|rsa-sha512 (default rsa-sha256)
#   --lifetime S           assertion lifetime in seconds (default 300)
#   --slo-url URL          the SP's Logout URL: registered as its SingleLogoutService
#                          (HTTP-Redirect), with sign.logout and validate.logout
#                          (needs --sp-cert: the SP's logout messages must be signed)
#   --cookie-jar FILE      keep the browser's cookies (its IdP session) in FILE
#   --out DIR              where response.xml, response.b64, idp-cert.pem,
#                          idp-metadata.xml, info.json go
#   -q                     print nothing (files only)
# stdout of issue: base64 SAMLResponse on one line, then the IdP cert PEM.
#
# State: --state DIR or $SSP_IDP_STATE, default /tmp/simplesamlphp-idp ("run" uses
# a fresh mktemp dir). Config, metadata, keys, sessions, logs, pid: all under it.
# "stop" kills the server by the PID it recorded and deletes the state dir.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TPL=$HERE/simplesamlphp
SSP_WWW=/usr/share/simplesamlphp/www
PY=/usr/bin/python3
STATE=${SSP_IDP_STATE:-/tmp/simplesamlphp-idp}

die() { echo "simplesamlphp-idp: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 missing; see README (apt-get install ...)"; }

server_pid() {
  [ -f "$STATE/server.pid" ] || return 1
  local pid; pid=$(cat "$STATE/server.pid")
  # Only the php -S process started for THIS state dir counts (cmdline and
  # environment checked), so a recycled PID is never signalled.
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-S 127.0.0.1:" || return 1
  tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null \
    | grep -qxF "SIMPLESAMLPHP_CONFIG_DIR=$STATE/config" || return 1
  echo "$pid"
}

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cmd_start() {
  local port="" idp_id=""
  while [ $# -gt 0 ]; do
    case $1 in
      --port) port=$2; shift 2 ;;
      --idp-entity-id) idp_id=$2; shift 2 ;;
      --state) STATE=$2; shift 2 ;;
      *) die "start: unknown option $1" ;;
    esac
  done
  need php; need openssl; need curl
  [ -d "$SSP_WWW" ] || die "$SSP_WWW missing: apt-get install -y simplesamlphp"
  if server_pid >/dev/null; then die "already running (state $STATE, pid $(server_pid)); stop it first"; fi
  [ -n "$port" ] || port=$(free_port)
  local base="http://127.0.0.1:$port/"
  [ -n "$idp_id" ] || idp_id="${base}saml2/idp/metadata.php"

  mkdir -p "$STATE"/{config,metadata,cert,log,tmp,data,sessions}
  chmod 700 "$STATE"
  cp "$TPL/config.php" "$TPL/authsources.php" "$STATE/config/"
  cp "$TPL/saml20-idp-hosted.php" "$TPL/saml20-sp-remote.php" "$STATE/metadata/"
  $PY - "$STATE" "$base" "$idp_id" "$port" > "$STATE/config/settings.json" <<'EOF'
import json, secrets, sys
state, base, idp_id, port = sys.argv[1:5]
print(json.dumps({"state_dir": state, "base_url": base, "idp_entity_id": idp_id,
                  "port": int(port), "secret_salt": secrets.token_hex(16),
                  "admin_password": secrets.token_hex(8)}, indent=2))
EOF
  if [ ! -f "$STATE/cert/idp.key" ]; then
    openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 \
      -subj "/CN=simplesamlphp-idp.test" \
      -keyout "$STATE/cert/idp.key" -out "$STATE/cert/idp.crt" >/dev/null 2>&1
    chmod 600 "$STATE/cert/idp.key"
  fi

  # php -S: built-in server, loopback only. PATH_INFO (module.php/...) works.
  SIMPLESAMLPHP_CONFIG_DIR="$STATE/config" setsid php -S "127.0.0.1:$port" -t "$SSP_WWW" \
    > "$STATE/server.log" 2>&1 < /dev/null &
  echo $! > "$STATE/server.pid"
  local i
  for i in $(seq 1 50); do
    if curl -fsS -o /dev/null "${base}saml2/idp/metadata.php" 2>/dev/null; then
      echo "SSP_IDP_STATE=$STATE"
      echo "SSP_IDP_BASE=$base"
      echo "SSP_IDP_ENTITY_ID=$idp_id"
      echo "SSP_IDP_PID=$(cat "$STATE/server.pid")"
      return 0
    fi
    sleep 0.2
  done
  cat "$STATE/server.log" >&2 || true
  cmd_stop --keep
  die "server did not come up on $base"
}

cmd_stop() {
  local keep=0
  while [ $# -gt 0 ]; do
    case $1 in
      --keep) keep=1; shift ;;
      --state) STATE=$2; shift 2 ;;
      *) die "stop: unknown option $1" ;;
    esac
  done
  local pid
  if pid=$(server_pid); then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    echo "stopped pid $pid" >&2
  fi
  rm -f "$STATE/server.pid"
  if [ "$keep" = 0 ] && [ -f "$STATE/config/settings.json" ]; then
    rm -rf "$STATE"
  fi
}

cmd_status() {
  while [ $# -gt 0 ]; do
    case $1 in --state) STATE=$2; shift 2 ;; *) die "status: unknown option $1" ;; esac
  done
  local pid
  if pid=$(server_pid); then
    echo "running pid=$pid state=$STATE base=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["base_url"])' "$STATE/config/settings.json")"
  else
    echo "not running (state $STATE)"; return 1
  fi
}

log_problems() {
  # The interesting lines of SimpleSAMLphp's log (full log: $STATE/log/).
  echo "--- SimpleSAMLphp log (errors/warnings, last 8):" >&2
  grep -E ' (ERROR|WARNING|CRITICAL|ALERT|EMERGENCY) ' "$STATE/log/simplesamlphp.log" 2>/dev/null \
    | grep -vE ' ERROR \[[0-9a-f]+\] ([0-9]+ |Backtrace:)' | tail -n 8 | cut -c1-400 >&2 || true
}

nameid_uri() {
  case $1 in
    email) echo urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress ;;
    persistent) echo urn:oasis:names:tc:SAML:2.0:nameid-format:persistent ;;
    transient) echo urn:oasis:names:tc:SAML:2.0:nameid-format:transient ;;
    unspecified) echo urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified ;;
    urn:*) echo "$1" ;;
    *) die "unknown --nameid-format $1" ;;
  esac
}

cmd_issue() {
  local sp="" acs=() areq="" irt="" relay="" nameid="alice@example.com" nfmt=email
  local attrs=() anf=basic sign=both sigalg=rsa-sha256 lifetime=300 out="" quiet=0 spcert="" slourl="" jarfile=""
  while [ $# -gt 0 ]; do
    case $1 in
      --sp-entity-id) sp=$2; shift 2 ;;
      --acs-url) acs+=("$2"); shift 2 ;;
      --authn-request) areq=$2; shift 2 ;;
      --in-response-to) irt=$2; shift 2 ;;
      --relay-state) relay=$2; shift 2 ;;
      --sp-cert) spcert=$2; shift 2 ;;
      --slo-url) slourl=$2; shift 2 ;;
      --cookie-jar) jarfile=$2; shift 2 ;;
      --nameid) nameid=$2; shift 2 ;;
      --nameid-format) nfmt=$2; shift 2 ;;
      --attr) attrs+=("$2"); shift 2 ;;
      --attr-name-format) anf=$2; shift 2 ;;
      --sign) sign=$2; shift 2 ;;
      --sig-alg) sigalg=$2; shift 2 ;;
      --lifetime) lifetime=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --state) STATE=$2; shift 2 ;;
      -q|--quiet) quiet=1; shift ;;
      *) die "issue: unknown option $1" ;;
    esac
  done
  [ -n "$out" ] || die "issue: --out DIR is required"
  server_pid >/dev/null || die "no server running for state $STATE (run: $0 start)"
  case $sign in assertion|response|both|none) ;; *) die "--sign: assertion|response|both|none" ;; esac
  case $sigalg in
    rsa-sha1) sigalg_uri=http://www.w3.org/2000/09/xmldsig#rsa-sha1 ;;
    rsa-sha256|rsa-sha384|rsa-sha512) sigalg_uri=http://www.w3.org/2001/04/xmldsig-more#$sigalg ;;
    *) die "--sig-alg: rsa-sha1|rsa-sha256|rsa-sha384|rsa-sha512" ;;
  esac
  case $anf in
    basic|uri|unspecified) anf_uri=urn:oasis:names:tc:SAML:2.0:attrname-format:$anf ;;
    urn:*) anf_uri=$anf ;;
    *) die "--attr-name-format: basic|uri|unspecified" ;;
  esac
  local nfmt_uri; nfmt_uri=$(nameid_uri "$nfmt")
  local base; base=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["base_url"])' "$STATE/config/settings.json")
  mkdir -p "$out"; out=$(cd "$out" && pwd)
  local work; work=$(mktemp -d "$STATE/tmp/issue.XXXXXX")

  # --- which flow -----------------------------------------------------------
  local mode url query="" post_args=()
  if [ -n "$irt" ] && [ -z "$areq" ]; then
    [ -n "$sp" ] && [ ${#acs[@]} -gt 0 ] || die "--in-response-to needs --sp-entity-id and --acs-url"
    local gen
    gen=$($PY "$HERE/make-authnrequest.py" --sp-entity-id "$sp" --acs-url "${acs[0]}" \
          --destination "${base}saml2/idp/SSOService.php" --id "$irt" \
          --nameid-format "$nfmt_uri" ${relay:+--relay-state "$relay"})
    areq=$(printf '%s\n' "$gen" | sed -n 's/^URL=//p')
  fi
  if [ -n "$areq" ]; then
    mode=sp-initiated
    # Undo the transport encoding (peers_common.py, stdlib only) -> req.json.
    $PY - "$HERE" "$areq" > "$work/req.json" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1])
import peers_common as pc
print(json.dumps(pc.decode_authn_request(sys.argv[2])))
EOF
    local binding
    binding=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["binding"])' "$work/req.json")
    [ -n "$sp" ] || sp=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["issuer"] or "")' "$work/req.json")
    if [ ${#acs[@]} -eq 0 ]; then
      local racs; racs=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["acs"] or "")' "$work/req.json")
      [ -n "$racs" ] && acs+=("$racs")
    fi
    if [ "$binding" = urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST ]; then
      # HTTP-POST binding: the form fields, POSTed by curl below.
      post_args=(--data-urlencode "SAMLRequest=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["saml_request"])' "$work/req.json")")
      [ -n "$relay" ] && post_args+=(--data-urlencode "RelayState=$relay")
      url="${base}saml2/idp/SSOService.php"
    else
      # HTTP-Redirect binding: the query string is forwarded byte for byte
      # (SigAlg/Signature stay valid), only the host part changes.
      query=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["query"])' "$work/req.json")
      url="${base}saml2/idp/SSOService.php?$query"
    fi
  else
    mode=idp-initiated
    url=$($PY -c 'import sys, urllib.parse as u
q = {"spentityid": sys.argv[2]}
if sys.argv[3]: q["RelayState"] = sys.argv[3]
print(sys.argv[1] + "saml2/idp/SSOService.php?" + u.urlencode(q))' "$base" "$sp" "$relay")
  fi
  [ -n "$sp" ] || die "no SP entityID (--sp-entity-id or a request with an Issuer)"
  [ ${#acs[@]} -gt 0 ] || die "no ACS URL (--acs-url or a request with AssertionConsumerServiceURL)"

  # --- register SP + user for this issue (read by the PHP config per request) --
  $PY - "$STATE/issue.json" "$sp" "$nfmt_uri" "$nameid" "$sign" "$sigalg_uri" "$anf_uri" "$lifetime" \
      "$spcert" "$slourl" "${#acs[@]}" "${acs[@]}" "${attrs[@]+"${attrs[@]}"}" <<'EOF'
import json, re, sys
path, sp, nfmt, nameid, sign, sigalg, anf, lifetime, spcert, slourl, nacs = sys.argv[1:12]
rest = sys.argv[12:]
sp_cert = None
if spcert:
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", open(spcert).read(), re.S)
    sp_cert = "".join(m.group(1).split())
acs, pairs = rest[:int(nacs)], rest[int(nacs):]
attrs = {}
for p in pairs:
    if "=" not in p:
        sys.exit("--attr expects NAME=VALUE, got %r" % p)
    k, v = p.split("=", 1)
    attrs.setdefault(k, []).append(v)
if not pairs:
    attrs = {"uid": ["alice"], "mail": [nameid], "givenName": ["Alice"], "sn": ["Example"],
             "eduPersonAffiliation": ["member", "staff"]}
json.dump({"sp_entity_id": sp, "acs_urls": acs, "nameid_format": nfmt, "nameid": nameid,
           "sign": sign, "sig_alg": sigalg, "attr_name_format": anf,
           "assertion_lifetime": int(lifetime), "username": "alice", "password": "alicepass",
           "sp_cert": sp_cert, "slo_url": slourl or None,
           "attributes": attrs}, open(path, "w"), indent=2)
EOF

  # --- the browser part, with curl -------------------------------------------
  local jar=${jarfile:-$work/cookies}
  local eff
  eff=$(curl -sS -L --max-redirs 10 -c "$jar" -b "$jar" -o "$work/login.html" -w '%{url_effective}' \
        "${post_args[@]+"${post_args[@]}"}" "$url")
  local authstate
  authstate=$($PY - "$work/login.html" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    v = None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "input" and a.get("name") == "AuthState":
            P.v = a.get("value")
P().feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
print(P.v or "")
EOF
)
  if [ -z "$authstate" ]; then
    echo "--- no login form at ${eff:0:120}...; page: $work/login.html" >&2
    log_problems
    die "login form not reached"
  fi
  curl -sS -L --max-redirs 10 -c "$jar" -b "$jar" -o "$work/post.html" \
    --data-urlencode "username=alice" --data-urlencode "password=alicepass" \
    --data-urlencode "AuthState=$authstate" "${eff%%\?*}" >/dev/null
  $PY - "$work/post.html" "$out" "$STATE/cert/idp.crt" "$mode" "$sp" "$work/req.json" <<'EOF' || { log_problems; die "no SAMLResponse in the IdP's page ($work/post.html)"; }
import base64, json, os, re, shutil, sys
from html.parser import HTMLParser
page, out, cert, mode, sp, reqf = sys.argv[1:7]
class P(HTMLParser):
    action = None; fields = {}
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "form" and P.action is None:
            P.action = a.get("action")
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            P.fields[a["name"]] = a.get("value", "")
P().feed(open(page, encoding="utf-8", errors="replace").read())
b64 = P.fields.get("SAMLResponse")
if not b64:
    sys.exit(1)
xml = base64.b64decode(b64)
open(os.path.join(out, "response.b64"), "w").write(b64 + "\n")
open(os.path.join(out, "response.xml"), "wb").write(xml)
shutil.copyfile(cert, os.path.join(out, "idp-cert.pem"))
s = xml.decode("utf-8")
def attr(el, name):
    m = re.search(r"<(?:\w+:)?%s\b[^>]*?\s%s=\"([^\"]*)\"" % (el, name), s)
    return m.group(1) if m else None
req = json.load(open(reqf)) if os.path.exists(reqf) else None
info = {
    "idp": "SimpleSAMLphp 1.19 (Debian)",
    "flow": mode,
    "form_action": P.action,
    "relay_state": P.fields.get("RelayState"),
    "sp_entity_id": sp,
    "authn_request_id": req["id"] if req else None,
    "response_id": attr("Response", "ID"),
    "assertion_id": attr("Assertion", "ID"),
    "in_response_to": attr("Response", "InResponseTo"),
    "destination": attr("Response", "Destination"),
    "recipient": attr("SubjectConfirmationData", "Recipient"),
    "issuer": (re.search(r"<(?:\w+:)?Issuer[^>]*>([^<]*)<", s) or [None, None])[1],
    "sig_alg": attr("SignatureMethod", "Algorithm"),
    "signature_count": len(re.findall(r"<(?:\w+:)?SignatureValue", s)),
    "success": "urn:oasis:names:tc:SAML:2.0:status:Success" in s,
}
json.dump(info, open(os.path.join(out, "info.json"), "w"), indent=2)
EOF
  curl -fsS -o "$out/idp-metadata.xml" "${base}saml2/idp/metadata.php" || true
  if [ -f "$work/req.json" ]; then
    $PY - "$work/req.json" "$out/info.json" <<'EOF2' >&2 || true
import json, sys
req, info = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
if req.get("acs") and req["acs"] != info.get("destination"):
    print("warning: the AuthnRequest asked for ACS %s but SimpleSAMLphp answered to %s "
          "(request ACS not registered: SSP falls back to the metadata default)"
          % (req["acs"], info.get("destination")))
EOF2
  fi
  rm -rf "$work"
  if [ "$quiet" = 0 ]; then
    cat "$out/response.b64"
    cat "$out/idp-cert.pem"
  fi
}

# slo: one Single Logout exchange (HTTP-Redirect) for the browser in --cookie-jar, with
# SimpleSAMLphp's own SingleLogoutService.php; one message per line on stdio.
#   sp-initiated:  prints "ready", reads the SP's LogoutRequest URL, forwards its query
#                  byte for byte to SingleLogoutService.php and prints where SSP sends
#                  the browser (the SP's Logout URL with the LogoutResponse).
#   idp-initiated: starts logout at SingleLogoutService.php?ReturnTo=..., prints where SSP
#                  sends the browser (the SP's Logout URL with a LogoutRequest), reads the
#                  SP's LogoutResponse URL, forwards its query, and prints "ok" when SSP
#                  accepts it and sends the browser on to ReturnTo.
cmd_slo() {
  local mode="" jar=""
  while [ $# -gt 0 ]; do
    case $1 in
      --mode) mode=$2; shift 2 ;;
      --cookie-jar) jar=$2; shift 2 ;;
      --state) STATE=$2; shift 2 ;;
      *) die "slo: unknown option $1" ;;
    esac
  done
  [ -f "$jar" ] || die "slo: --cookie-jar FILE from an issue is required"
  server_pid >/dev/null || die "no server running for state $STATE"
  local base; base=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["base_url"])' "$STATE/config/settings.json")
  local slo="${base}saml2/idp/SingleLogoutService.php"
  local loc line
  # Where SSP sends the browser once it leaves SSP: its redirects within SSP
  # (resumelogout.php, ...) are followed, the first one elsewhere is not.
  goto() {
    local u=$1 next i
    for i in $(seq 1 10); do
      next=$(curl -sS -o "$STATE/tmp/slo-page.html" -c "$jar" -b "$jar" -w '%{redirect_url}' "$u")
      case $next in
        "$base"*) [ "${next%%\?*}" = "${base}saml2/idp/metadata.php" ] && { echo "$next"; return; }; u=$next ;;
        *) echo "$next"; return ;;
      esac
    done
  }
  case $mode in
    sp-initiated)
      echo ready
      read -r line || die "slo: no LogoutRequest on stdin"
      loc=$(goto "$slo?${line#*\?}")
      [ -n "$loc" ] || { log_problems; die "SimpleSAMLphp did not answer the LogoutRequest with a redirect (page $STATE/tmp/slo-page.html)"; }
      echo "$loc"
      ;;
    idp-initiated)
      local back="${base}saml2/idp/metadata.php?slo-done=1"
      loc=$(goto "$slo?ReturnTo=$($PY -c 'import sys,urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$back")")
      [ -n "$loc" ] || { log_problems; die "SimpleSAMLphp sent no LogoutRequest (page $STATE/tmp/slo-page.html)"; }
      echo "$loc"
      read -r line || die "slo: no LogoutResponse on stdin"
      loc=$(goto "$slo?${line#*\?}")
      if [ "$loc" != "$back" ]; then
        log_problems
        die "SimpleSAMLphp did not accept the LogoutResponse: it sent the browser to '${loc}' (page $STATE/tmp/slo-page.html)"
      fi
      echo "ok $loc"
      ;;
    *) die "slo: --mode sp-initiated|idp-initiated" ;;
  esac
}

cmd_run() {
  # Split args: start options vs issue options.
  local sargs=() iargs=()
  while [ $# -gt 0 ]; do
    case $1 in
      --port|--idp-entity-id) sargs+=("$1" "$2"); shift 2 ;;
      --state) die "run always uses a fresh temp state dir; use start/issue/stop for --state" ;;
      -q|--quiet) iargs+=("$1"); shift ;;
      *) iargs+=("$1" "$2"); shift 2 ;;
    esac
  done
  STATE=$(mktemp -d /tmp/simplesamlphp-idp.XXXXXX)
  trap 'cmd_stop' EXIT
  cmd_start "${sargs[@]+"${sargs[@]}"}" >/dev/null
  cmd_issue "${iargs[@]}"
}

sub=${1:-}
[ -n "$sub" ] || { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2; }
shift
case $sub in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status "$@" ;;
  issue) cmd_issue "$@" ;;
  run) cmd_run "$@" ;;
  slo) cmd_slo "$@" ;;
  -h|--help|help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command $sub (run|start|issue|stop|status)" ;;
esac
