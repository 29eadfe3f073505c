/* SPDX-License-Identifier: Apache-2.0 */
/* core/profile.c: what AuthOIDCProfile fapi2 refuses, as a table. */
#include <string.h>

#include "core/authz_request.h"
#include "core/profile.h"
#include "unit.h"

/* nothing said explicitly, a key for private_key_jwt */
static aoidc_profile_in_t base(void)
{
    aoidc_profile_in_t in = {.par = -1,
                             .pkce = -1,
                             .response_type = -1,
                             .dpop = -1,
                             .has_client = true,
                             .client_auth = AOIDC_CLIENT_AUTH_AUTO,
                             .has_key = true};
    return in;
}

START_TEST(conflict_table)
{
    struct {
        aoidc_profile_in_t in;
        const char *want;
    } t[24];
    int n = 0;
    aoidc_profile_in_t in;

    t[n].in = base(), t[n++].want = NULL;
    in = base(), in.par = AOIDC_PAR_ON, in.pkce = 1, in.dpop = 1;
    in.response_type = AOIDC_RT_CODE;
    t[n].in = in, t[n++].want = NULL; /* everything said as the profile says */
    in = base(), in.par = AOIDC_PAR_AUTO;
    t[n].in = in, t[n++].want = NULL; /* auto: the profile turns it on */
    in = base(), in.par = AOIDC_PAR_OFF;
    t[n].in = in, t[n++].want = "AuthOIDCPAR off";
    in = base(), in.pkce = 0;
    t[n].in = in, t[n++].want = "AuthOIDCPKCE off";
    in = base(), in.response_type = AOIDC_RT_CODE_ID_TOKEN;
    t[n].in = in, t[n++].want = "AuthOIDCResponseType \"code id_token\"";
    in = base(), in.response_type = AOIDC_RT_ID_TOKEN;
    t[n].in = in, t[n++].want = "AuthOIDCResponseType id_token";
    in = base(), in.dpop = 0;
    t[n].in = in, t[n++].want = "AuthOIDCDPoP off";
    in = base(), in.client_auth = AOIDC_CLIENT_AUTH_BASIC;
    t[n].in = in, t[n++].want = "AuthOIDCClientAuth client_secret_basic";
    in = base(), in.client_auth = AOIDC_CLIENT_AUTH_POST;
    t[n].in = in, t[n++].want = "AuthOIDCClientAuth client_secret_post";
    in = base(), in.client_auth = AOIDC_CLIENT_AUTH_PRIVATE_KEY_JWT;
    t[n].in = in, t[n++].want = NULL;
    in = base(), in.has_key = false;
    t[n].in = in, t[n++].want = "AuthOIDCClientKey (private_key_jwt) or a "
                                "client certificate (tls_client_auth)";
    in = base(), in.has_key = false, in.has_cert = true;
    t[n].in = in, t[n++].want = NULL;
    /* no client here (a server-wide profile): no client rule */
    in = base(), in.has_key = false, in.has_client = false;
    in.client_auth = AOIDC_CLIENT_AUTH_BASIC;
    t[n].in = in, t[n++].want = NULL;
    in.par = AOIDC_PAR_OFF;
    t[n].in = in, t[n++].want = "AuthOIDCPAR off";
    in = base(), in.other_providers = true;
    t[n].in = in,
    t[n++].want = "AuthOIDCProvider (its client has a secret, not a key)";

    for (int i = 0; i < n; i++) {
        const char *got = aoidc_profile_conflict(AOIDC_PROFILE_FAPI2, &t[i].in);
        if (t[i].want) {
            ck_assert_msg(got && !strcmp(got, t[i].want), "row %d: %s", i,
                          got ? got : "(accepted)");
        }
        else {
            ck_assert_msg(!got, "row %d: refused %s", i, got);
        }
        /* no profile: nothing is refused */
        ck_assert_ptr_null(
            aoidc_profile_conflict(AOIDC_PROFILE_NONE, &t[i].in));
    }
    ck_assert_str_eq(aoidc_profile_name(AOIDC_PROFILE_FAPI2), "fapi2");
    ck_assert_str_eq(aoidc_profile_name(AOIDC_PROFILE_NONE), "none");
}
END_TEST

TCase *aoidc_profile_tcase(void)
{
    TCase *tc = aoidc_test_tcase("profile");
    tcase_add_test(tc, conflict_table);
    return tc;
}
