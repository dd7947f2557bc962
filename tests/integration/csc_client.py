#!/usr/bin/python3
"""A remote-signing client of the Cloud Signature Consortium API v2.0.0.2, written from the
specification's published method and field names (not from Signet's code), in another language
than the server: what another signing platform would write. It drives a running signetd through
the whole SCAL2 flow and checks every signature with openssl against the certificate
credentials/info returned. Any failure exits 1 with a message naming the step.

usage: csc_client.py --base URL --ca FILE --client NAME --token TOKEN
                     --other-client NAME --other-token TOKEN --sms-dir DIR --work DIR

  --base          https://HOST:PORT/csc/v2/
  --client/token  an API client with the scope csc (its bearer token is its secret)
  --other-*       a second platform: it must not see or use the first one's credentials
  --sms-dir       where the loopback SMS gateway writes each message (sms-N.json)
"""
import argparse
import base64
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import requests

SHA256 = "2.16.840.1.101.3.4.2.1"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"
RSA = "1.2.840.113549.1.1.1"
RSA_PSS = "1.2.840.113549.1.1.10"
# RSASSA-PSS-params (RFC 8017 A.2.3): SHA-256, MGF1 with SHA-256, salt length 32, trailer 1.
PSS_SHA256_PARAMS = base64.b64encode(bytes.fromhex(
    "3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d060960864801"
    "65030402010500a203020120")).decode()


class Failure(Exception):
    pass


def b64(data):
    return base64.b64encode(data).decode()


class Client:
    def __init__(self, args):
        self.base = args.base.rstrip("/") + "/"
        self.ca = args.ca
        self.work = args.work
        self.sms_dir = args.sms_dir
        self.session = requests.Session()
        # Only the CA given: REQUESTS_CA_BUNDLE and proxies from the environment would override
        # a session's verify (requests' merge_environment_settings).
        self.session.trust_env = False
        self.session.verify = args.ca

    def post(self, method, body=None, token=None, expect=200, **kwargs):
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        if body is not None:
            kwargs["json"] = body
        r = self.session.post(self.base + method, headers=headers, timeout=60, **kwargs)
        if r.status_code != expect:
            raise Failure("%s: HTTP %d, expected %d: %s" % (method, r.status_code, expect, r.text[:400]))
        if r.status_code == 204 or not r.content:
            return {}
        return r.json()

    def refused(self, method, body, token, status, error, description=None):
        """A request the server must refuse with the CSC API's error (§10.2)."""
        r = self.session.post(self.base + method, json=body, timeout=60,
                              headers={"Authorization": "Bearer " + token})
        if r.status_code != status:
            raise Failure("%s: HTTP %d, expected the refusal %d: %s"
                          % (method, r.status_code, status, r.text[:400]))
        answer = r.json()
        if answer.get("error") != error:
            raise Failure("%s: error %r, expected %r" % (method, answer.get("error"), error))
        if description and description not in answer.get("error_description", ""):
            raise Failure("%s: error_description %r lacks %r"
                          % (method, answer.get("error_description"), description))
        return answer

    def oauth_token(self, client, secret):
        r = self.session.post(self.base + "oauth2/token", timeout=60, data={
            "grant_type": "client_credentials", "client_id": client, "client_secret": secret})
        if r.status_code != 200:
            raise Failure("oauth2/token: HTTP %d: %s" % (r.status_code, r.text[:400]))
        if r.headers.get("Cache-Control") != "no-store":
            raise Failure("oauth2/token: no Cache-Control: no-store (RFC 6749 §5.1)")
        answer = r.json()
        if answer.get("token_type") != "Bearer" or not answer.get("access_token"):
            raise Failure("oauth2/token: not a bearer token: %r" % answer)
        return answer["access_token"]

    def login(self, client, secret):
        answer = self.post("auth/login", {"rememberMe": True}, auth=(client, secret))
        if not answer.get("access_token") or int(answer.get("expires_in", 0)) <= 0:
            raise Failure("auth/login: no access token: %r" % answer)
        return answer

    def sms_count(self):
        return len(glob.glob(os.path.join(self.sms_dir, "sms-*.json")))

    def sms_code(self, seen):
        """The code of the first text message after the `seen` ones (the gateway writes them in
        order)."""
        path = os.path.join(self.sms_dir, "sms-%d.json" % (seen + 1))
        deadline = time.monotonic() + 60
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise Failure("no text message arrived at %s" % path)
            time.sleep(0.1)
        with open(path, encoding="utf-8") as f:
            text = json.dumps(json.load(f), ensure_ascii=False)
        match = re.search(r"code (\d{4,10})\b", text) or re.search(r"(?<![0-9A-Fa-f])(\d{6})(?![0-9A-Fa-f])", text)
        if not match:
            raise Failure("no code in the text message %s" % path)
        return match.group(1)

    def write(self, name, data):
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def openssl(self, *words):
        run = subprocess.run(["openssl"] + list(words), capture_output=True, text=True)
        return run.returncode, run.stdout + run.stderr


