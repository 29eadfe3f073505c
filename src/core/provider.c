/* SPDX-License-Identifier: Apache-2.0 */
/* Discovery metadata + JWKS cache with reference-counted snapshots. */
#include <string.h>

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "core/json.h"
#include "core/provider.h"
#include "core/url.h"

struct aoidc_provider_t {
    const char *issuer;
    apr_pool_t *parent;         /* pchild: parent of snapshot pools */
    apr_thread_mutex_t *mutex;  /* guards the fields below */
    apr_thread_cond_t *fetched; /* signalled when a metadata fetch ends */
    aoidc_snapshot_t *current;  /* may be NULL */
    bool fetching;              /* a metadata fetch is in flight */
    apr_time_t last_failure;    /* end of the last failed fetch, 0: none */
    aoidc_reason_t last_reason; /* and why it failed */
    apr_time_t last_refetch;    /* last kid-triggered JWKS refetch */
    unsigned serial;            /* of the last snapshot installed */
    unsigned looked;            /* the last serial aoidc_provider_first_look
                                   answered true for */
};

/* --- metadata ----------------------------------------------------------- */

static apr_status_t endpoint(const char **out, const json_t *doc,
                             const char *name, bool required,
                             const char *issuer, apr_pool_t *p,
                             aoidc_err_t *err)
{
    const char *v = aoidc_json_str(doc, name);
    *out = NULL;
    if (!v) {
        if (required || json_object_get(doc, name)) {
            return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                                 "metadata: %s missing or not a string", name);
        }
        return APR_SUCCESS;
    }
    apr_status_t rv = aoidc_url_check_op_endpoint(NULL, v, issuer, p, err);
    if (rv != APR_SUCCESS) {
        aoidc_reason_t r = err ? err->reason : AOIDC_REASON_OP_BAD_RESPONSE;
        return aoidc_err_set(
            err,
            r == AOIDC_REASON_OP_INSECURE ? r : AOIDC_REASON_OP_BAD_RESPONSE, p,
            "metadata: %s: %s", name, err ? err->detail : "bad URL");
    }
    *out = v;
    return APR_SUCCESS;
}

static unsigned auth_methods(const json_t *doc, const char *name)
{
    json_t *a = json_object_get(doc, name), *v;
    unsigned m = 0;
    size_t i;
    if (!a) {
        return AOIDC_AUTH_BASIC; /* RFC 8414 §2 default */
    }
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        if (s && !strcmp(s, "client_secret_basic")) {
            m |= AOIDC_AUTH_BASIC;
        }
        else if (s && !strcmp(s, "client_secret_post")) {
            m |= AOIDC_AUTH_POST;
        }
        else if (s && !strcmp(s, "private_key_jwt")) {
            m |= AOIDC_AUTH_PRIVATE_KEY_JWT;
        }
    }
    return m;
}

static bool lists(const json_t *doc, const char *name, const char *want)
{
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(doc, name), i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), want)) {
            return true;
        }
    }
    return false;
}

/* RFC 8705 §5: the aliases object; absent is fine, anything but an object
 * is a broken document (a client would otherwise silently skip mTLS). */
static apr_status_t mtls_aliases(aoidc_metadata_t *md, const json_t *doc,
                                 const char *issuer, apr_pool_t *p,
                                 aoidc_err_t *err)
{
    const json_t *a = json_object_get(doc, "mtls_endpoint_aliases");
    apr_status_t rv;
    if (!a) {
        return APR_SUCCESS;
    }
    if (!json_is_object(a)) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "metadata: mtls_endpoint_aliases not an object");
    }
    if ((rv = endpoint(&md->mtls.token, a, "token_endpoint", false, issuer, p,
                       err))
            != APR_SUCCESS
        || (rv = endpoint(&md->mtls.par, a,
                          "pushed_authorization_request_endpoint", false,
                          issuer, p, err))
               != APR_SUCCESS
        || (rv = endpoint(&md->mtls.introspection, a, "introspection_endpoint",
                          false, issuer, p, err))
               != APR_SUCCESS
        || (rv = endpoint(&md->mtls.revocation, a, "revocation_endpoint", false,
                          issuer, p, err))
               != APR_SUCCESS) {
        return rv;
    }
    return endpoint(&md->mtls.userinfo, a, "userinfo_endpoint", false, issuer,
                    p, err);
}

