#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# The "legacy app": it knows nothing about OpenID Connect. It shows what
# httpd hands it: REMOTE_USER and the claim variables/headers. Served at
# /app/ (any logged-in user) and /app/admin/ (Require claim).
import html
import os

e = html.escape
user = os.environ.get("REMOTE_USER", "")
admin = os.environ.get("SCRIPT_NAME", "").startswith("/app/admin/")
rows = sorted((k, v) for k, v in os.environ.items()
              if k.startswith("OIDC_CLAIM_") or k.startswith("HTTP_OIDC_CLAIM_"))
print("Content-Type: text/html; charset=utf-8")
print("Cache-Control: no-store")
print()
print('<!doctype html><html lang="en"><head><meta charset="utf-8">')
print('<meta name="viewport" content="width=device-width, initial-scale=1">')
print('<title>Legacy app</title><link rel="stylesheet" href="/style.css"></head>')
print("<body><main>")
print('<nav><a href="/app/">Home</a><a href="/app/api/">Call the API</a>'
      '<a href="/app/admin/">Admins only</a>'
      '<a href="/app/redirect_uri?logout=/">Log out</a></nav>')
if admin:
    print("<h1>Admins' page</h1><p>You are here because your "
          "<code>preferred_username</code> claim is <code>admin</code> "
          "(<code>Require claim preferred_username:admin</code>).</p>")
else:
    print("<h1>Hello, %s</h1>" % e(user or "?"))
    print("<p>This CGI script has no idea how you logged in. httpd told it:</p>")
print("<table><tr><th>variable</th><th>value</th></tr>")
print("<tr><td>REMOTE_USER</td><td>%s</td></tr>" % e(user))
print("<tr><td>AUTH_TYPE</td><td>%s</td></tr>" % e(os.environ.get("AUTH_TYPE", "")))
for k, v in rows:
    print("<tr><td>%s</td><td>%s</td></tr>" % (e(k), e(v)))
print("</table>")
print('<p class="note"><b>Call the API</b> asks <code>/app/api/</code> with this '
      'browser session (<code>AuthType oidc</code>); programs call '
      '<code>/api/</code> with an access token instead (<code>AuthType bearer</code>, '
      'see the curl command the demo printed). <b>Admins only</b> answers 403 unless '
      'you logged in as <code>admin</code>.</p>')
print("</main></body></html>")
