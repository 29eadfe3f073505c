/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reason table and the error constructor. Every refusal the module
 * makes is one row here: what the client gets (status, RFC 6750 error, a
 * short message that leaks nothing), how loud the log line is, whose fault
 * it is, and which counter moves. A client fault can never carry a 5xx
 * status: test_err.c walks the table and checks it.
 */
#include <stdarg.h>

#include <apr_atomic.h>

#include "core/err.h"

/* status 400/401/403/503/502/500 spelled out: the core has no httpd
 * headers, and the numbers are the contract anyway. */
#define ROW(nm, st, be, lv, f, m, msg)                                         \
    {                                                                          \
        nm, st, be, AOIDC_LOG_##lv, AOIDC_FAULT_##f, m, msg                    \
    }
#define BAD(nm, msg)                                                           \
    ROW(nm, 400, "invalid_request", INFO, CLIENT, "client_errors", msg)
#define TOKEN(nm, msg)                                                         \
    ROW(nm, 401, "invalid_token", INFO, CLIENT, "token_rejected", msg)
#define ENDED(nm, msg) ROW(nm, 401, NULL, INFO, CLIENT, "session_ended", msg)
#define UP(nm, st, lv, msg)                                                    \
    ROW(nm, st, NULL, lv, UPSTREAM, "upstream_errors", msg)