apr_status_t aoidc_metadata_parse(aoidc_metadata_t *md, const char *issuer,
                                  const char *in, apr_size_t len, apr_pool_t *p,
                                  aoidc_err_t *err)
{
    json_t *doc;
    apr_status_t rv;
    memset(md, 0, sizeof(*md));
    if (aoidc_json_parse(&doc, in, len, AOIDC_MAX_JSON_LEN, false, p, err)
        != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "metadata: %s", err ? err->detail : "bad JSON");
    }
    md->issuer = aoidc_json_str(doc, "issuer");
    if (!md->issuer || strcmp(md->issuer, issuer)) {
        return aoidc_err_set(err, AOIDC_REASON_OP_ISSUER, p,
                             "metadata: issuer %.200s is not %.200s",
                             md->issuer ? md->issuer : "(missing)", issuer);
    }
    if ((rv = endpoint(&md->authorization_endpoint, doc,
                       "authorization_endpoint", true, issuer, p, err))
            != APR_SUCCESS
        || (rv = endpoint(&md->token_endpoint, doc, "token_endpoint", false,
                          issuer, p, err))
               != APR_SUCCESS
        || (rv = endpoint(&md->jwks_uri, doc, "jwks_uri", true, issuer, p, err))
               != APR_SUCCESS
        || (rv = endpoint(&md->userinfo_endpoint, doc, "userinfo_endpoint",
                          false, issuer, p, err))
               != APR_SUCCESS
        || (rv = endpoint(&md->introspection_endpoint, doc,
                          "introspection_endpoint", false, issuer, p, err))
               != APR_SUCCESS
        || (rv = endpoint(&md->end_session_endpoint, doc,
                          "end_session_endpoint", false, issuer, p, err))
               != APR_SUCCESS) {
        return rv;
    }
    md->iss_param_supported = json_is_true(
        json_object_get(doc, "authorization_response_iss_parameter_supported"));
    md->token_auth_methods =
        auth_methods(doc, "token_endpoint_auth_methods_supported");
    md->introspection_auth_methods =
        json_object_get(doc, "introspection_endpoint_auth_methods_supported")
            ? auth_methods(doc, "introspection_endpoint_auth_methods_supported")
            : md->token_auth_methods;
    rv = endpoint(&md->revocation_endpoint, doc, "revocation_endpoint", false,
                  issuer, p, err);
    md->revocation_auth_methods =
        json_object_get(doc, "revocation_endpoint_auth_methods_supported")
            ? auth_methods(doc, "revocation_endpoint_auth_methods_supported")
            : md->token_auth_methods;
    if (rv == APR_SUCCESS) {
        rv = endpoint(&md->par_endpoint, doc,
                      "pushed_authorization_request_endpoint", false, issuer, p,
                      err);
    }
    md->require_par = json_is_true(
        json_object_get(doc, "require_pushed_authorization_requests"));
    md->assertion_ps256 =
        lists(doc, "token_endpoint_auth_signing_alg_values_supported", "PS256");
    if (rv == APR_SUCCESS) {
        rv = mtls_aliases(md, doc, issuer, p, err);
    }
    return rv;
}

/* --- provider ----------------------------------------------------------- */

aoidc_provider_t *aoidc_provider_create(const char *issuer, apr_pool_t *p)
{
    aoidc_provider_t *pv = apr_pcalloc(p, sizeof(*pv));
    pv->issuer = apr_pstrdup(p, issuer);
    return pv;
}

apr_status_t aoidc_provider_child_init(aoidc_provider_t *pv, apr_pool_t *pchild)
{
    apr_status_t rv;
    pv->parent = pchild;
    pv->current = NULL;
    pv->fetching = false;
    pv->last_failure = 0;
    rv = apr_thread_mutex_create(&pv->mutex, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&pv->fetched, pchild);
    }
    return rv;
}

const char *aoidc_provider_issuer(const aoidc_provider_t *pv)
{
    return pv->issuer;
}

