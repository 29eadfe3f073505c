/* SPDX-License-Identifier: Apache-2.0 */
/* metadata: a discovery document for a fixed issuer. Whatever is accepted
 * has the exact issuer and only https or loopback-http endpoints. */
#include <stdio.h>

#include "core/provider.h"
#include "core/url.h"
#include "fuzz.h"

static void endpoint_ok(const char *u, apr_pool_t *p)
{
    if (u) {
        FUZZ_CHECK(aoidc_url_check_endpoint(NULL, u, p, NULL) == APR_SUCCESS);
    }
}

AOIDC_FUZZ_ENTRY(metadata)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_metadata_t md;
    aoidc_err_t err = {0};
    const char *in = (const char *)fuzz_exact(data, size, p);
    if (aoidc_metadata_parse(&md, FUZZ_ISS, in, size, p, &err) == APR_SUCCESS) {
        FUZZ_CHECK(!strcmp(md.issuer, FUZZ_ISS));
        FUZZ_CHECK(md.authorization_endpoint && md.jwks_uri);
        endpoint_ok(md.authorization_endpoint, p);
        endpoint_ok(md.token_endpoint, p);
        endpoint_ok(md.jwks_uri, p);
        endpoint_ok(md.userinfo_endpoint, p);
        endpoint_ok(md.introspection_endpoint, p);
        endpoint_ok(md.end_session_endpoint, p);
    }
    else {
        FUZZ_CHECK(err.reason == AOIDC_REASON_OP_ISSUER
                   || err.reason == AOIDC_REASON_OP_INSECURE
                   || err.reason == AOIDC_REASON_OP_BAD_RESPONSE);
    }
    apr_pool_destroy(p);
    return 0;
}
