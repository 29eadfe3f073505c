#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generate the committed test keys once (python3-jwcrypto).

    /usr/bin/python3 test/vectors/gen-keys.py

Existing files are kept, so vectors signed with them stay valid; delete a
file to regenerate it, then rerun gen-vectors.py.
"""
import json
import os

from jwcrypto import jwk

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keys")


def write(name, text):
    path = os.path.join(HERE, name)
    if os.path.exists(path):
        return False
    with open(path, "w") as f:
        f.write(text)
    return True


def main():
    os.makedirs(HERE, exist_ok=True)
    specs = {
        "rsa2048.jwk.json": lambda: jwk.JWK.generate(kty="RSA", size=2048),
        "rsa2048-other.jwk.json": lambda: jwk.JWK.generate(kty="RSA", size=2048),
        "ec-p256.jwk.json": lambda: jwk.JWK.generate(kty="EC", crv="P-256"),
        "ec-p384.jwk.json": lambda: jwk.JWK.generate(kty="EC", crv="P-384"),
        # too small to be trusted (security review, issue 8): must be skipped
        "rsa1024.jwk.json": lambda: jwk.JWK.generate(kty="RSA", size=1024),
        "rsa512.jwk.json": lambda: jwk.JWK.generate(kty="RSA", size=512),
    }
    for name, make in specs.items():
        path = os.path.join(HERE, name)
        if os.path.exists(path):
            continue
        k = make()
        write(name, json.dumps(json.loads(k.export_private()), indent=1,
                               sort_keys=True) + "\n")
    # The RSA public key as PEM: the "HS256 keyed with the public key" attack.
    with open(os.path.join(HERE, "rsa2048.jwk.json")) as f:
        k = jwk.JWK(**json.load(f))
    write("rsa2048.pub.pem", k.export_to_pem(private_key=False).decode())


if __name__ == "__main__":
    main()
