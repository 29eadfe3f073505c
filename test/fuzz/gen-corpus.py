#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write the seed corpora under test/fuzz/corpus/<target>/ and fixed_jwks.h.

    /usr/bin/python3 test/fuzz/gen-corpus.py [TARGET...]

Seeds are a handful of valid and invalid inputs per target, many taken from
test/vectors. Sealed seeds (state, session) are made here with an
independent HKDF + AES-256-GCM implementation (python3-cryptography), so
the replay also checks that the C seal format matches its description in
src/core/seal.h. Files a fuzzer found (crash-*, regress-*) are kept.
"""
import base64
import json
import hashlib
import hmac
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.join(HERE, "..", "vectors")
NOW = 1700000000
ISS = "https://op.example.com"
FUZZ_STATE = "c3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3Q"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def seal(purpose, plain, aad, passphrase=b"fuzz-passphrase"):
    key = HKDF(algorithm=hashes.SHA256(), length=32,
               salt=b"mod_auth_oidc seal v1", info=purpose.encode()).derive(
                   passphrase)
    nonce = os.urandom(12)
    return b"\x01\x00" + nonce + AESGCM(key).encrypt(nonce, plain, aad)


def u64(v):
    return struct.pack(">Q", v & 0xFFFFFFFFFFFFFFFF)


def s(v):
    if v is None:
        return b"\xff\xff\xff\xff"
    v = v.encode() if isinstance(v, str) else v
    return struct.pack(">I", len(v)) + v + b"\x00"


def claims_enc(cl):
    out = bytes([len(cl)])
    for name, value, is_json in cl:
        out += bytes([1 if is_json else 0]) + s(name) + s(value)
    return out


def state_rec(created, nonce="n" * 43, verifier="v" * 43, ret="/app?x=1",
              iss=ISS, version=1):
    return (bytes([version]) + u64(created * 1000000) + s(nonce) + s(verifier)
            + s(ret) + s(iss))


def session_rec(version=1, iss=ISS, client="client-1", sub="alice",
                claims=(("sub", "alice", False), ("groups", '["a","b"]', True))):
    t = NOW * 1000000
    return (bytes([version]) + u64(t) + u64(t + 30000000) + u64(t + 3600000000)
            + s(iss) + s(client) + s(sub) + s("h.p.s") + s("at") + s(None)
            + s("openid email") + claims_enc(claims))


def entry_rec(version=1, until=NOW * 1000000, active=1,
              claims=(("sub", "alice", False), ("scope", "a b", False)),
              sig=None):
    """v1, or v2 with sig (u32 length + raw bytes) when sig is given."""
    s = b"" if sig is None else struct.pack(">I", len(sig)) + sig
    return (bytes([version]) + u64(until) + bytes([active]) + s
            + claims_enc(claims))


def jws(header, claims, key_name=None, secret=None):
    """A compact JWS over claims: RS256/ES256 with a test key from
    test/vectors/keys (python3-jwcrypto), HS256 with secret, else a dummy
    signature."""
    h = b64(json.dumps(header, separators=(",", ":")).encode())
    p = b64(json.dumps(claims, separators=(",", ":")).encode())
    si = (h + "." + p).encode()
    if secret is not None:
        sig = hmac.new(secret, si, hashlib.sha256).digest()
    elif key_name is not None:
        from jwcrypto import jwk
        from jwcrypto.jwa import JWA
        with open(os.path.join(VEC, "keys", key_name)) as f:
            k = jwk.JWK(**json.load(f))
        sig = JWA.signing_alg(header["alg"]).sign(k, si)
    else:
        sig = b"\x00" * 32
    return h + "." + p + "." + b64(sig)


def logout_seeds():
    """Seeds for fuzz_logout_token: byte 0 = 0 body, 1 token, 2 query."""
    ev = "http://schemas.openid.net/event/backchannel-logout"
    base = {"iss": ISS, "aud": "client-1", "sub": "alice",
            "sid": "08a5019c-17e1-4977-8f42-65a12843ea02", "iat": NOW - 5,
            "exp": NOW + 115, "jti": "bWJq", "events": {ev: {}}}

    def rs(c, typ="logout+jwt"):
        h = {"alg": "RS256", "kid": "rsa-1"}
        if typ:
            h["typ"] = typ
        return jws(h, c, "rsa2048.jwk.json")

    def without(*names):
        return {k: v for k, v in base.items() if k not in names}

    toks = {
        "valid": rs(base),
        "valid-sid-only": rs(without("sub")),
        "valid-sub-only": rs(without("sid")),
        "valid-es256": jws({"alg": "ES256", "kid": "ec-1"}, base,
                           "ec-p256.jwk.json"),
        "hs256-secret": jws({"alg": "HS256", "typ": "logout+jwt"}, base,
                            secret=b"fuzz-client-secret"),
        "alg-none": jws({"alg": "none"}, base),
        "with-nonce": rs(dict(base, nonce="n")),
        "no-events": rs(without("events")),
        "events-not-object": rs(dict(base, events={ev: True})),
        "no-jti": rs(without("jti")),
        "stale-iat": rs(dict(base, iat=NOW - 4000)),
        "no-sid-no-sub": rs(without("sid", "sub")),
        "typ-jwt": rs(base, typ="JWT"),
    }
    out = {}
    for name, t in toks.items():
        out["token-" + name] = b"\x01" + t.encode()
    out["body-valid"] = b"\x00logout_token=" + toks["valid"].encode()
    out["body-twice"] = (b"\x00logout_token=a.b.c&logout_token="
                         + toks["valid"].encode())
    out["body-empty"] = b"\x00"
    out["body-escaped"] = b"\x00x=1&logout_token=" + \
        toks["valid-sid-only"].replace(".", "%2E").encode()
    out["fc-valid"] = (b"\x02logout=frontchannel&iss=https%3A%2F%2F"
                       b"op.example.com&sid=08a5019c-17e1")
    out["fc-wrong-iss"] = b"\x02iss=https%3A%2F%2Fevil&sid=abc"
    out["fc-bad-sid"] = b"\x02iss=https%3A%2F%2Fop.example.com&sid=%3Cx%3E"
    return out


def read(*parts):
    with open(os.path.join(VEC, *parts), "rb") as f:
        return f.read()


def main():
    seeds = {t: {} for t in (
        "b64url json jwks jws jwt metadata cookie auth_response token state "
        "session bearer_header introspection url claims bearer_entry "
        "logout_token jose_header members").split()}
    only = set(sys.argv[1:])  # e.g. "logout_token": rewrite just those

    # b64url
    for i, v in enumerate([b"", b"Zg", b"Zm9vYmFy", b"-_-_", b"Zg==", b"Zh",
                           b"Z", b"Zm 9v", b"eyJhbGciOiJSUzI1NiJ9"]):
        seeds["b64url"]["seed-%d" % i] = v

    # jws and jwks from the vectors
    for case in sorted(os.listdir(os.path.join(VEC, "jws"))):
        tok = read("jws", case, "token")
        if len(tok) <= 20000:
            seeds["jws"][case] = tok
        seeds["jwks"][case] = read("jws", case, "jwks.json")
    # signed by the harness's own keys: these reach the OpenSSL verifiers
    # (jwk_evp.c) with a valid signature
    at = {"iss": ISS, "aud": "api", "sub": "alice", "iat": NOW - 5,
          "exp": NOW + 300}
    for alg, kid, key in (("RS256", "rsa-1", "rsa2048.jwk.json"),
                          ("PS256", "rsa-1", "rsa2048.jwk.json"),
                          ("RS512", "rsa-1", "rsa2048.jwk.json"),
                          ("ES256", "ec-1", "ec-p256.jwk.json")):
        seeds["jws"]["fixed-" + alg.lower()] = jws(
            {"alg": alg, "kid": kid, "typ": "at+jwt"}, at, key).encode()
    seeds["jwks"]["test-keys"] = read("keys", "jwks.json")
    seeds["jwks"]["not-jwks"] = b'{"keys":{}}'
    seeds["jwks"]["empty"] = b'{"keys":[]}'

    # jwt and claims from the jwt vectors
    for case in sorted(os.listdir(os.path.join(VEC, "jwt"))):
        c = read("jwt", case, "claims.json")
        seeds["jwt"][case] = c
        seeds["claims"][case] = c
    seeds["claims"]["types"] = (b'{"sub":"a","n":1,"b":true,"a":[1,"x"],'
                                b'"o":{"k":"v"},"z":null,"nonce":"n",'
                                b'"crlf":"x\\r\\ny","a b":"1",'
                                b'"scope":"openid api:read","scp":["x"]}')

    # json
    for i, v in enumerate([b"{}", b"[]", b'"x"', b"1", b"null",
                           b'{"a":[1,2,{"b":null}],"c":"\\u00e9"}',
                           b'{"a":1,"a":2}', b"[" * 20 + b"]" * 20,
                           b'{"a":"\\u0000"}', b'{"a":"\\"[[["}', b"{"]):
        seeds["json"]["seed-%d" % i] = v

    # metadata
    md = {"issuer": ISS, "authorization_endpoint": ISS + "/authorize",
          "token_endpoint": ISS + "/token", "jwks_uri": ISS + "/jwks",
          "userinfo_endpoint": ISS + "/userinfo",
          "introspection_endpoint": ISS + "/introspect",
          "end_session_endpoint": ISS + "/logout",
          "authorization_response_iss_parameter_supported": True,
          "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                    "client_secret_post"]}
    seeds["metadata"]["full"] = json.dumps(md).encode()
    seeds["metadata"]["issuer-slash"] = json.dumps(
        dict(md, issuer=ISS + "/")).encode()
    seeds["metadata"]["http-jwks"] = json.dumps(
        dict(md, jwks_uri="http://op.example.com/jwks")).encode()
    seeds["metadata"]["loopback-jwks"] = json.dumps(
        dict(md, jwks_uri="http://127.0.0.1:8080/jwks")).encode()
    seeds["metadata"]["minimal"] = json.dumps(
        {"issuer": ISS, "authorization_endpoint": "https://a/x",
         "jwks_uri": "https://a/j"}).encode()
    seeds["metadata"]["not-string"] = b'{"issuer":"' + ISS.encode() + \
        b'","authorization_endpoint":1,"jwks_uri":"https://a/j"}'

    # cookie
    for i, v in enumerate([
            b"aoidc_session=abc; aoidc_state_abcdefghijkl=xyz",
            b'a=1; b="q"; c; =d; e=f=g;;  ;', b"", b"aoidc_session=" + b"x" * 5000,
            b"\taoidc_session = v ; x=y"]):
        seeds["cookie"]["seed-%d" % i] = v

    # auth_response
    st = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123_-x"
    for i, v in enumerate([
            "code=c&state=%s&iss=https%%3A%%2F%%2Fop.example.com" % st,
            "error=access_denied&error_description=no&state=%s" % st,
            "code=a&code=b&state=%s" % st, "code=x", "state=%s" % st,
            "code=%%00&state=%s" % st, "code=%%zz&state=%s" % st,
            "code=x&state=short", "&&code=x&&state=%s&" % st]):
        seeds["auth_response"]["seed-%d" % i] = v.encode()

    # token: first byte picks the status (0:200 1:400 2:401 3:500)
    for i, (st_i, body) in enumerate([
            (0, b'{"access_token":"at","token_type":"Bearer","id_token":"a.b.c",'
                b'"refresh_token":"rt","expires_in":300,"scope":"openid"}'),
            (0, b'{"access_token":"at","token_type":"DPoP"}'),
            (1, b'{"error":"invalid_grant"}'), (2, b'{"error":"invalid_client"}'),
            (3, b"<html>"), (0, b"[]"), (0, b'{"access_token":"","token_type":"bearer"}')]):
        seeds["token"]["seed-%d" % i] = bytes([st_i]) + body

    # state: byte 0 = cookie text; otherwise a record sealed by the harness
    aad = FUZZ_STATE.encode()
    seeds["state"]["cookie-valid"] = b"\x00" + b64(
        seal("state", state_rec(NOW - 10), aad)).encode()
    seeds["state"]["cookie-expired"] = b"\x00" + b64(
        seal("state", state_rec(NOW - 1000), aad)).encode()
    seeds["state"]["cookie-other-state"] = b"\x00" + b64(
        seal("state", state_rec(NOW), b"other")).encode()
    seeds["state"]["cookie-garbage"] = b"\x00not base64!"
    seeds["state"]["record-valid"] = b"\x01" + state_rec(NOW)
    seeds["state"]["record-no-verifier"] = b"\x01" + state_rec(NOW, verifier=None)
    seeds["state"]["record-v2"] = b"\x01" + state_rec(NOW, version=2)
    seeds["state"]["record-short"] = b"\x01" + state_rec(NOW)[:20]

    # session: byte 0 = sealed cookie text (AAD "sid"); otherwise raw record
    seeds["session"]["cookie-valid"] = b"\x00" + b64(
        seal("session", session_rec(), b"sid")).encode()
    seeds["session"]["cookie-wrong-purpose"] = b"\x00" + b64(
        seal("state", session_rec(), b"sid")).encode()
    seeds["session"]["record-valid"] = b"\x01" + session_rec()
    seeds["session"]["record-no-claims"] = b"\x01" + session_rec(claims=())
    seeds["session"]["record-no-sub"] = b"\x01" + session_rec(sub=None)
    seeds["session"]["record-v2"] = b"\x01" + session_rec(version=2)
    seeds["session"]["record-trailing"] = b"\x01" + session_rec() + b"\x00"
    seeds["session"]["record-truncated"] = b"\x01" + session_rec()[:-3]

    # bearer_header
    for i, v in enumerate([b"Bearer abc", b"bearer a.b.c", b"Bearer", b"Bearer ",
                           b"Bearer a b", b"Bearer\tabc", b"Basic dXNlcg==",
                           b"Bearer abc==", b"Bearer ===", b"  BEARER  x~+/ "]):
        seeds["bearer_header"]["seed-%d" % i] = v

    # introspection
    for i, v in enumerate([
            b'{"active":true,"iss":"https://op.example.com","aud":"api://default",'
            b'"exp":1700000060,"scope":"api:read","sub":"alice"}',
            b'{"active":false}', b'{"active":"true"}', b'{}', b"garbage",
            b'{"active":true,"aud":["x"]}', b'{"active":true,"exp":"x"}',
            b'{"active":true,"exp":1e300}']):
        seeds["introspection"]["seed-%d" % i] = v

    # url
    for i, v in enumerate([b"/ok?q=1", b"//evil", b"/\\evil", b"http://x",
                           b"a=1&b=2", b"a=%00", b"a=%zz", b"a=1&a=2",
                           b"https://op.example.com/x",
                           b"http://127.0.0.1:8080/t", b"http://[::1]/",
                           b"https://u:p@h/", b"/a#f", b"caf\xc3\xa9=%C3%A9"]):
        seeds["url"]["seed-%d" % i] = v

    # bearer_entry
    seeds["bearer_entry"]["valid"] = entry_rec()
    seeds["bearer_entry"]["inactive-empty"] = entry_rec(active=0, claims=())
    seeds["bearer_entry"]["v2"] = entry_rec(version=2)
    seeds["bearer_entry"]["truncated"] = entry_rec()[:-1]
    seeds["bearer_entry"]["v2-sig"] = entry_rec(version=2,
                                                sig=bytes(range(256)))
    seeds["bearer_entry"]["v2-sig-empty"] = entry_rec(version=2, sig=b"")
    seeds["bearer_entry"]["json-claim"] = entry_rec(
        claims=(("roles", '["x"]', True),))

    seeds["logout_token"] = logout_seeds()

    # jose_header: decoded JOSE headers, read in place or left to jansson
    for name, v in {
            "at-jwt": b'{"alg":"RS256","typ":"at+jwt","kid":"rsa-1"}',
            "blanks": b' { "alg" : "ES256" , "kid" : 7 } ',
            "crit": b'{"alg":"RS256","crit":["exp"],"exp":1}',
            "crit-flat": b'{"crit":null,"alg":"RS256"}',
            "dup": b'{"alg":"RS256","alg":"none"}',
            "escape": b'{"alg":"RS\\u0032256"}',
            "jwk": b'{"alg":"ES256","typ":"dpop+jwt","jwk":{"kty":"EC"}}',
            "typ-int": b'{"alg":"RS256","typ":1,"b64":false}',
            "empty": b'{}',
            "trailing": b'{"alg":"RS256"},',
            "long-int": b'{"alg":"RS256","n":1234567890123456789}',
    }.items():
        seeds["jose_header"][name] = v

    # members: JWT payloads, read as members or left to jansson
    many = b",".join(b'"c%d":%d' % (i, i) for i in range(128))
    nested = b",".join(b'"n%d":null' % i for i in range(32))
    for name, v in {
            "at-jwt": b'{"iss":"https://op.example.com","sub":"u1",'
                      b'"aud":["api://default","client-1"],"exp":1700000600,'
                      b'"iat":1700000000,"jti":"j1","client_id":"client-1",'
                      b'"scope":"openid api:read",'
                      b'"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}',
            "blanks": b' { "a" : [ 1 , { "b" : "c d" } ] ,\t"e":\n{ } } ',
            "kinds": b'{"s":"x","i":-12,"t":true,"f":false,"n":null,'
                     b'"a":[],"o":{}}',
            "aud-mixed": b'{"aud":["a",1,null,{"x":"client-1"},"client-1"],'
                         b'"azp":"client-1","exp":1700000600,'
                         b'"iss":"https://op.example.com"}',
            "aud-object": b'{"aud":{"client-1":1},"nbf":"soon","iat":true}',
            "id-token": b'{"nonce":null,"at_hash":"x","c_hash":1,"sub":"s"}',
            "collisions": b'{"groups":"a","Groups":"b","x-a":1,"x_a":2,'
                          b'"https://x/roles":["r"]}',
            "minus-zero": b'{"a":-0}',
            "minus-zero-nested": b'{"a":[1,{"b":-0}]}',
            "real": b'{"exp":1.5}',
            "escape": b'{"sub":"a\\u0062"}',
            "dup": b'{"a":1,"a":2}',
            "dup-nested": b'{"a":{"b":1,"b":2}}',
            "m128": b"{" + many + b"}",
            "m129": b"{" + many + b',"x":1}',
            "nested32": b'{"o":{' + nested + b"}}",
            "nested33": b'{"o":{' + nested + b',"x":1}}',
            "deep16": b'{"a":' + b"[" * 15 + b"]" * 15 + b"}",
            "deep17": b'{"a":' + b"[" * 16 + b"]" * 16 + b"}",
            "int18": b'{"exp":999999999999999999}',
            "int19": b'{"exp":9999999999999999999}',
            "trailing": b'{"a":1}x',
            "empty": b"{}",
    }.items():
        seeds["members"][name] = v
    # found by libFuzzer (fuzz_members): truncations, and the claim checks'
    # branches through the members path
    for i, v in enumerate([
            b'{"":-', b'{"":\x00', b'{"":00', b'{"":2E', b'{"":[\t]',
            b'{"":\r0}', b'{"":-0,]', b'{"":[{""', b'{"b6[2u"}',
            b'{"":{"":null', b'{"":-7,"1":-0}', b'{"":[[[[[\x00',
            b'{"":[[[[[[[[[[[[\xb7', b'{"n0":null,"n0":nu"1',
            b'{"":"b","x/a":1,"x_a":2,"/":[""]}',
            b'{"azp": 1,\n "n":null,"iss":null,"":"ece"\n}\n',
            b'{\n "aud": "client-1",\n "azp": 1,\n "exp": 9990,\n '
            b'"iss": "https://op.example.com",\n "b": "alice"\n}\n',
            b'{\n "aud": "client-1","exp": 1708499995,\n '
            b'"iss": "https://op.example.com",\n "nbf": 160,"azp":"e"\n}\n',
            b'{\n "aud": "client-1",\n "exp": 1700003600,\n "iat": 1990,\n '
            b'"iss": "https://op.example.com",\n "nbf":  "ali"\n}\n',
            b'{\n "aud": "client-1",\n "exp": 1700003600,\n "iat": 9990,\n '
            b'"iss": "https://op.example.com",\n "nbf": 1700000061}\n',
            b'{\n "aud": "client-1",\n "exp": 1700003600,\n '
            b'"iat": 1700000061,\n "iss": "https://op.example.com",\n '
            b'"sub": "ali"\n}\n',
    ]):
        seeds["members"]["fuzz-%d" % i] = v

    for target, files in seeds.items():
        if only and target not in only:
            continue
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):
            if not name.startswith(("crash-", "regress-", "leak-", "timeout-")):
                os.remove(os.path.join(d, name))
        for name, content in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(content)

    if only:
        return
    with open(os.path.join(VEC, "keys", "jwks.json")) as f:
        jwks = json.dumps(json.load(f), separators=(",", ":"), sort_keys=True)
    with open(os.path.join(HERE, "fixed_jwks.h"), "w") as f:
        f.write("/* SPDX-License-Identifier: Apache-2.0 */\n"
                "/* Generated by gen-corpus.py from test/vectors/keys/"
                "jwks.json: the\n * public test keys (rsa-1, ec-1) the jws "
                "harness verifies against. */\n"
                "#ifndef AOIDC_FUZZ_FIXED_JWKS_H\n"
                "#define AOIDC_FUZZ_FIXED_JWKS_H\n\n"
                "#define AOIDC_FUZZ_FIXED_JWKS \\\n")
        for i in range(0, len(jwks), 70):
            f.write('    "%s"%s\n' % (jwks[i:i + 70].replace('"', '\\"'),
                                      " \\" if i + 70 < len(jwks) else ""))
        f.write("\n#endif\n")


if __name__ == "__main__":
    main()
