#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# The "API": JSON about the caller. Served at /api/ (AuthType bearer: a
# program with an access token) and /app/api/ (AuthType oidc: the browser
# session). Same script; httpd decides who the caller is.
import json
import os

claims = {k[len("OIDC_CLAIM_"):]: v for k, v in os.environ.items()
          if k.startswith("OIDC_CLAIM_")}
print("Content-Type: application/json")
print("Cache-Control: no-store")
print()
print(json.dumps({"api": "demo", "remote_user": os.environ.get("REMOTE_USER", ""),
                  "auth_type": os.environ.get("AUTH_TYPE", ""),
                  "claims": dict(sorted(claims.items()))}, indent=2))
