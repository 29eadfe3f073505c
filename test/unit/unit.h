/* SPDX-License-Identifier: Apache-2.0 */
/* One TCase per core unit; run.c puts them in one Suite. */
#ifndef AOIDC_TEST_UNIT_H
#define AOIDC_TEST_UNIT_H

#include "testutil.h"

/* clang-format off */
#define AOIDC_UNITS(X)                                                       \
    X(err) X(b64url) X(json) X(rand) X(url) X(cookie) X(seal) X(codec)       \
    X(parse) X(jwk) X(jwk_evp) X(jws) X(jwt) X(pkce) X(state) X(authz_request)          \
    X(auth_response) X(token) X(id_token) X(logout_token) X(session)         \
    X(bearer) X(match) X(rs_metadata) X(claims) X(store) X(store_memcache) X(session_index) \
    X(logout) X(http) X(provider) X(provider_threads) X(client) X(flow)      \
    X(guard) X(flight) X(rp_store) X(rp_login) X(rp_callback) X(rp_session) \
    X(rs) X(store_redis) X(basic) X(dpop) \
    X(cookie_session) X(rp_cookie) X(replay) X(rp_modes) X(upstream) \
    X(client_key) X(par) X(l1) X(dpop_rp) X(profile) X(client_cert)
/* clang-format on */

#define AOIDC_DECLARE_TCASE(u) TCase *aoidc_##u##_tcase(void);
AOIDC_UNITS(AOIDC_DECLARE_TCASE)
#undef AOIDC_DECLARE_TCASE

#endif
