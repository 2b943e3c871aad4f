#!/usr/bin/python3
# NOTE: /usr/bin/python3 on purpose (Debian's python3-lasso, see lasso-idp.py).
"""Single Logout (HTTP-Redirect) with Lasso as the IdP, talking to the SP over stdio.

The SP is given by its own metadata (--sp-metadata). Lasso first signs the user in to
the SP (lasso.Login, as lasso-idp.py does) so that its session holds the SP's assertion,
then runs lasso.Logout; Lasso builds, signs, parses and checks every message.

--mode sp-initiated: prints "ready {json}" (the NameID and SessionIndex Lasso gave the
  SP), reads the SP's LogoutRequest redirect URL from stdin, processes it
  (processRequestMsg with the signature required by --require-signed, validateRequest
  against the session), and prints the LogoutResponse redirect URL (buildResponseMsg).
--mode idp-initiated: prints the LogoutRequest redirect URL for the session
  (initRequest, buildRequestMsg), reads the SP's LogoutResponse redirect URL, processes
  it (processResponseMsg) and prints "ok" when Lasso accepts it.
Errors go to stderr with exit status 1.
"""
import argparse
import datetime
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers_common as pc  # noqa: E402

try:
    import lasso
except ImportError as exc:  # pragma: no cover
    sys.exit("lasso not importable (%s); apt-get install -y python3-lasso" % exc)


def fail(msg):
    sys.stderr.write("lasso-slo: %s\n" % msg)
    sys.exit(1)


def check(call, what):
    try:
        return call()
    except lasso.Error as exc:
        fail("lasso %s failed: %s" % (what, exc))


def read_line():
    line = sys.stdin.readline().strip()
    if not line:
        fail("no message on stdin")
    return line


def query_of(url):
    return url.split("?", 1)[1] if "?" in url else url


def idp_metadata(entity_id, cert_b64, sso_url, slo_url):
    return """<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{eid}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{cert}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="{redirect}" Location="{slo}"/>
    <md:SingleSignOnService Binding="{redirect}" Location="{sso}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
""".format(eid=entity_id, cert=cert_b64, sso=sso_url, slo=slo_url, redirect=pc.BINDING_REDIRECT)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=["sp-initiated", "idp-initiated"], required=True)
    ap.add_argument("--sp-metadata", required=True)
    ap.add_argument("--idp-entity-id", default="https://lasso-idp.test/idp/metadata")
    ap.add_argument("--slo-url", default="https://lasso-idp.test/idp/slo")
    ap.add_argument("--nameid", default="alice@example.com")
    ap.add_argument("--nameid-format", choices=sorted(pc.NAMEID_FORMATS), default="email")
    ap.add_argument("--session-index", action="append", default=[], help="ignored: Lasso makes its own")
    ap.add_argument("--require-signed", action="store_true")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    with open(args.sp_metadata) as fh:
        sp_entity = re.search(r'entityID="([^"]+)"', fh.read()).group(1)
    idp_md_path = os.path.join(args.out, "idp-metadata.xml")
    with open(idp_md_path, "w") as fh:
        fh.write(idp_metadata(args.idp_entity_id, pc.cert_b64(args.cert),
                              args.slo_url.replace("slo", "sso"), args.slo_url))
    server = lasso.Server(idp_md_path, args.key, None, args.cert)
    server.signatureMethod = lasso.SIGNATURE_METHOD_RSA_SHA256
    server.addProvider(lasso.PROVIDER_ROLE_SP, args.sp_metadata)

    # Sign the user in to the SP, so that the IdP session holds its assertion.
    fmt = pc.NAMEID_FORMATS[args.nameid_format]
    login = lasso.Login(server)
    check(lambda: login.initIdpInitiatedAuthnRequest(sp_entity), "initIdpInitiatedAuthnRequest")
    login.request.nameIdPolicy.format = fmt
    login.request.nameIdPolicy.allowCreate = True
    login.request.protocolBinding = pc.BINDING_POST
    check(lambda: login.processAuthnRequestMsg(None), "processAuthnRequestMsg")
    check(lambda: login.validateRequestMsg(True, True), "validateRequestMsg")
    t0 = pc.now()
    t1 = t0 + datetime.timedelta(minutes=15)
    check(lambda: login.buildAssertion(lasso.SAML2_AUTHN_CONTEXT_PASSWORD_PROTECTED_TRANSPORT,
                                       pc.utc(t0), None, pc.utc(t0), pc.utc(t1)), "buildAssertion")
    nid = login.assertion.subject.nameID
    nid.content, nid.format = args.nameid, fmt
    nid.nameQualifier, nid.spNameQualifier = args.idp_entity_id, sp_entity
    check(lambda: login.buildAuthnResponseMsg(), "buildAuthnResponseMsg")
    session = login.session.dump()
    identity = login.identity.dump() if login.identity else None
    sessions = re.findall(r'SessionIndex="([^"]+)"', session)
    if not sessions:
        fail("Lasso's session holds no SessionIndex for the SP")

    logout = lasso.Logout(server)
    logout.setSessionFromDump(session)
    if identity:
        logout.setIdentityFromDump(identity)
    logout.setSignatureVerifyHint(lasso.PROFILE_SIGNATURE_VERIFY_HINT_FORCE if args.require_signed
                                  else lasso.PROFILE_SIGNATURE_VERIFY_HINT_MAYBE)

    if args.mode == "sp-initiated":
        print("ready " + json.dumps({"name_id": args.nameid, "format": fmt, "name_qualifier": args.idp_entity_id,
                                     "sp_name_qualifier": sp_entity, "session_index": sessions[0]}), flush=True)
        check(lambda: logout.processRequestMsg(query_of(read_line())), "processRequestMsg")
        r = logout.request
        sys.stderr.write("LogoutRequest from %s for %s, SessionIndex %s\n"
                         % (r.issuer.content, r.nameId.content, getattr(r, "sessionIndexes", None)))
        check(lambda: logout.validateRequest(), "validateRequest")
        check(lambda: logout.buildResponseMsg(), "buildResponseMsg")
        print(logout.msgUrl, flush=True)
        return 0

    check(lambda: logout.initRequest(sp_entity, lasso.HTTP_METHOD_REDIRECT), "initRequest")
    logout.msgRelayState = "rs-lasso"
    check(lambda: logout.buildRequestMsg(), "buildRequestMsg")
    print(logout.msgUrl, flush=True)
    answer = read_line()
    if "RelayState=rs-lasso" not in answer:
        fail("RelayState not carried back: %s" % answer)
    check(lambda: logout.processResponseMsg(query_of(answer)), "processResponseMsg")
    print("ok " + logout.response.status.statusCode.value, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