def pem_of(der):
    text = b64(der)
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()


def main():
    parser = argparse.ArgumentParser()
    for name in ("base", "ca", "client", "token", "other-client", "other-token", "sms-dir", "work"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    c = Client(args)
    report = []

    # info (§11.1): no authentication.
    info = c.post("info", {})
    for field in ("name", "logo", "region", "lang", "authType", "methods", "signAlgorithms"):
        if field not in info:
            raise Failure("info lacks %s: %r" % (field, info))
    for method in ("credentials/authorize", "signatures/signHash", "credentials/getChallenge"):
        if method not in info["methods"]:
            raise Failure("info does not list %s" % method)
    report.append("info: %s, %d methods" % (info["name"], len(info["methods"])))

    # Service authorization both ways (§8.4.4 client credentials, §11.2 HTTP Basic).
    access = c.oauth_token(args.client, args.token)
    login = c.login(args.client, args.token)
    report.append("tokens: oauth2/token and auth/login (refresh token %s)"
                  % ("given" if login.get("refresh_token") else "not given"))

    listed = c.post("credentials/list", {"credentialInfo": True, "certificates": "chain",
                                         "certInfo": True, "authInfo": True}, token=login["access_token"])
    ids = listed.get("credentialIDs", [])
    if not ids:
        raise Failure("credentials/list returned no credential: %r" % listed)
    report.append("credentials/list: %d credentials" % len(ids))

    signed = 0
    chain_of = {}
    for credential_id in ids:
        cred = c.post("credentials/info", {"credentialID": credential_id, "certificates": "chain",
                                           "certInfo": True, "authInfo": True}, token=access)
        if cred.get("SCAL") != "2" or cred["auth"]["mode"] != "explicit":
            raise Failure("credentials/info %s: not explicit SCAL2: %r" % (credential_id, cred))
        chain = cred["cert"]["certificates"]
        chain_of[credential_id] = chain
        if len(chain) < 2:
            raise Failure("credentials/info %s: the chain has %d certificates" % (credential_id, len(chain)))
        if cred["cert"]["serialNumber"].upper() != credential_id.upper():
            raise Failure("credentials/info %s: serialNumber %s" % (credential_id, cred["cert"]["serialNumber"]))
        objects = {o["id"]: o for o in cred["auth"].get("objects", [])}
        if "OTP" not in objects:
            raise Failure("credentials/info %s offers no SMS OTP: %r" % (credential_id, cred["auth"]))
        cert_path = c.write("%s.pem" % credential_id, pem_of(base64.b64decode(chain[0])))
        c.write("%s-chain.pem" % credential_id, b"".join(pem_of(base64.b64decode(x)) for x in chain[1:]))
        code, out = c.openssl("verify", "-partial_chain", "-CAfile",
                              os.path.join(c.work, "%s-chain.pem" % credential_id), cert_path)
        if code != 0:
            raise Failure("openssl verify of %s's chain: %s" % (credential_id, out))
        code, pub = c.openssl("x509", "-pubkey", "-noout", "-in", cert_path)
        if code != 0:
            raise Failure("openssl x509 -pubkey: %s" % pub)
        pub_path = c.write("%s.pub" % credential_id, pub.encode())
        ec = "curve" in cred["key"]
        algos = [ECDSA_SHA256] if ec else [RSA, RSA_PSS]
        for algo in algos:
            if algo not in cred["key"]["algo"]:
                raise Failure("credentials/info %s: key/algo lacks %s" % (credential_id, algo))

            # getChallenge → the SMS; authorize two hashes with its code → SAD; signHash both.
            documents = [("%s %s document %d" % (credential_id, algo, i)).encode() for i in (1, 2)]
            hashes = [hashlib.sha256(d).digest() for d in documents]
            seen = c.sms_count()
            c.post("credentials/getChallenge", {"credentialID": credential_id, "authObjectID": "OTP"},
                   token=access, expect=204)
            otp = c.sms_code(seen)
            sad = c.post("credentials/authorize", {
                "credentialID": credential_id, "numSignatures": 2,
                "hashes": [b64(h) for h in hashes], "hashAlgorithmOID": SHA256,
                "authData": [{"id": "OTP", "value": otp}], "description": "csc_client.py"},
                token=access)["SAD"]
            body = {"credentialID": credential_id, "SAD": sad, "hashes": [b64(h) for h in hashes],
                    "signAlgo": algo}
            if algo == RSA:
                body["hashAlgorithmOID"] = SHA256
            if algo == RSA_PSS:
                body["signAlgoParams"] = PSS_SHA256_PARAMS
            signatures = c.post("signatures/signHash", body, token=access)["signatures"]
            if len(signatures) != 2:
                raise Failure("signHash returned %d signatures for 2 hashes" % len(signatures))
            for i, (h, s) in enumerate(zip(hashes, signatures)):
                hash_path = c.write("%s-%d.hash" % (credential_id, i), h)
                sig_path = c.write("%s-%s-%d.sig" % (credential_id, algo, i), base64.b64decode(s))
                options = ["-pkeyopt", "digest:sha256"]
                if algo == RSA:
                    options += ["-pkeyopt", "rsa_padding_mode:pkcs1"]
                if algo == RSA_PSS:
                    options += ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32",
                                "-pkeyopt", "rsa_mgf1_md:sha256"]
                code, out = c.openssl("pkeyutl", "-verify", "-pubin", "-inkey", pub_path,
                                      "-in", hash_path, "-sigfile", sig_path, *options)
                if code != 0 or "Signature Verified Successfully" not in out:
                    raise Failure("openssl pkeyutl -verify of %s's signature %d (%s): %s"
                                  % (credential_id, i, algo, out))
                signed += 1
            report.append("signHash %s %s: 2 signatures verified by openssl" % (credential_id, algo))

    # signDoc (§11.11): a CAdES signature over a document digest, checked by openssl cms with
    # the document as its detached content and the chain from credentials/info.
    credential_id = ids[0]
    document = b"A contract the platform's user signs with signatures/signDoc.\n"
    digest = hashlib.sha256(document).digest()
    cred = c.post("credentials/info", {"credentialID": credential_id}, token=access)
    algo = ECDSA_SHA256 if "curve" in cred["key"] else "1.2.840.113549.1.1.11"
    seen = c.sms_count()
    c.post("credentials/getChallenge", {"credentialID": credential_id, "authObjectID": "OTP"},
           token=access, expect=204)
    sad = c.post("credentials/authorize", {
        "credentialID": credential_id, "numSignatures": 1, "hashes": [b64(digest)],
        "hashAlgorithmOID": SHA256, "authData": [{"id": "OTP", "value": c.sms_code(seen)}]},
        token=access)["SAD"]
    objects = c.post("signatures/signDoc", {
        "credentialID": credential_id, "SAD": sad,
        "documentDigests": [{"hashes": [b64(digest)], "hashAlgorithmOID": SHA256,
                             "signature_format": "C", "conformance_level": "Ades-B-T",
                             "signed_envelope_property": "Detached", "signAlgo": algo}]},
        token=access)["SignatureObject"]
    if len(objects) != 1:
        raise Failure("signDoc returned %d signature objects for 1 digest" % len(objects))
    cms_path = c.write("signdoc.p7s", base64.b64decode(objects[0]))
    document_path = c.write("signdoc.txt", document)
    code, out = c.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", cms_path,
                          "-content", document_path, "-CAfile",
                          os.path.join(c.work, "%s-chain.pem" % credential_id), "-purpose", "any",
                          "-out", os.devnull)
    if code != 0:
        raise Failure("openssl cms -verify of signDoc's CAdES: %s" % out)
    code, out = c.openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", cms_path)
    if code != 0 or "id-smime-aa-timeStampToken" not in out:
        raise Failure("signDoc's CAdES carries no signature time-stamp (B-T): %s" % out[:400])
    report.append("signDoc %s: CAdES B-T verified by openssl cms" % credential_id)

    # signDoc with documents (§11.11): Signet builds a PAdES signature on the PDF itself; the
    # SAD holds the PDF's SHA-256. pdfsig (poppler, NSS) judges the signed PDF with the
    # credential's root CA as the only trusted certificate.
    postscript = c.write("contract.ps", b"%!PS\n/Helvetica findfont 14 scalefont setfont\n"
                         b"72 720 moveto (Remote signing contract: the parties agree.) show\n"
                         b"showpage\n")
    pdf_path = os.path.join(c.work, "contract.pdf")
    gs = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                         "-sOutputFile=" + pdf_path, postscript],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if gs.returncode != 0:
        raise Failure("gs could not make the PDF: %s" % gs.stdout.decode(errors="replace"))
    with open(pdf_path, "rb") as f:
        pdf = f.read()
    seen = c.sms_count()
    c.post("credentials/getChallenge", {"credentialID": credential_id, "authObjectID": "OTP"},
           token=access, expect=204)
    sad = c.post("credentials/authorize", {
        "credentialID": credential_id, "numSignatures": 1,
        "hashes": [b64(hashlib.sha256(pdf).digest())], "hashAlgorithmOID": SHA256,
        "authData": [{"id": "OTP", "value": c.sms_code(seen)}]}, token=access)["SAD"]
    answer = c.post("signatures/signDoc", {
        "credentialID": credential_id, "SAD": sad,
        "documents": [{"document": b64(pdf), "signature_format": "P",
                       "conformance_level": "Ades-B-T", "signed_envelope_property": "Revision",
                       "signAlgo": algo}]}, token=access)
    if len(answer.get("DocumentWithSignature", [])) != 1 or "SignatureObject" in answer:
        raise Failure("signDoc with one PDF: %r" % {k: len(v) for k, v in answer.items()})
    signed_pdf = base64.b64decode(answer["DocumentWithSignature"][0])
    if not signed_pdf.startswith(pdf) or len(signed_pdf) <= len(pdf):
        raise Failure("the signed PDF is not the document with a revision appended")
    signed_path = c.write("contract-signed.pdf", signed_pdf)
    nss = os.path.join(c.work, "nss")
    os.makedirs(nss, exist_ok=True)
    root = c.write("root.pem", pem_of(base64.b64decode(chain_of[credential_id][-1])))
    for argv in (["certutil", "-N", "-d", "sql:" + nss, "--empty-password"],
                 ["certutil", "-A", "-d", "sql:" + nss, "-n", "root", "-t", "C,C,C", "-i", root]):
        run = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if run.returncode != 0:
            raise Failure("%s: %s" % (" ".join(argv[:2]), run.stdout.decode(errors="replace")))
    run = subprocess.run(["pdfsig", "-nssdir", "sql:" + nss, "-no-ocsp", signed_path],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = run.stdout.decode(errors="replace")
    if out.count("Signature #") != 1 or "Signature Validation: Signature is Valid." not in out \
            or "- Total document signed" not in out:
        raise Failure("pdfsig does not find one valid signature over the whole PDF:\n%s" % out)
    report.append("signDoc %s: PAdES B-T on the PDF, pdfsig: valid, total document signed"
                  % credential_id)

    # SCAL2 over HTTP (§8.2): the SAD covers its hashes only, once, for its platform only.
    algo = ECDSA_SHA256 if "curve" in cred["key"] else RSA
    authorized = hashlib.sha256(b"the document the signer saw").digest()
    other_hash = hashlib.sha256(b"a document the signer never saw").digest()
    seen = c.sms_count()
    c.post("credentials/getChallenge", {"credentialID": credential_id, "authObjectID": "OTP"},
           token=access, expect=204)
    sad = c.post("credentials/authorize", {
        "credentialID": credential_id, "numSignatures": 1, "hashes": [b64(authorized)],
        "hashAlgorithmOID": SHA256, "authData": [{"id": "OTP", "value": c.sms_code(seen)}]},
        token=access)["SAD"]
    sign = {"credentialID": credential_id, "SAD": sad, "hashAlgorithmOID": SHA256, "signAlgo": algo}
    if algo == ECDSA_SHA256:
        del sign["hashAlgorithmOID"]
    c.refused("signatures/signHash", dict(sign, hashes=[b64(other_hash)]), access, 400,
              "invalid_request", "not authorized")
    report.append("SCAL2: a hash the SAD does not cover refused")

    # The second platform sees no credential of the first and cannot use its SAD.
    other_access = c.oauth_token(args.other_client, args.other_token)
    c.refused("credentials/info", {"credentialID": credential_id}, other_access, 400,
              "invalid_request", "credentialID")
    c.refused("signatures/signHash", dict(sign, hashes=[b64(authorized)]), other_access, 400,
              "invalid_request")
    other_list = c.post("credentials/list", {}, token=other_access)
    if credential_id in other_list.get("credentialIDs", []):
        raise Failure("the second platform lists the first one's credential")
    report.append("another platform: the credential and its SAD refused")

    # The SAD still works for its own hash, once; then it is used up.
    c.post("signatures/signHash", dict(sign, hashes=[b64(authorized)]), token=access)
    c.refused("signatures/signHash", dict(sign, hashes=[b64(authorized)]), access, 400,
              "invalid_request", "SAD")
    report.append("SCAL2: the SAD signed once, its reuse refused")

    # A wrong code gets no SAD.
    c.refused("credentials/authorize", {
        "credentialID": credential_id, "numSignatures": 1, "hashes": [b64(authorized)],
        "hashAlgorithmOID": SHA256, "authData": [{"id": "OTP", "value": "00000000"}]},
        access, 400, "invalid_otp")
    report.append("a wrong code refused (invalid_otp)")

    # signatures/timestamp (§11.13): the token's imprint is the hash.
    imprint = hashlib.sha256(b"time-stamp me").digest()
    stamp = c.post("signatures/timestamp", {"hash": b64(imprint), "hashAlgo": SHA256,
                                            "nonce": "0123456789abcdef"}, token=access)
    token_path = c.write("timestamp.tst", base64.b64decode(stamp["timestamp"]))
    code, out = c.openssl("ts", "-reply", "-in", token_path, "-token_in", "-text")
    if code != 0:
        raise Failure("openssl ts -reply -token_in: %s" % out)
    dumped = []
    lines = out.splitlines()
    if "Message data:" not in [l.strip() for l in lines]:
        raise Failure("openssl ts shows no message imprint: %s" % out)
    start = [l.strip() for l in lines].index("Message data:") + 1
    for line in lines[start:]:
        m = re.match(r"\s+[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})", line)
        if not m:
            break
        dumped += m.group(1).replace("-", " ").split()
    if bytes.fromhex("".join(dumped)) != imprint:
        raise Failure("the time-stamp's imprint %s is not the hash %s" % ("".join(dumped), imprint.hex()))
    if "Nonce: 0x0123456789ABCDEF" not in out and "0x123456789ABCDEF" not in out.upper():
        raise Failure("the time-stamp lacks the nonce: %s" % out)
    report.append("signatures/timestamp: imprint and nonce shown by openssl ts")

    # auth/revoke: the token stops working.
    c.post("auth/revoke", {"token": login["access_token"]}, token=access, expect=204)
    c.refused("credentials/list", {}, login["access_token"], 401, "invalid_token")
    report.append("auth/revoke: the revoked token refused")

    for line in report:
        print(line)
    print("CSC CLIENT OK: %d signatures verified" % signed)


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print("CSC CLIENT FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)
    except requests.RequestException as e:
        print("CSC CLIENT FAILED: HTTP: %s" % e, file=sys.stderr)
        sys.exit(1)
