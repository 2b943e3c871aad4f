#!/usr/bin/python3
# NOTE: /usr/bin/python3 on purpose (Debian's python3-pysaml2, see pysaml2-idp.py).
"""Single Logout (HTTP-Redirect) with pysaml2 as the IdP, talking to the SP over stdio.

The SP is given by its own metadata (--sp-metadata: SingleLogoutService and, when its
messages are signed, the signing certificate). pysaml2 builds, signs, parses and checks
every message; this script only moves them.

--mode sp-initiated: prints "ready", reads the SP's LogoutRequest redirect URL from
  stdin, verifies its query signature against the SP's certificate (when it is signed,
  or always with --require-signed), parses it (parse_logout_request: Destination,
  IssueInstant, schema), answers with a signed LogoutResponse (create_logout_response,
  apply_binding HTTP-Redirect) and prints that redirect URL.
--mode idp-initiated: prints a signed LogoutRequest redirect URL for --nameid and
  --session-index (create_logout_request), reads the SP's LogoutResponse redirect URL
  from stdin, verifies its query signature, parses it (parse_logout_request_response)
  and prints "ok <status>" when it answers the request with Success.
Errors go to stderr with exit status 1.
"""
import argparse
import base64
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers_common as pc  # noqa: E402

try:
    from saml2 import BINDING_HTTP_REDIRECT, saml
    from saml2.config import IdPConfig
    from saml2.metadata import entity_descriptor
    from saml2.saml import NameID
    from saml2.server import Server
    from saml2.sigver import RSACrypto, verify_redirect_signature
    from saml2 import xmldsig
except ImportError as exc:  # pragma: no cover
    sys.exit("pysaml2 not importable (%s); apt-get install -y python3-pysaml2 xmlsec1" % exc)

NAMEID_FORMATS = {
    "email": saml.NAMEID_FORMAT_EMAILADDRESS,
    "persistent": saml.NAMEID_FORMAT_PERSISTENT,
    "transient": saml.NAMEID_FORMAT_TRANSIENT,
    "unspecified": saml.NAMEID_FORMAT_UNSPECIFIED,
}


def fail(msg):
    sys.stderr.write("pysaml2-slo: %s\n" % msg)
    sys.exit(1)


def read_line():
    line = sys.stdin.readline().strip()
    if not line:
        fail("no message on stdin")
    return line


def query_of(url):
    """The query as a dict of single decoded values, as pysaml2 wants it."""
    q = url.split("?", 1)[1] if "?" in url else url
    return {k: v[0] for k, v in urllib.parse.parse_qs(q, keep_blank_values=True).items()}


def sp_signing_cert(sp_md):
    m = re.search(r'<(?:\w+:)?KeyDescriptor[^>]*use="signing"[^>]*>.*?<(?:\w+:)?X509Certificate[^>]*>([^<]+)<',
                  sp_md, re.S)
    return re.sub(r"\s+", "", m.group(1)) if m else None


def check_signature(msg, sp_cert, required):
    if "Signature" not in msg:
        if required:
            fail("the SP's message is not signed")
        return False
    if not sp_cert:
        fail("the SP's message is signed but its metadata has no signing certificate")
    try:
        ok = verify_redirect_signature(msg, RSACrypto(None), cert=sp_cert)
    except Exception as exc:
        fail("query signature check failed: %s: %s" % (type(exc).__name__, exc))
    if not ok:
        fail("query signature does not verify with the SP's certificate")
    return True