void aoidc_provider_state(aoidc_provider_state_t *out, aoidc_provider_t *pv)
{
    memset(out, 0, sizeof(*out));
    if (!pv->mutex) {
        return; /* before child_init: nothing fetched in this process */
    }
    apr_thread_mutex_lock(pv->mutex);
    out->fetched = pv->current ? pv->current->fetched : 0;
    out->last_refetch = pv->last_refetch;
    out->last_failure = pv->last_failure;
    out->last_reason = pv->last_failure ? pv->last_reason : AOIDC_REASON_NONE;
    out->serial = pv->serial;
    apr_thread_mutex_unlock(pv->mutex);
}

/* Caller holds the mutex. */
static void unref(aoidc_provider_t *pv, aoidc_snapshot_t *s)
{
    if (--s->refs == 0) {
        apr_pool_destroy(s->pool);
    }
}

typedef struct {
    aoidc_provider_t *pv;
    aoidc_snapshot_t *s;
} hold_t;

static apr_status_t release(void *data)
{
    hold_t *h = data;
    apr_thread_mutex_lock(h->pv->mutex);
    unref(h->pv, h->s);
    apr_thread_mutex_unlock(h->pv->mutex);
    return APR_SUCCESS;
}

/* Caller holds the mutex; takes a reference released by p. */
static aoidc_snapshot_t *hold(aoidc_provider_t *pv, aoidc_snapshot_t *s,
                              apr_pool_t *p)
{
    hold_t *h = apr_palloc(p, sizeof(*h));
    h->pv = pv;
    h->s = s;
    s->refs++;
    apr_pool_cleanup_register(p, h, release, apr_pool_cleanup_null);
    return s;
}

/* Caller holds the mutex; the provider's own reference moves to s. */
static void install(aoidc_provider_t *pv, aoidc_snapshot_t *s)
{
    if (pv->current) {
        unref(pv, pv->current);
    }
    s->refs = 1;
    s->serial = ++pv->serial;
    pv->current = s;
}

bool aoidc_provider_first_look(aoidc_provider_t *pv, const aoidc_snapshot_t *s)
{
    bool first;
    apr_thread_mutex_lock(pv->mutex);
    first = s->serial > pv->looked;
    if (first) {
        pv->looked = s->serial;
    }
    apr_thread_mutex_unlock(pv->mutex);
    return first;
}

static apr_status_t fetch_json(const char **body, apr_size_t *len,
                               const aoidc_http_t *http, const char *url,
                               aoidc_http_endpoint_t ep, apr_pool_t *p,
                               aoidc_err_t *err)
{
    aoidc_http_req_t req = {url, NULL, NULL, NULL, ep, NULL, NULL};
    aoidc_http_resp_t resp;
    apr_status_t rv = aoidc_http_send(http, &req, &resp, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (resp.status != 200) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "GET %.200s: status %d", url, resp.status);
    }
    *body = resp.body;
    *len = resp.len;
    return APR_SUCCESS;
}

static apr_status_t fetch_keys(aoidc_jwks_t **out, const aoidc_http_t *http,
                               const char *uri, apr_pool_t *p, aoidc_err_t *err)
{
    const char *body;
    apr_size_t len;
    apr_status_t rv = fetch_json(&body, &len, http, uri, AOIDC_EP_JWKS, p, err);
    if (rv == APR_SUCCESS
        && (rv = aoidc_jwks_parse(out, body, len, p, err)) != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p, "jwks: %s",
                             err ? err->detail : "bad");
    }
    return rv;
}

/* Build a complete new snapshot without holding the mutex (no lock is held
 * across I/O). keep_md: reuse this metadata, fetch only keys. */
