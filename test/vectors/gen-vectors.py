#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write the data-driven vectors under test/vectors/ (python3-jwcrypto).

    /usr/bin/python3 test/vectors/gen-vectors.py
    /usr/bin/python3 test/vectors/gen-vectors.py --only CASE...   (jws only)

jws/<case>/{token,jwks.json,expect.json}: read by test/unit/test_jws.c.
  expect.json: {"parse": "ok"|reason, "verify": "ok"|reason,
                "allowed": [alg, ...] (default: every asymmetric alg),
                "hmac_secret": str (optional), "note": str}
  A case whose payload is not JSON (RFC 7520) has "parse" failing and is
  verified through a hand-built aoidc_jws_t ("verify_raw": true).
jwt/<case>/{claims.json,expect.json}: read by test/unit/test_jwt.c.
  expect.json: {"rules": {...aoidc_jwt_rules_t...}, "result": "ok"|reason}
seal/{state,session}.json: blobs sealed by python3-cryptography that
  test_state.c and test_session.c must open (an independent check of the
  format in src/core/seal.h).

The RFC cases are copied from RFC 7515 Appendix A and RFC 7520 §4.1; the
rest are signed with the keys in keys/ (see gen-keys.py). RSA PKCS#1 v1.5
signatures are deterministic; ECDSA ones change on every run.
"""
import base64
import hmac
import hashlib
import json
import os
import shutil

from jwcrypto import jwk
from jwcrypto.jwa import JWA

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = 1700000000
ISS = "https://op.example.com"
AUD = "client-1"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def key(name):
    with open(os.path.join(HERE, "keys", name)) as f:
        return jwk.JWK(**json.load(f))


def pub(k, **extra):
    d = json.loads(k.export_public())
    d.update(extra)
    return d


def sign(header, payload, k=None, raw_payload=None, secret=None):
    h = b64(json.dumps(header, separators=(",", ":")).encode())
    if raw_payload is None:
        raw_payload = json.dumps(payload, separators=(",", ":")).encode()
    p = b64(raw_payload)
    si = (h + "." + p).encode()
    alg = header.get("alg")
    if secret is not None:
        dig = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
               "HS512": hashlib.sha512}[alg]
        sig = hmac.new(secret, si, dig).digest()
    elif k is not None:
        sig = JWA.signing_alg(alg).sign(k, si)
    else:
        sig = b"\x00" * 32
    return h + "." + p + "." + b64(sig)


def claims(**over):
    c = {"iss": ISS, "aud": AUD, "sub": "alice", "iat": NOW - 10,
         "exp": NOW + 3600}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def write_case(kind, name, files):
    d = os.path.join(HERE, kind, name)
    os.makedirs(d, exist_ok=True)
    for fn, content in files.items():
        with open(os.path.join(d, fn), "w") as f:
            if isinstance(content, str):
                f.write(content)
            else:
                f.write(json.dumps(content, indent=1, sort_keys=True) + "\n")


# --- RFC examples (verbatim) ------------------------------------------------

RFC7515_A2_JWK = {
    "kty": "RSA",
    "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
         "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
         "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
         "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
         "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
         "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
    "e": "AQAB",
}
RFC7515_A2 = (
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
    "p0igcN_IoypGlUPQGe77Rw")
RFC7515_A3_JWK = {
    "kty": "EC", "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
RFC7515_A3 = (
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
    "pmWQxfKTUJqPP3-Kg6NU1Q")
# A.1: HMAC key k, bytes that contain no NUL, so it can be a C string.
RFC7515_A1_K = ("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0"
                "iPS4hcgUuTwjAzZr1Z9CAow")
RFC7515_A1 = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
RFC7515_A5 = (
    "eyJhbGciOiJub25lIn0"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ.")
RFC7520_JWK = {
    "kty": "RSA", "kid": "bilbo.baggins@hobbiton.example", "use": "sig",
    "n": "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRoj"
         "dNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2l"
         "bzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6c"
         "S6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3"
         "-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwU"
         "kRz5iaiQkqgc5gHdrNP5zw",
    "e": "AQAB",
}
RFC7520_41 = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"
    ".SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9v"
    "ci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIg"
    "ZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9m"
    "ZiB0by4"
    ".MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U"
    "4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0Rn"
    "ltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9Uzp"
    "ERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4"
    "uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg")


def self_check():
    """The RFC texts above verify with jwcrypto, so a typo cannot hide."""
    from jwcrypto import jws as jjws
    for tok, k, alg in ((RFC7515_A2, RFC7515_A2_JWK, "RS256"),
                        (RFC7515_A3, RFC7515_A3_JWK, "ES256"),
                        (RFC7520_41, RFC7520_JWK, "RS256"),
                        (RFC7515_A1, {"kty": "oct", "k": RFC7515_A1_K},
                         "HS256")):
        o = jjws.JWS()
        o.deserialize(tok)
        o.verify(jwk.JWK(**k), alg=alg)


def jws_cases():
    rsa, rsa2 = key("rsa2048.jwk.json"), key("rsa2048-other.jwk.json")
    ec, ec384 = key("ec-p256.jwk.json"), key("ec-p384.jwk.json")
    with open(os.path.join(HERE, "keys", "rsa2048.pub.pem"), "rb") as f:
        pem = f.read()
    ours = {"keys": [pub(rsa, kid="rsa-1", use="sig"),
                     pub(ec, kid="ec-1", use="sig")]}
    c = claims()
    cases = {}

    def case(name, token, jwks, parse="ok", verify="ok", **extra):
        e = {"parse": parse, "verify": verify}
        e.update(extra)
        cases[name] = (token, jwks, e)

    case("rfc7515-a2-rs256", RFC7515_A2, {"keys": [RFC7515_A2_JWK]},
         note="RFC 7515 A.2, key without kid: the single candidate is used")
    case("rfc7515-a3-es256", RFC7515_A3, {"keys": [RFC7515_A3_JWK]},
         note="RFC 7515 A.3")
    case("rfc7515-a1-hs256", RFC7515_A1, {"keys": []},
         allowed=["HS256"],
         hmac_secret_b64url=RFC7515_A1_K, note="RFC 7515 A.1, HMAC with the "
         "configured secret")
    case("rfc7515-a1-hs256-no-secret", RFC7515_A1, {"keys": []},
         verify="alg", allowed=["HS256"], note="HS256 needs a client secret")
    case("rfc7515-a1-hs256-not-allowed", RFC7515_A1, {"keys": []},
         verify="alg", hmac_secret_b64url=RFC7515_A1_K,
         note="HS256 outside the allow-list even with a secret")
    h, p, s = RFC7515_A2.split(".")
    case("rfc7515-a2-tampered", h + "." + b64(b'{"iss":"joe","exp":1300819380,'
                                            b'"http://example.com/is_root":false}')
         + "." + s, {"keys": [RFC7515_A2_JWK]}, verify="signature")
    case("rfc7515-a2-wrong-key", RFC7515_A2, {"keys": [pub(rsa)]},
         verify="signature")
    case("rfc7515-a5-none-empty-sig", RFC7515_A5, {"keys": [RFC7515_A2_JWK]},
         parse="jws_malformed", note="alg none, empty signature part")
    case("rfc7515-a5-none", RFC7515_A5 + "c2ln", {"keys": [RFC7515_A2_JWK]},
         verify="alg", note="alg none with some signature bytes")
    case("rfc7520-4.1-rs256-kid", RFC7520_41, {"keys": [RFC7520_JWK]},
         parse="jws_malformed", verify="ok", verify_raw=True,
         note="RFC 7520 4.1: payload is text, not claims; the signature is "
              "checked on a hand-built aoidc_jws_t")
    case("rfc7520-4.1-other-kid", RFC7520_41,
         {"keys": [dict(RFC7520_JWK, kid="frodo")]},
         parse="jws_malformed", verify="key_unknown", verify_raw=True)

    case("rs256-ok", sign({"alg": "RS256", "kid": "rsa-1"}, c, rsa), ours)
    case("rs384-ok", sign({"alg": "RS384", "kid": "rsa-1"}, c, rsa), ours)
    case("ps256-ok", sign({"alg": "PS256", "kid": "rsa-1"}, c, rsa), ours)
    case("es256-ok", sign({"alg": "ES256", "kid": "ec-1"}, c, ec), ours)
    case("es256-no-kid-single-ec", sign({"alg": "ES256"}, c, ec), ours,
         note="no kid, one EC key among RSA keys: unambiguous for ES256")
    case("rs256-not-allowed", sign({"alg": "RS256", "kid": "rsa-1"}, c, rsa),
         ours, verify="alg", allowed=["ES256"])
    case("rs256-wrong-key-same-kid",
         sign({"alg": "RS256", "kid": "rsa-1"}, c, rsa2), ours,
         verify="signature")
    case("alg-none", sign({"alg": "none", "kid": "rsa-1"}, c), ours,
         verify="alg")
    case("alg-None-case", sign({"alg": "None"}, c), ours, verify="alg")
    case("alg-unknown", sign({"alg": "RS1"}, c), ours, verify="alg")
    case("alg-missing", sign({"kid": "rsa-1"}, c), ours,
         parse="jws_malformed")
    case("alg-not-string", sign({"alg": 256}, c), ours,
         parse="jws_malformed")
    case("hs256-rsa-pem-no-secret",
         sign({"alg": "HS256", "kid": "rsa-1"}, c, secret=pem), ours,
         verify="alg", allowed=["RS256", "HS256"],
         note="HS256 keyed with the RSA public key PEM; no client secret")
    case("hs256-rsa-pem-with-secret",
         sign({"alg": "HS256", "kid": "rsa-1"}, c, secret=pem), ours,
         verify="signature", allowed=["RS256", "HS256"],
         hmac_secret="the-client-secret",
         note="the JWKS key is never an HMAC key")
    case("hs256-client-secret-ok",
         sign({"alg": "HS256"}, c, secret=b"the-client-secret"), ours,
         allowed=["RS256", "HS256"], hmac_secret="the-client-secret")
    case("kid-unknown", sign({"alg": "RS256", "kid": "nope"}, c, rsa), ours,
         verify="key_unknown")
    case("kid-not-string", sign({"alg": "RS256", "kid": 1}, c, rsa), ours,
         parse="jws_malformed")
    case("typ-not-string", sign({"alg": "RS256", "typ": ["JWT"]}, c, rsa),
         ours, parse="jws_malformed")
    two = {"keys": [pub(rsa), pub(rsa2)]}
    case("two-keys-no-kid", sign({"alg": "RS256"}, c, rsa), two,
         verify="key_unknown", note="ambiguous without kid")
    case("crit", sign({"alg": "RS256", "kid": "rsa-1", "crit": ["exp"],
                       "exp": 1}, c, rsa), ours, parse="crit")
    case("crit-empty", sign({"alg": "RS256", "kid": "rsa-1", "crit": []}, c,
                            rsa), ours, parse="crit")
    good = sign({"alg": "RS256", "kid": "rsa-1"}, c, rsa)
    gh, gp, gs = good.split(".")
    case("bad-b64-header", gh[:-1] + "*." + gp + "." + gs, ours,
         parse="jws_malformed")
    case("bad-b64-payload-padding", gh + "." + gp + "==." + gs, ours,
         parse="jws_malformed")
    case("bad-b64-signature", gh + "." + gp + "." + gs[:10] + "!" + gs[11:],
         ours, parse="jws_malformed",
         note="RFC 7515 §7.1: every part is base64url")
    case("signature-padding-inside", gh + "." + gp + ".AAAAA=", ours,
         parse="jws_malformed",
         note="'=' after 4k+1 characters: libcjose 0.6.2's decoder asserts "
              "(abort) on it, so it must never reach cjose_jws_import")
    case("trailing-space", good + " ", ours, parse="jws_malformed")
    case("trailing-newline", good + "\n", ours, parse="jws_malformed")
    case("trailing-dot", good + ".", ours, parse="jws_malformed")
    case("four-parts", good + ".AAAA", ours, parse="jws_malformed")
    case("two-parts", gh + "." + gp, ours, parse="jws_malformed")
    case("empty-signature", gh + "." + gp + ".", ours, parse="jws_malformed")
    case("empty-header", "." + gp + "." + gs, ours, parse="jws_malformed")
    case("oversized", sign({"alg": "RS256", "kid": "rsa-1"},
                           claims(pad="x" * 17000), rsa), ours,
         parse="jws_malformed", note="over AOIDC_MAX_TOKEN_LEN")
    case("payload-array", sign({"alg": "RS256", "kid": "rsa-1"}, [c], rsa),
         ours, parse="jws_malformed")
    case("payload-string", sign({"alg": "RS256", "kid": "rsa-1"}, "x", rsa),
         ours, parse="jws_malformed")
    case("header-array", b64(b'["RS256"]') + "." + gp + "." + gs, ours,
         parse="jws_malformed")
    case("header-duplicate-alg",
         b64(b'{"alg":"none","alg":"RS256","kid":"rsa-1"}') + "." + gp + "."
         + gs, ours, parse="jws_malformed")
    case("es256-token-rsa-key-same-kid",
         sign({"alg": "ES256", "kid": "k"}, c, ec),
         {"keys": [pub(rsa, kid="k")]}, verify="key_unknown",
         note="no key of a suitable type under that kid")
    case("rs256-token-ec-key-same-kid",
         sign({"alg": "RS256", "kid": "k"}, c, rsa),
         {"keys": [pub(ec, kid="k")]}, verify="key_unknown")
    case("es256-p384-key", sign({"alg": "ES256", "kid": "k"}, c, ec),
         {"keys": [pub(ec384, kid="k")]}, verify="key_unknown",
         note="curve must suit the alg")
    case("key-use-enc-ignored", sign({"alg": "RS256", "kid": "rsa-1"}, c, rsa),
         {"keys": [pub(rsa, kid="rsa-1", use="enc")]}, verify="key_unknown")
    case("key-use-not-string-ignored",
         sign({"alg": "RS256", "kid": "rsa-1"}, c, rsa),
         {"keys": [pub(rsa, kid="rsa-1", use=1)]}, verify="key_unknown")
    case("key-alg-restricts", sign({"alg": "RS256", "kid": "rsa-1"}, c, rsa),
         {"keys": [pub(rsa, kid="rsa-1", alg="PS256")]},
         verify="key_unknown", note="a key's own alg must equal the token's")
    case("key-alg-matches", sign({"alg": "PS256", "kid": "rsa-1"}, c, rsa),
         {"keys": [pub(rsa, kid="rsa-1", alg="PS256")]})
    oct_jwks = {"keys": [{"kty": "oct", "kid": "rsa-1",
                          "k": b64(b"the-client-secret")}]}
    case("jwks-oct-key-ignored",
         sign({"alg": "HS256", "kid": "rsa-1"}, c,
              secret=b"the-client-secret"), oct_jwks, verify="alg",
         allowed=["RS256", "HS256"],
         note="an oct key from a JWKS is never used; no client secret")
    case("jwks-oct-key-rs256", sign({"alg": "RS256", "kid": "rsa-1"}, c, rsa),
         dict(oct_jwks), verify="key_unknown")
    case("jku-ignored", sign({"alg": "RS256", "kid": "evil",
                              "jku": "https://evil.example/jwks"}, c, rsa),
         ours, verify="key_unknown", note="jku/jwk headers are not key sources")
    # security review (issue 8), finding 9: weak RSA keys and EC keys whose
    # coordinates do not belong to the curve they name are never used
    rsa1024, rsa512 = key("rsa1024.jwk.json"), key("rsa512.jwk.json")
    case("rsa1024-key-refused",
         sign({"alg": "RS256", "kid": "weak"}, c, rsa1024),
         {"keys": [pub(rsa1024, kid="weak", use="sig")]}, verify="key_unknown",
         note="RSA keys under 2048 bits are skipped")
    case("rsa512-key-refused",
         sign({"alg": "RS256", "kid": "weak"}, c, rsa512),
         {"keys": [pub(rsa512, kid="weak", use="sig")]}, verify="key_unknown",
         note="RSA keys under 2048 bits are skipped")
    case("rsa1024-no-kid-refused", sign({"alg": "RS256"}, c, rsa1024),
         {"keys": [pub(rsa1024)]}, verify="key_unknown",
         note="not even as the single candidate without kid")
    case("ec-crv-mismatch-refused", sign({"alg": "ES256", "kid": "k"}, c, ec),
         {"keys": [dict(pub(ec384, kid="k"), crv="P-256")]},
         verify="key_unknown",
         note="P-384 coordinates labelled P-256 are skipped")
    case("ec-crv-unknown-refused", sign({"alg": "ES256", "kid": "k"}, c, ec),
         {"keys": [dict(pub(ec, kid="k"), crv="secp256k1")]},
         verify="key_unknown")
    case("jwk-header-ignored",
         sign({"alg": "RS256", "jwk": pub(rsa2)}, c, rsa2),
         {"keys": [pub(rsa)]}, verify="signature")
    return cases


def jwt_cases():
    base_rules = {"issuer": ISS, "audience": AUD, "azp": None, "now": NOW,
                  "leeway": 60, "require_iat": False, "require_sub": False}
    cases = {}

    def case(name, c, result="ok", note=None, **rules):
        r = dict(base_rules)
        r.update(rules)
        e = {"rules": r, "result": result}
        if note:
            e["note"] = note
        cases[name] = (c, e)

    case("ok", claims())
    case("iss-trailing-slash", claims(iss=ISS + "/"), "issuer")
    case("iss-case", claims(iss=ISS.upper()), "issuer")
    case("iss-missing", claims(iss=None), "issuer")
    case("iss-not-string", claims(iss=["https://op.example.com"]), "issuer")
    case("aud-array-with-us", claims(aud=["other", AUD]))
    case("aud-array-without-us", claims(aud=["other", "third"]), "audience")
    case("aud-string-other", claims(aud="other"), "audience")
    case("aud-missing", claims(aud=None), "audience")
    case("aud-empty-array", claims(aud=[]), "audience")
    case("aud-prefix", claims(aud=AUD + "x"), "audience")
    case("azp-single-aud-absent", claims(), azp=AUD)
    case("azp-multi-aud-absent", claims(aud=[AUD, "other"]), "azp", azp=AUD)
    case("azp-multi-aud-ours", claims(aud=[AUD, "other"], azp=AUD), azp=AUD)
    case("azp-other", claims(azp="other"), "azp", azp=AUD)
    case("azp-not-string", claims(azp=1), "azp", azp=AUD)
    case("azp-unchecked", claims(aud=[AUD, "other"], azp="other"))
    case("exp-missing", claims(exp=None), "expired")
    case("exp-string", claims(exp=str(NOW + 100)), "expired")
    case("exp-leeway-edge", claims(exp=NOW - 60), note="now == exp + leeway")
    case("exp-leeway-plus-1", claims(exp=NOW - 61), "expired")
    case("exp-leeway-minus-1", claims(exp=NOW - 59))
    case("exp-no-leeway-edge", claims(exp=NOW), leeway=0)
    case("exp-no-leeway-past", claims(exp=NOW - 1), "expired", leeway=0)
    case("exp-real", claims(exp=NOW + 0.5))
    case("nbf-future", claims(nbf=NOW + 61), "not_yet_valid")
    case("nbf-leeway-edge", claims(nbf=NOW + 60))
    case("nbf-past", claims(nbf=NOW - 1000))
    case("nbf-string", claims(nbf="0"), "not_yet_valid")
    case("iat-missing-required", claims(iat=None), "iat", require_iat=True)
    case("iat-missing-optional", claims(iat=None))
    case("iat-string", claims(iat="1"), "iat")
    case("iat-future", claims(iat=NOW + 61), "not_yet_valid")
    case("iat-leeway-edge", claims(iat=NOW + 60))
    case("sub-missing", claims(sub=None), "sub", require_sub=True)
    case("sub-empty", claims(sub=""), "sub", require_sub=True)
    case("sub-not-string", claims(sub=42), "sub", require_sub=True)
    case("sub-missing-optional", claims(sub=None))
    return cases


def seal_cases():
    """Sealed blobs made here with python3-cryptography (HKDF-SHA256 with the
    salt and info of src/core/seal.h, AES-256-GCM, v1 layout), so the C code
    is checked against an independent implementation of its format."""
    import struct
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def seal(passphrase, purpose, plain, aad):
        key = HKDF(algorithm=hashes.SHA256(), length=32,
                   salt=b"mod_auth_oidc seal v1",
                   info=purpose.encode()).derive(passphrase.encode())
        nonce = os.urandom(12)
        return b64(b"\x01\x00" + nonce + AESGCM(key).encrypt(nonce, plain,
                                                            aad.encode()))

    def s(v):
        if v is None:
            return b"\xff\xff\xff\xff"
        return struct.pack(">I", len(v.encode())) + v.encode() + b"\x00"

    state = "s" * 43
    st = {"nonce": "n-" + "x" * 41, "verifier": "v" * 43,
          "return_to": "/app?x=1", "issuer": ISS, "created": NOW - 10}
    rec = (b"\x01" + struct.pack(">Q", st["created"] * 1000000) + s(st["nonce"])
           + s(st["verifier"]) + s(st["return_to"]) + s(st["issuer"]))
    state_case = {"passphrase": "vector-passphrase", "purpose": "state",
                  "state": state, "now": NOW, "expect": st,
                  "cookie": seal("vector-passphrase", "state", rec, state)}
    sess = {"created": NOW - 100, "last_seen": NOW - 5, "at_expires": NOW + 300,
            "issuer": ISS, "client_id": AUD, "sub": "alice",
            "id_token": "h.p.s", "access_token": "at", "refresh_token": None,
            "scope": "openid", "claims": [["sub", "alice", False],
                                          ["groups", '["a","b"]', True]]}
    rec = (b"\x01" + b"".join(struct.pack(">Q", sess[k] * 1000000)
                             for k in ("created", "last_seen", "at_expires"))
           + b"".join(s(sess[k]) for k in ("issuer", "client_id", "sub",
                                          "id_token", "access_token",
                                          "refresh_token", "scope"))
           + bytes([len(sess["claims"])])
           + b"".join(bytes([int(j)]) + s(n) + s(v)
                      for n, v, j in sess["claims"]))
    session_case = {"passphrase": "vector-passphrase", "purpose": "session",
                    "aad": "session-id-1", "expect": sess,
                    "cookie": seal("vector-passphrase", "session", rec,
                                   "session-id-1")}
    return {"state.json": state_case, "session.json": session_case}


def only(names):
    """Write just the named jws cases (ECDSA signatures change on every
    run, so a full regeneration rewrites unrelated files)."""
    for name, (token, jwks, expect) in jws_cases().items():
        if name in names:
            write_case("jws", name, {"token": token, "jwks.json": jwks,
                                     "expect.json": expect})


def main():
    self_check()
    for kind in ("jws", "jwt", "seal"):
        shutil.rmtree(os.path.join(HERE, kind), ignore_errors=True)
    for name, (token, jwks, expect) in jws_cases().items():
        write_case("jws", name, {"token": token, "jwks.json": jwks,
                                 "expect.json": expect})
    for name, (c, expect) in jwt_cases().items():
        write_case("jwt", name, {"claims.json": c, "expect.json": expect})
    os.makedirs(os.path.join(HERE, "seal"))
    for fn, case in seal_cases().items():
        with open(os.path.join(HERE, "seal", fn), "w") as f:
            f.write(json.dumps(case, indent=1, sort_keys=True) + "\n")
    with open(os.path.join(HERE, "keys", "jwks.json"), "w") as f:
        rsa, ec = key("rsa2048.jwk.json"), key("ec-p256.jwk.json")
        json.dump({"keys": [pub(rsa, kid="rsa-1", use="sig"),
                            pub(ec, kid="ec-1", use="sig")]}, f, indent=1,
                  sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["--only"]:
        only(sys.argv[2:])
    else:
        main()
