#!/usr/bin/python3
# The "legacy app": it knows nothing about OpenID Connect. It shows what
# httpd hands it: REMOTE_USER and the claim variables/headers.
import html
import os

prefix = "OIDC_CLAIM_"
rows = sorted((k, v) for k, v in os.environ.items()
              if k.startswith(prefix) or k.startswith("HTTP_OIDC_CLAIM_"))
print("Content-Type: text/html; charset=utf-8")
print("Cache-Control: no-store")
print()
print("<!doctype html><title>Legacy app</title>")
print("<h1>Hello, %s</h1>" % html.escape(os.environ.get("REMOTE_USER", "?")))
print("<p>This CGI script has no idea how you logged in. httpd told it:</p>")
print("<table border=1 cellpadding=4><tr><th>variable</th><th>value</th></tr>")
print("<tr><td>REMOTE_USER</td><td>%s</td></tr>"
      % html.escape(os.environ.get("REMOTE_USER", "")))
for k, v in rows:
    print("<tr><td>%s</td><td>%s</td></tr>" % (html.escape(k), html.escape(v)))
print("</table>")
print('<p><a href="/app/redirect_uri?logout=/">Log out</a></p>')
