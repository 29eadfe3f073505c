/* SPDX-License-Identifier: Apache-2.0 */
/* Several providers in one location: which identity a request is for
 * (providers.h), and the chooser page. */
#include <string.h>

#include "core/auth_response.h"
#include "core/cookie.h"
#include "core/jws.h"
#include "core/logout_token.h"
#include "core/rp.h"
#include "core/rp_store.h"
#include "core/state.h"
#include "core/url.h"
#include "httpd/answer.h"
#include "httpd/op.h"
#include "httpd/providers.h"

int aoidc_idp_count(const aoidc_rctx_t *x)
{
    return 1 + (x->c->idps ? x->c->idps->nelts : 0);
}

bool aoidc_idp_use(aoidc_rctx_t *x, int i)
{
    const aoidc_idp_t *d;
    aoidc_client_t *cl;
    apr_pool_t *p = x->r->pool;
    if (i < 0 || i >= aoidc_idp_count(x)) {
        return false;
    }
    if (!x->base_rp) {
        aoidc_rp_conf_t *b = apr_palloc(p, sizeof(*b));
        *b = x->rp; /* identity 0, as the dispatcher made it */
        x->base_rp = b;
    }
    x->rp = *x->base_rp;
    x->idp = NULL;
    if (i > 0) {
        d = &APR_ARRAY_IDX(x->c->idps, i - 1, aoidc_idp_t);
        cl = apr_pcalloc(p, sizeof(*cl));
        /* the client id may be shared; the secret never is */
        cl->client_id =
            d->client_id ? d->client_id : x->base_rp->client->client_id;
        cl->client_secret = d->secret;
        x->rp.issuer = d->issuer;
        x->rp.client = cl;
        x->rp.tag = aoidc_rp_tag(d->issuer, cl->client_id, p);
        x->idp = d;
    }
    if (x->has_env) {
        x->env.provider = x->idp ? x->idp->provider : x->c->provider;
        x->env.guard = x->idp ? x->idp->guard : x->c->guard;
        x->env.http = x->idp ? aoidc_conf_http_for(x->c, x->idp->issuer)
                             : aoidc_conf_http(x->c);
    }
    return true;
}

int aoidc_idp_of_issuer(const aoidc_rctx_t *x, const char *iss)
{
    if (!iss) {
        return -1;
    }
    if (!strcmp(iss, x->c->issuer)) {
        return 0;
    }
    for (int i = 0; x->c->idps && i < x->c->idps->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(x->c->idps, i, aoidc_idp_t).issuer, iss)) {
            return i + 1;
        }
    }
    return -1;
}

/* The environment of the chosen identity (op.c asks this). */
/* AuthOIDCSessionStore cookie: the chunks are sealed with the identity's
 * tag as associated data, so they open for their own identity only (a
 * read, nothing written). */
static bool cookie_session_of(aoidc_rctx_t *x, const char *hdr)
{
    aoidc_session_t *s;
    unsigned present;
    aoidc_err_t err = {0};
    return aoidc_rp_cookie_load(&s, &present, &x->rp, aoidc_op_env(x), hdr,
                                &err)
           == APR_SUCCESS;
}

void aoidc_idp_by_session(aoidc_rctx_t *x)
{
    const char *hdr, *ck = NULL;
    aoidc_ticket_t t;
    int n = aoidc_idp_count(x);
    if (n < 2) {
        return;
    }
    hdr = aoidc_cookie_header(x->r);
    if (!x->rp.cookie_store) {
        ck = aoidc_cookie_get(hdr, x->rp.cookie_name, x->r->pool);
        if (!ck) {
            return;
        }
    }
    for (int i = 0; i < n; i++) {
        aoidc_idp_use(x, i);
        if (ck ? aoidc_ticket_find(&t, ck, x->rp.tag)
               : cookie_session_of(x, hdr)) {
            return;
        }
    }
    aoidc_idp_use(x, 0);
}