def location(info):
    for k, v in info["headers"]:
        if k == "Location":
            return v
    fail("pysaml2 made no redirect")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=["sp-initiated", "idp-initiated"], required=True)
    ap.add_argument("--sp-metadata", required=True, help="the SP's metadata XML file")
    ap.add_argument("--idp-entity-id", default="https://pysaml2-idp.test/idp/metadata")
    ap.add_argument("--slo-url", default="https://pysaml2-idp.test/idp/slo")
    ap.add_argument("--nameid", default="alice@example.com")
    ap.add_argument("--nameid-format", choices=sorted(NAMEID_FORMATS), default="email")
    ap.add_argument("--session-index", action="append", default=[])
    ap.add_argument("--require-signed", action="store_true",
                    help="refuse an unsigned message from the SP")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    with open(args.sp_metadata) as fh:
        sp_md = fh.read()
    sp_entity = re.search(r'entityID="([^"]+)"', sp_md).group(1)
    sp_cert = sp_signing_cert(sp_md)
    conf = {
        "entityid": args.idp_entity_id,
        "service": {"idp": {
            "endpoints": {
                "single_sign_on_service": [(args.slo_url.replace("slo", "sso"), BINDING_HTTP_REDIRECT)],
                "single_logout_service": [(args.slo_url, BINDING_HTTP_REDIRECT)],
            },
            "name_id_format": list(NAMEID_FORMATS.values()),
        }},
        "key_file": args.key,
        "cert_file": args.cert,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"inline": [sp_md]},
        "signing_algorithm": xmldsig.SIG_RSA_SHA256,
        "digest_algorithm": xmldsig.DIGEST_SHA256,
    }
    idp = Server(config=IdPConfig().load(conf))
    with open(os.path.join(args.out, "idp-metadata.xml"), "w") as fh:
        fh.write(str(entity_descriptor(idp.config)))
    slo = idp.metadata.single_logout_service(sp_entity, BINDING_HTTP_REDIRECT, "spsso")
    if not slo:
        fail("the SP's metadata has no HTTP-Redirect SingleLogoutService")
    sp_slo = slo[0]["location"]

    if args.mode == "sp-initiated":
        print("ready", flush=True)
        msg = query_of(read_line())
        check_signature(msg, sp_cert, args.require_signed)
        try:
            req = idp.parse_logout_request(msg["SAMLRequest"], BINDING_HTTP_REDIRECT)
        except Exception as exc:
            fail("pysaml2 refused the LogoutRequest: %s: %s" % (type(exc).__name__, exc))
        if req is None:
            fail("pysaml2 refused the LogoutRequest")
        m = req.message
        sys.stderr.write("LogoutRequest from %s for %s (%s), SessionIndex %s\n" % (
            m.issuer.text, m.name_id.text, m.name_id.format, [s.text for s in m.session_index]))
        resp = idp.create_logout_response(m, [BINDING_HTTP_REDIRECT], sign=False)
        info = idp.apply_binding(BINDING_HTTP_REDIRECT, str(resp), sp_slo, msg.get("RelayState", ""),
                                 response=True, sign=True, sigalg=xmldsig.SIG_RSA_SHA256)
        print(location(info), flush=True)
        return 0

    name_id = NameID(format=NAMEID_FORMATS[args.nameid_format], text=args.nameid,
                     name_qualifier=args.idp_entity_id, sp_name_qualifier=sp_entity)
    req_id, req = idp.create_logout_request(sp_slo, sp_entity, name_id=name_id,
                                            session_indexes=args.session_index or None, sign=False)
    info = idp.apply_binding(BINDING_HTTP_REDIRECT, str(req), sp_slo, "rs-pysaml2",
                             sign=True, sigalg=xmldsig.SIG_RSA_SHA256)
    print(location(info), flush=True)
    msg = query_of(read_line())
    check_signature(msg, sp_cert, args.require_signed)
    if msg.get("RelayState") != "rs-pysaml2":
        fail("RelayState not carried back: %r" % msg.get("RelayState"))
    try:
        resp = idp.parse_logout_request_response(msg["SAMLResponse"], BINDING_HTTP_REDIRECT)
    except Exception as exc:
        fail("pysaml2 refused the LogoutResponse: %s: %s" % (type(exc).__name__, exc))
    if resp is None:
        fail("pysaml2 refused the LogoutResponse")
    r = resp.response
    if r.in_response_to != req_id:
        fail("InResponseTo %s, want %s" % (r.in_response_to, req_id))
    status = r.status.status_code.value
    if status != "urn:oasis:names:tc:SAML:2.0:status:Success":
        fail("status %s" % status)
    print("ok " + status, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
