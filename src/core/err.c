/* SPDX-License-Identifier: Apache-2.0 */
/* Reason names and the error constructor. */
#include <stdarg.h>

#include "core/err.h"

static const char *const names[AOIDC_REASON__COUNT] = {
    [AOIDC_REASON_NONE] = "none",
    [AOIDC_REASON_MALFORMED] = "malformed",
    [AOIDC_REASON_TOO_LARGE] = "too_large",
    [AOIDC_REASON_COOKIE] = "cookie",
    [AOIDC_REASON_STATE_MISSING] = "state_missing",
    [AOIDC_REASON_STATE_EXPIRED] = "state_expired",
    [AOIDC_REASON_STATE_REPLAY] = "state_replay",
    [AOIDC_REASON_OP_ERROR] = "op_error",
    [AOIDC_REASON_ISS_PARAM] = "iss_param",
    [AOIDC_REASON_RETURN_URL] = "return_url",
    [AOIDC_REASON_JWS_MALFORMED] = "jws_malformed",
    [AOIDC_REASON_ALG] = "alg",
    [AOIDC_REASON_KEY_UNKNOWN] = "key_unknown",
    [AOIDC_REASON_CRIT] = "crit",
    [AOIDC_REASON_SIGNATURE] = "signature",
    [AOIDC_REASON_TYP] = "typ",
    [AOIDC_REASON_ISSUER] = "issuer",
    [AOIDC_REASON_AUDIENCE] = "audience",
    [AOIDC_REASON_AZP] = "azp",
    [AOIDC_REASON_EXPIRED] = "expired",
    [AOIDC_REASON_NOT_YET_VALID] = "not_yet_valid",
    [AOIDC_REASON_IAT] = "iat",
    [AOIDC_REASON_NONCE] = "nonce",
    [AOIDC_REASON_SUB] = "sub",
    [AOIDC_REASON_AT_HASH] = "at_hash",
    [AOIDC_REASON_ID_TOKEN_AS_AT] = "id_token_as_access_token",
    [AOIDC_REASON_INACTIVE] = "inactive",
    [AOIDC_REASON_NO_INTROSPECTION] = "no_introspection",
    [AOIDC_REASON_NO_CREDENTIALS] = "no_credentials",
    [AOIDC_REASON_BEARER_SYNTAX] = "bearer_syntax",
    [AOIDC_REASON_SCOPE] = "scope",
    [AOIDC_REASON_SESSION_EXPIRED] = "session_expired",
    [AOIDC_REASON_SESSION_INVALID] = "session_invalid",
    [AOIDC_REASON_REFRESH] = "refresh",
    [AOIDC_REASON_USERINFO_SUB] = "userinfo_sub",
    [AOIDC_REASON_OP_UNREACHABLE] = "op_unreachable",
    [AOIDC_REASON_OP_BAD_RESPONSE] = "op_bad_response",
    [AOIDC_REASON_OP_INSECURE] = "op_insecure",
    [AOIDC_REASON_OP_ISSUER] = "op_issuer",
    [AOIDC_REASON_TOKEN_ENDPOINT] = "token_endpoint",
    [AOIDC_REASON_STORE_UNAVAILABLE] = "store_unavailable",
    [AOIDC_REASON_CONFIG] = "config",
    [AOIDC_REASON_INTERNAL] = "internal",
};

const char *aoidc_reason_name(aoidc_reason_t reason)
{
    if ((unsigned)reason >= AOIDC_REASON__COUNT || !names[reason]) {
        return "unknown";
    }
    return names[reason];
}

apr_status_t aoidc_err_set(aoidc_err_t *err, aoidc_reason_t reason,
                           apr_pool_t *p, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->reason = reason;
        err->detail = apr_pvsprintf(p, fmt, ap);
        va_end(ap);
    }
    return reason >= AOIDC_REASON_OP_UNREACHABLE ? APR_EGENERAL : APR_EINVAL;
}
