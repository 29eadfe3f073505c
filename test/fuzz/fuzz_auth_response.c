/* SPDX-License-Identifier: Apache-2.0 */
/* auth_response: any callback query or form_post body, parsed as each
 * response type; what passes is within the limits. */
#include <stdio.h>

#include "core/auth_response.h"
#include "core/url.h"
#include "fuzz.h"

static void as_type(const char *q, aoidc_response_type_t rt, apr_pool_t *p)
{
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    if (aoidc_auth_response_parse_for(&r, q, rt, p, &err) != APR_SUCCESS) {
        return;
    }
    FUZZ_CHECK(r.state && strlen(r.state) >= 22 && strlen(r.state) <= 128);
    FUZZ_CHECK(!r.code || strlen(r.code) <= AOIDC_MAX_PARAM_LEN);
    FUZZ_CHECK(!r.id_token || strlen(r.id_token) <= AOIDC_MAX_TOKEN_LEN);
    /* a type never yields what it does not return */
    FUZZ_CHECK(rt != AOIDC_RT_ID_TOKEN || !r.code);
    FUZZ_CHECK(rt != AOIDC_RT_CODE || !r.id_token);
    /* and always what it needs, unless the OP answered an error */
    FUZZ_CHECK(r.error || rt == AOIDC_RT_ID_TOKEN || (r.code && *r.code));
    FUZZ_CHECK(r.error || rt == AOIDC_RT_CODE || (r.id_token && *r.id_token));
    (void)aoidc_auth_response_check_iss(&r, FUZZ_ISS, true, p, &err);
    (void)aoidc_auth_response_check_iss(&r, FUZZ_ISS, false, p, &err);
}

/* a login initiation (OIDC Core §4): whatever passes leads only to a local
 * path, for our issuer */
static void as_initiation(const char *q, apr_pool_t *p)
{
    aoidc_initiate_t in;
    aoidc_err_t err = {0};
    if (aoidc_initiate_parse(&in, q, FUZZ_ISS, "https://rp.example.com", p,
                             &err)
        != APR_SUCCESS) {
        return;
    }
    FUZZ_CHECK(!in.target
               || (aoidc_url_is_local_path(in.target)
                   && strlen(in.target) <= AOIDC_INITIATE_TARGET_MAX));
    FUZZ_CHECK(!in.login_hint || strlen(in.login_hint) <= AOIDC_LOGIN_HINT_MAX);
}

AOIDC_FUZZ_ENTRY(auth_response)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    const char *q = fuzz_str(data, size, p);
    if (aoidc_auth_response_parse(&r, q, p, &err) == APR_SUCCESS) {
        FUZZ_CHECK(r.state && strlen(r.state) >= 22 && strlen(r.state) <= 128);
        FUZZ_CHECK(r.error || (r.code && *r.code));
        FUZZ_CHECK(!r.code || strlen(r.code) <= AOIDC_MAX_PARAM_LEN);
        FUZZ_CHECK(!r.id_token);
        (void)aoidc_auth_response_check_iss(&r, FUZZ_ISS, true, p, &err);
        (void)aoidc_auth_response_check_iss(&r, FUZZ_ISS, false, p, &err);
    }
    as_type(q, AOIDC_RT_CODE, p);
    as_type(q, AOIDC_RT_CODE_ID_TOKEN, p);
    as_type(q, AOIDC_RT_ID_TOKEN, p);
    as_initiation(q, p);
    apr_pool_destroy(p);
    return 0;
}