static apr_status_t build(aoidc_snapshot_t **out, aoidc_provider_t *pv,
                          const aoidc_http_t *http,
                          const aoidc_metadata_t *keep_md, apr_time_t now,
                          apr_pool_t *p, aoidc_err_t *err)
{
    apr_pool_t *sp;
    apr_status_t rv;
    const char *body;
    apr_size_t len;
    aoidc_snapshot_t *s;
    char *url;

    if (apr_pool_create(&sp, pv->parent) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    apr_pool_tag(sp, "aoidc_snapshot");
    s = apr_pcalloc(sp, sizeof(*s));
    s->pool = sp;
    s->fetched = now;
    if (keep_md) {
        /* copy the strings: the old snapshot may go away before this one */
        s->md = *keep_md;
        s->md.issuer = apr_pstrdup(sp, keep_md->issuer);
        s->md.authorization_endpoint =
            apr_pstrdup(sp, keep_md->authorization_endpoint);
        s->md.token_endpoint = apr_pstrdup(sp, keep_md->token_endpoint);
        s->md.userinfo_endpoint = apr_pstrdup(sp, keep_md->userinfo_endpoint);
        s->md.jwks_uri = apr_pstrdup(sp, keep_md->jwks_uri);
        s->md.introspection_endpoint =
            apr_pstrdup(sp, keep_md->introspection_endpoint);
        s->md.end_session_endpoint =
            apr_pstrdup(sp, keep_md->end_session_endpoint);
        s->md.revocation_endpoint =
            apr_pstrdup(sp, keep_md->revocation_endpoint);
        s->md.par_endpoint = apr_pstrdup(sp, keep_md->par_endpoint);
        s->md.mtls.token = apr_pstrdup(sp, keep_md->mtls.token);
        s->md.mtls.par = apr_pstrdup(sp, keep_md->mtls.par);
        s->md.mtls.introspection = apr_pstrdup(sp, keep_md->mtls.introspection);
        s->md.mtls.revocation = apr_pstrdup(sp, keep_md->mtls.revocation);
        s->md.mtls.userinfo = apr_pstrdup(sp, keep_md->mtls.userinfo);
    }
    else {
        url = apr_pstrcat(sp, pv->issuer,
                          pv->issuer[strlen(pv->issuer) - 1] == '/' ? "" : "/",
                          ".well-known/openid-configuration", NULL);
        rv = fetch_json(&body, &len, http, url, AOIDC_EP_DISCOVERY, sp, err);
        if (rv == APR_SUCCESS) {
            rv = aoidc_metadata_parse(&s->md, pv->issuer, body, len, sp, err);
        }
        if (rv != APR_SUCCESS) {
            goto fail;
        }
    }
    rv = fetch_keys(&s->jwks, http, s->md.jwks_uri, sp, err);
    if (rv != APR_SUCCESS) {
        goto fail;
    }
    *out = s;
    return APR_SUCCESS;
fail:
    if (err && err->detail) {
        /* the detail lives in sp; move it to the caller's pool */
        err->detail = apr_pstrdup(p, err->detail);
    }
    apr_pool_destroy(sp);
    return rv;
}

/* Caller holds the mutex: wait for the fetch in flight to end, at most as
 * long as this request's own fetch could take (metadata and JWKS, one HTTP
 * timeout each). Uses the real clock: this bounds a wait, it judges no
 * token. */
static void wait_fetch(aoidc_provider_t *pv, const aoidc_http_t *http)
{
    apr_interval_time_t bound =
        http->timeout > 0 ? 2 * http->timeout : apr_time_from_sec(10);
    apr_time_t deadline = apr_time_now() + bound;
    while (pv->fetching) {
        apr_interval_time_t left = deadline - apr_time_now();
        if (left <= 0) {
            break;
        }
        apr_thread_cond_timedwait(pv->fetched, pv->mutex, left);
    }
}

/* A metadata fetch ended: record a success or the failure (never the mere
 * attempt: requests arriving meanwhile wait, they are not failed), wake the
 * waiters, and take a reference on the result for p. */
static aoidc_snapshot_t *fetch_done(aoidc_provider_t *pv,
                                    aoidc_snapshot_t *fresh, apr_time_t now,
                                    const aoidc_err_t *err, apr_pool_t *p)
{
    aoidc_snapshot_t *s = NULL;
    apr_thread_mutex_lock(pv->mutex);
    pv->fetching = false;
    if (fresh) {
        install(pv, fresh);
        s = hold(pv, fresh, p);
        pv->last_failure = 0;
    }
    else {
        pv->last_failure = now ? now : 1;
        pv->last_reason =
            err && err->reason ? err->reason : AOIDC_REASON_OP_UNREACHABLE;
    }
    apr_thread_cond_broadcast(pv->fetched);
    apr_thread_mutex_unlock(pv->mutex);
    return s;
}

/* Caller holds the mutex; there is no snapshot yet. APR_SUCCESS: this
 * request should fetch (pv->fetching is now set). APR_EEXIST: another
 * request's fetch succeeded meanwhile and *out holds its snapshot. Else a
 * failure to answer with at once. */
static apr_status_t first_fetch_turn(aoidc_snapshot_t **out,
                                     aoidc_provider_t *pv,
                                     const aoidc_http_t *http, apr_time_t now,
                                     apr_pool_t *p, aoidc_err_t *err)
{
    if (pv->fetching) {
        wait_fetch(pv, http);
        if (pv->current) {
            *out = hold(pv, pv->current, p);
            return APR_EEXIST;
        }
        if (pv->fetching) {
            return aoidc_err_set(err, AOIDC_REASON_OP_UNREACHABLE, p,
                                 "provider %.200s: discovery still in flight",
                                 pv->issuer);
        }
        return aoidc_err_set(err, pv->last_reason, p,
                             "provider %.200s: discovery failed (fetched "
                             "by a concurrent request)",
                             pv->issuer);
    }
    if (pv->last_failure && now - pv->last_failure < AOIDC_PROVIDER_FAIL_FAST) {
        /* A fetch failed a moment ago: answer at once instead of letting
         * every request wait out the timeout against a dead OP. */
        return aoidc_err_set(err, AOIDC_REASON_OP_UNREACHABLE, p,
                             "provider %.200s: unavailable (recent failure)",
                             pv->issuer);
    }
    pv->fetching = true;
    return APR_SUCCESS;
}

apr_status_t aoidc_provider_get(aoidc_snapshot_t **out, aoidc_provider_t *pv,
                                const aoidc_http_t *http, apr_time_t now,
                                apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_snapshot_t *s = NULL, *fresh = NULL;
    apr_status_t rv;

    apr_thread_mutex_lock(pv->mutex);
    if (pv->current) {
        s = hold(pv, pv->current, p);
        /* stale: one request refreshes, the others keep using s */
        bool refresh = !pv->fetching && now - s->fetched > AOIDC_PROVIDER_TTL
                       && (!pv->last_failure
                           || now - pv->last_failure > AOIDC_PROVIDER_RETRY);
        pv->fetching = pv->fetching || refresh;
        apr_thread_mutex_unlock(pv->mutex);
        *out = s;
        if (!refresh) {
            return APR_SUCCESS;
        }
    }
    else {
        rv = first_fetch_turn(out, pv, http, now, p, err);
        apr_thread_mutex_unlock(pv->mutex);
        if (rv != APR_SUCCESS) {
            return rv == APR_EEXIST ? APR_SUCCESS : rv;
        }
    }
    rv = build(&fresh, pv, http, NULL, now, p, err);
    fresh = fetch_done(pv, rv == APR_SUCCESS ? fresh : NULL, now, err, p);
    if (fresh) {
        *out = fresh;
        return APR_SUCCESS;
    }
    /* serve stale while the OP is unreachable */
    return s ? APR_SUCCESS : rv;
}

apr_status_t aoidc_provider_refetch_keys(aoidc_snapshot_t **out,
                                         aoidc_provider_t *pv,
                                         const aoidc_http_t *http,
                                         apr_time_t now, apr_pool_t *p,
                                         aoidc_err_t *err)
{
    aoidc_snapshot_t *cur, *fresh;
    apr_status_t rv;

    apr_thread_mutex_lock(pv->mutex);
    if (!pv->current
        || (pv->last_refetch
            && now - pv->last_refetch < AOIDC_PROVIDER_REFETCH_GAP)) {
        apr_thread_mutex_unlock(pv->mutex);
        return APR_EAGAIN;
    }
    pv->last_refetch = now;
    cur = hold(pv, pv->current, p);
    apr_thread_mutex_unlock(pv->mutex);

    rv = build(&fresh, pv, http, &cur->md, now, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    fresh->fetched = cur->fetched; /* metadata age is unchanged */
    apr_thread_mutex_lock(pv->mutex);
    install(pv, fresh);
    *out = hold(pv, fresh, p);
    apr_thread_mutex_unlock(pv->mutex);
    return APR_SUCCESS;
}
