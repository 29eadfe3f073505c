/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded jansson parsing with pool-owned results. */
#include <math.h>
#include <stdlib.h>

#include "core/json.h"

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *aoidc_json_own(json_t *j, apr_pool_t *p)
{
    if (j) {
        apr_pool_cleanup_register(p, j, json_cleanup, apr_pool_cleanup_null);
    }
    return j;
}

/* Depth of brackets outside strings; cheap and exact for valid JSON, and an
 * upper bound for anything jansson would accept. */
static int too_deep(const char *in, apr_size_t len)
{
    int depth = 0;
    bool instr = false;
    for (apr_size_t i = 0; i < len; i++) {
        char c = in[i];
        if (instr) {
            if (c == '\\') {
                i++;
            }
            else if (c == '"') {
                instr = false;
            }
        }
        else if (c == '"') {
            instr = true;
        }
        else if (c == '{' || c == '[') {
            if (++depth > AOIDC_MAX_JSON_DEPTH) {
                return 1;
            }
        }
        else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

apr_status_t aoidc_json_parse(json_t **out, const char *in, apr_size_t len,
                              apr_size_t max_len, bool any_type, apr_pool_t *p,
                              aoidc_err_t *err)
{
    json_error_t jerr;
    *out = NULL;
    if (len > max_len) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "json: %" APR_SIZE_T_FMT " bytes", len);
    }
    /* jansson for whatever the fast path leaves (json_fast.c), which
     * bounds the depth itself: the scan is for jansson's input only */
    json_t *j = aoidc_json_fast(in, len);
    if (!j && too_deep(in, len)) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "json: nested too deep");
    }
    if (!j) {
        j = json_loadb(in, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                       &jerr);
    }
    if (!j) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p, "json: %s at %d",
                             jerr.text, jerr.position);
    }
    aoidc_json_own(j, p);
    if (!any_type && !json_is_object(j)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "json: not an object");
    }
    *out = j;
    return APR_SUCCESS;
}

const char *aoidc_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool aoidc_json_int(const json_t *obj, const char *key, apr_int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        *out = (apr_int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (isfinite(d) && d > -9.2e18 && d < 9.2e18) {
            *out = (apr_int64_t)d;
            return true;
        }
    }
    return false;
}

char *aoidc_json_dump(const json_t *j, apr_pool_t *p)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
        return apr_pstrdup(p, "null");
    }
    char *r = apr_pstrdup(p, s);
    free(s);
    return r;
}