static const aoidc_reason_info_t table[AOIDC_REASON__COUNT] = {
    [AOIDC_REASON_NONE] = ROW("none", 500, NULL, ERROR, INTERNAL,
                              "internal_errors", "Internal error."),
    [AOIDC_REASON_MALFORMED] = BAD("malformed", "Malformed request."),
    [AOIDC_REASON_TOO_LARGE] = BAD("too_large", "Request too large."),
    [AOIDC_REASON_COOKIE] =
        BAD("cookie", "Login state is invalid; please sign in again."),
    [AOIDC_REASON_STATE_MISSING] =
        BAD("state_missing", "Unknown login attempt; please sign in again."),
    [AOIDC_REASON_STATE_EXPIRED] =
        BAD("state_expired", "Login attempt expired; please sign in again."),
    [AOIDC_REASON_STATE_REPLAY] =
        BAD("state_replay", "Login attempt already used."),
    [AOIDC_REASON_OP_ERROR] =
        ROW("op_error", 403, NULL, INFO, CLIENT, "client_errors",
            "The identity provider refused the login."),
    [AOIDC_REASON_ISS_PARAM] =
        BAD("iss_param", "Login response from the wrong issuer."),
    [AOIDC_REASON_RETURN_URL] = BAD("return_url", "Invalid return address."),
    [AOIDC_REASON_JWS_MALFORMED] = TOKEN("jws_malformed", "Invalid token."),
    [AOIDC_REASON_ALG] = TOKEN("alg", "Invalid token."),
    [AOIDC_REASON_KEY_UNKNOWN] = TOKEN("key_unknown", "Invalid token."),
    [AOIDC_REASON_CRIT] = TOKEN("crit", "Invalid token."),
    [AOIDC_REASON_SIGNATURE] = TOKEN("signature", "Invalid token."),
    [AOIDC_REASON_TYP] = TOKEN("typ", "Invalid token."),
    [AOIDC_REASON_ISSUER] = TOKEN("issuer", "Invalid token."),
    [AOIDC_REASON_AUDIENCE] = TOKEN("audience", "Invalid token."),
    [AOIDC_REASON_AZP] = TOKEN("azp", "Invalid token."),
    [AOIDC_REASON_EXPIRED] = TOKEN("expired", "Token expired."),
    [AOIDC_REASON_NOT_YET_VALID] = TOKEN("not_yet_valid", "Invalid token."),
    [AOIDC_REASON_IAT] = TOKEN("iat", "Invalid token."),
    [AOIDC_REASON_NONCE] = TOKEN("nonce", "Invalid token."),
    [AOIDC_REASON_SUB] = TOKEN("sub", "Invalid token."),
    [AOIDC_REASON_AT_HASH] = TOKEN("at_hash", "Invalid token."),
    [AOIDC_REASON_ID_TOKEN_AS_AT] =
        TOKEN("id_token_as_access_token", "Invalid token."),
    [AOIDC_REASON_INACTIVE] = TOKEN("inactive", "Invalid token."),
    [AOIDC_REASON_NO_INTROSPECTION] =
        TOKEN("no_introspection", "Invalid token."),
    [AOIDC_REASON_NO_CREDENTIALS] =
        ROW("no_credentials", 401, NULL, DEBUG, CLIENT, "client_errors",
            "Authentication required."),
    [AOIDC_REASON_BEARER_SYNTAX] =
        BAD("bearer_syntax", "Malformed Authorization header."),
    [AOIDC_REASON_SCOPE] = ROW("scope", 403, "insufficient_scope", INFO, CLIENT,
                               "client_errors", "Insufficient scope."),
    [AOIDC_REASON_CLAIM] =
        ROW("claim", 403, NULL, INFO, CLIENT, "client_errors", "Forbidden."),
    [AOIDC_REASON_STEP_UP] =
        ROW("step_up", 403, "insufficient_user_authentication", INFO, CLIENT,
            "client_errors",
            "Stronger or more recent authentication "
            "required."),
    [AOIDC_REASON_SESSION_EXPIRED] =
        ENDED("session_expired", "Session expired."),
    [AOIDC_REASON_SESSION_INVALID] =
        ENDED("session_invalid", "Invalid session."),
    [AOIDC_REASON_REFRESH] = ENDED("refresh", "Session ended."),
    [AOIDC_REASON_USERINFO_SUB] =
        TOKEN("userinfo_sub", "Invalid user information."),
    [AOIDC_REASON_NO_USER] = TOKEN("no_user", "No user in the token."),
    /* back-channel logout answers 400 with a JSON error (the glue) */
    [AOIDC_REASON_LOGOUT_TOKEN] = BAD("logout_token", "Invalid logout token."),
    [AOIDC_REASON_LOGOUT_REPLAY] =
        BAD("logout_replay", "Logout token already used."),
    [AOIDC_REASON_OP_UNREACHABLE] = UP("op_unreachable", 503, ERROR,
                                       "The identity provider is unavailable."),
    [AOIDC_REASON_OP_BAD_RESPONSE] = UP(
        "op_bad_response", 502, ERROR, "The identity provider answered badly."),
    [AOIDC_REASON_OP_INSECURE] = UP("op_insecure", 502, ERROR,
                                    "The identity provider is misconfigured."),
    [AOIDC_REASON_OP_ISSUER] =
        UP("op_issuer", 502, ERROR, "The identity provider is misconfigured."),
    /* the OP refused our grant: a wrong client secret is the operator's to
     * fix, so it is logged at error even though the status is 401 */
    [AOIDC_REASON_TOKEN_ENDPOINT] =
        ROW("token_endpoint", 401, "invalid_token", ERROR, UPSTREAM,
            "upstream_errors", "The login could not be completed."),
    [AOIDC_REASON_OP_BUSY] =
        UP("op_busy", 503, WARN, "The identity provider is busy; retry soon."),
    [AOIDC_REASON_STORE_UNAVAILABLE] =
        UP("store_unavailable", 503, ERROR,
           "The session store is unavailable; retry soon."),
    /* a refreshed ID Token (OIDC Core 12.2) names another authentication */
    [AOIDC_REASON_AUTH_TIME] = TOKEN("auth_time", "Invalid token."),
    /* RFC 9449 §7.1: invalid_dpop_proof; the challenge scheme is the
     * glue's (DPoP) */
    [AOIDC_REASON_DPOP_PROOF] =
        ROW("dpop_proof", 401, "invalid_dpop_proof", INFO, CLIENT,
            "token_rejected", "Invalid DPoP proof."),
    [AOIDC_REASON_BINDING] = TOKEN("binding", "Invalid token."),
    /* RFC 9449 §9: use_dpop_nonce; the glue adds the DPoP-Nonce header */
    [AOIDC_REASON_DPOP_NONCE] =
        ROW("dpop_nonce", 401, "use_dpop_nonce", INFO, CLIENT, "token_rejected",
            "A DPoP nonce is required."),
    [AOIDC_REASON_BASIC_REFUSED] =
        ROW("basic_refused", 401, NULL, INFO, CLIENT, "client_errors",
            "Wrong user name or password."),
    /* at info like every client fault (a client cannot flood the log at
     * warn); the metrics count it */
    [AOIDC_REASON_THROTTLED] =
        ROW("throttled", 429, NULL, INFO, CLIENT, "client_errors",
            "Too many failed attempts; try again later."),
    /* a hybrid response whose ID Token does not bind its code */
    [AOIDC_REASON_C_HASH] = TOKEN("c_hash", "Invalid token."),
    /* AuthOIDCUpstreamToken: the backend cannot be called without its
     * token, whoever refused it (OP down, grant refused, bad answer) */
    [AOIDC_REASON_UPSTREAM_TOKEN] =
        UP("upstream_token", 502, ERROR,
           "The backend's access could not be obtained."),
    [AOIDC_REASON_CONFIG] = ROW("config", 500, NULL, ERROR, CONFIG,
                                "config_errors", "Server misconfigured."),
    [AOIDC_REASON_INTERNAL] = ROW("internal", 500, NULL, ERROR, INTERNAL,
                                  "internal_errors", "Internal error."),
};

const aoidc_reason_info_t *aoidc_reason_info(aoidc_reason_t reason)
{
    if ((unsigned)reason >= AOIDC_REASON__COUNT || !table[reason].name) {
        return &table[AOIDC_REASON_INTERNAL];
    }
    return &table[reason];
}

const char *aoidc_reason_name(aoidc_reason_t reason)
{
    if ((unsigned)reason >= AOIDC_REASON__COUNT || !table[reason].name) {
        return "unknown";
    }
    return table[reason].name;
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
    return aoidc_reason_info(reason)->fault == AOIDC_FAULT_CLIENT
               ? APR_EINVAL
               : APR_EGENERAL;
}

bool aoidc_log_due(apr_uint32_t *last_sec, apr_time_t now,
                   apr_uint32_t interval_sec)
{
    /* seconds fit 32 bits until 2106; unsigned differences stay right
     * across that wrap, and 0 means "never logged" */
    apr_uint32_t sec = (apr_uint32_t)apr_time_sec(now);
    apr_uint32_t last = apr_atomic_read32(last_sec);
    sec = sec ? sec : 1;
    if (last && sec - last < interval_sec) {
        return false;
    }
    return apr_atomic_cas32(last_sec, sec, last) == last;
}