void aoidc_idp_by_state(aoidc_rctx_t *x, const char *response,
                        const char *cookie_header)
{
    apr_table_t *q;
    const char *state, *ck;
    aoidc_state_t *st;
    aoidc_err_t err = {0};
    apr_pool_t *p = x->r->pool;
    int i;
    if (aoidc_idp_count(x) < 2 || !response
        || aoidc_url_parse_query(&q, response, 32, p, NULL) != APR_SUCCESS
        || !(state = aoidc_url_param(q, "state"))
        || !(ck = aoidc_cookie_get(cookie_header,
                                   aoidc_state_cookie_name(state, p), p))) {
        return;
    }
    /* only the issuer is taken from it here: the core opens it again and
     * checks everything else (expiry, single use, the response) */
    if (aoidc_state_open(&st, ck, state, x->rp.seal_state, x->now, p, &err)
            == APR_SUCCESS
        && (i = aoidc_idp_of_issuer(x, st->issuer)) > 0) {
        aoidc_idp_use(x, i);
    }
}

void aoidc_idp_by_logout_token(aoidc_rctx_t *x, const char *body,
                               apr_size_t len)
{
    const char *tok;
    aoidc_jws_t *jws;
    aoidc_err_t err = {0};
    json_t *iss;
    int i;
    if (aoidc_idp_count(x) < 2
        || aoidc_logout_body_parse(&tok, body, len, x->r->pool, &err)
               != APR_SUCCESS
        || aoidc_jws_parse(&jws, tok, strlen(tok), x->r->pool, &err)
               != APR_SUCCESS) {
        return; /* the core says why, as before */
    }
    /* unverified, and only a choice: the token is then validated in full
     * against the chosen issuer's keys, client and rules */
    iss = json_object_get(jws->payload, "iss");
    if (json_is_string(iss)
        && (i = aoidc_idp_of_issuer(x, json_string_value(iss))) > 0) {
        aoidc_idp_use(x, i);
    }
}

/* One link: a third-party-initiated login at identity i's issuer. */
static const char *link_for(aoidc_rctx_t *x, const char *issuer,
                            const char *target)
{
    apr_pool_t *p = x->r->pool;
    const char *href = apr_pstrcat(
        p, aoidc_redirect_uri(x), "?iss=", aoidc_url_encode(issuer, p),
        "&target_link_uri=", aoidc_url_encode(target, p), NULL);
    return apr_pstrcat(p, "<li><a class=\"btn\" href=\"",
                       ap_escape_html2(p, href, 1), "\">",
                       ap_escape_html2(p, issuer, 1), "</a></li>", NULL);
}

int aoidc_choose(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    const char *target = r->unparsed_uri;
    apr_array_header_t *li = apr_array_make(r->pool, 4, sizeof(char *));
    /* back to this URL (as a third-party login would: a local path that
     * aoidc_initiate_parse takes), else the location's root */
    if (r->method_number != M_GET || !aoidc_url_is_local_path(target)
        || strlen(target) > AOIDC_INITIATE_TARGET_MAX) {
        target = aoidc_location_root(x);
    }
    *(const char **)apr_array_push(li) = "<ul>";
    *(const char **)apr_array_push(li) = link_for(x, x->c->issuer, target);
    for (int i = 0; i < x->c->idps->nelts; i++) {
        const char *iss = APR_ARRAY_IDX(x->c->idps, i, aoidc_idp_t).issuer;
        if (strcmp(iss, x->c->issuer)) { /* AuthOIDCIssuer's is first */
            *(const char **)apr_array_push(li) = link_for(x, iss, target);
        }
    }
    *(const char **)apr_array_push(li) = "</ul>";
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  AOIDCLOGNO(00840) "login: %d providers, chooser page for %s",
                  aoidc_idp_count(x), target);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    return aoidc_answer_send(
        x, HTTP_OK, "text/html; charset=utf-8",
        aoidc_answer_chooser(x, apr_array_pstrcat(r->pool, li, 0)));
}
