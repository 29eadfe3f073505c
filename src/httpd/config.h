/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-directory configuration. Every value is parsed once, at config time,
 * into a typed field; unset fields hold a sentinel (NULL or AOIDC_UNSET) so
 * merging passes "unset" through nested scopes, and defaults are applied by
 * the accessors below. Durations are apr_interval_time_t throughout.
 *
 * The provider identity (issuer, client id, client secret) merges as one
 * unit: a section that names another issuer never inherits the outer
 * section's client, and a section that names another client never inherits
 * the outer secret, so one OP's secret is never sent to another.
 *
 * The OP transport (AuthOIDCCABundle, AuthOIDCOutgoingProxy) is bound to
 * the issuer in effect where it is set (config_http.c): a section under
 * another issuer does not inherit it, so one OP's traffic never goes
 * through a proxy, or trusts a CA, given for another. A setting made
 * where no issuer is in effect (server-wide) applies to every issuer.
 */
#ifndef AOIDC_HTTPD_CONFIG_H
#define AOIDC_HTTPD_CONFIG_H

#include "apr_hash.h"
#include "httpd.h"
#include "http_config.h"

#include "core/basic.h"
#include "core/guard.h"
#include "core/provider.h"
#include "core/rp.h"
#include "core/rs.h"
#include "core/seal.h"
#include "core/upstream.h"

#define AOIDC_UNSET (-1)
/* v unless unset, else dflt */
#define AOIDC_OR(v, dflt) ((v) != AOIDC_UNSET ? (v) : (dflt))

enum {
    AOIDC_ACCEPT_HEADER = 1,
    AOIDC_ACCEPT_QUERY = 2,
    AOIDC_ACCEPT_FORM = 4,
};

typedef struct aoidc_store_ref_t aoidc_store_ref_t;

/* One OP transport setting and the issuer it belongs to (config_http.c). */
typedef struct {
    const void *value;  /* NULL: unset */
    const char *issuer; /* when merged: bound to it; NULL: to any issuer */
    bool merged;        /* else raw: bound to the section's own issuer */
} aoidc_bound_t;

typedef struct {
    const char *pem; /* AuthOIDCCABundle, read at config time */
    apr_size_t len;
} aoidc_ca_t;

typedef struct {
    const char *url;   /* AuthOIDCOutgoingProxy, checked */
    const char *shown; /* without its password */
} aoidc_proxy_t;

/* AuthOIDCProvider ISSUER [CLIENT-ID [SECRET]] (issue 11): another
 * identity a user of the location may log in with, beside AuthOIDCIssuer.
 * Without CLIENT-ID it uses the location's AuthOIDCClientID, but never
 * its AuthOIDCClientSecret: a secret goes only to the OP it was given
 * for. */
typedef struct {
    const char *issuer;
    aoidc_provider_t *provider; /* shared per issuer, process-wide */
    aoidc_guard_t *guard;
    const char *client_id; /* NULL: the location's */
    const char *secret;    /* NULL: none (a public client) */
} aoidc_idp_t;

typedef struct {
    /* provider identity: merged as one unit (see above) */
    const char *issuer;
    aoidc_provider_t *provider; /* shared per issuer, process-wide */
    aoidc_guard_t *guard;       /* shared per issuer, process-wide */
    aoidc_client_t *client;     /* id and secret; NULL fields when unset */
    const char *tag;            /* aoidc_rp_tag(issuer, client id) */
    const char *redirect_uri;   /* absolute URL or local path */
    const char *redirect_path;  /* its path, parsed at config time */
    aoidc_seal_t *seal_session; /* derived from AuthOIDCPassphrase */
    aoidc_seal_t *seal_state;
    aoidc_seal_t *seal_index;
    aoidc_seal_t *seal_basic; /* oidc-basic: credential MACs, cache entries */
    int token_binding;        /* AOIDC_BIND_*, AuthOIDCTokenBinding */
    const char *scope;
    int pkce; /* 1 = S256, 0 = off */
    apr_interval_time_t leeway;
    const char *audience;
    aoidc_store_ref_t *store;
    int cookie_store; /* AuthOIDCSessionStore cookie */
    const char *claim_prefix;
    const char *remote_user_claim;
    apr_interval_time_t inactivity;
    apr_interval_time_t max_duration;
    apr_interval_time_t token_cache_ttl;
    apr_interval_time_t session_cache_ttl; /* the L1 (core/l1.h) */
    int userinfo;
    int pass_access_token;
    int accept_in; /* AOIDC_ACCEPT_* mask */
    int typ_required;
    int revoke_on_logout;
    /* the OP's HTTP client from the three fields below (config_http.c);
     * NULL: the defaults */
    const aoidc_http_t *http;
    apr_interval_time_t http_timeout; /* AuthOIDCHTTPTimeout */
    aoidc_bound_t ca;                 /* of aoidc_ca_t */
    aoidc_bound_t proxy;              /* of aoidc_proxy_t */
    /* cookies, login robustness, what legacy apps rely on (issue 10) */
    const char *cookie_name;
    const char *cookie_domain;
    const char *cookie_path;
    const char *cookie_samesite; /* "Lax", "Strict", "None" */
    apr_interval_time_t state_timeout;
    int state_max_cookies;
    int unauth_action;  /* AOIDC_UNAUTH_* */
    int unautz_action;  /* AOIDC_UNAUTZ_* */
    int pass_claims_as; /* AOIDC_PASS_* mask */
    const char *claim_delimiter;
    apr_array_header_t *auth_params; /* of aoidc_param_t */
    apr_interval_time_t refresh_before;
    int info;
    apr_array_header_t *trusted_proxies; /* of apr_ipsubnet_t * */
    const char *error_template; /* AuthOIDCErrorTemplate, read at config */
    /* more flows (issue 11): aoidc_response_type_t / aoidc_response_mode_t */
    int response_type;
    int response_mode;
    /* tokens for the backend's own calls (issue 11) */
    int upstream_mode; /* aoidc_upstream_mode_t */
    const char *upstream_scope;
    const char *upstream_audience;
    aoidc_seal_t *seal_upstream; /* from AuthOIDCPassphrase */
    /* AuthOIDCProvider (issue 11): of aoidc_idp_t, in directive order; a
     * section with its own list replaces the outer one as a whole */
    apr_array_header_t *idps;
    /* step-up (RFC 9470) and resource metadata (RFC 9728), issue 12:
     * config_stepup.c, stepup.c */
    apr_interval_time_t max_age;        /* AuthOIDCMaxAge */
    apr_array_header_t *stepup_acr;     /* Require acr words of the section */
    apr_array_header_t *require_scopes; /* Require scope words, likewise */
    int resource_metadata;              /* AuthOIDCResourceMetadata */
    const char *resource_metadata_path; /* its <Location> path ("/") */
    /* AuthOIDCPAR (issue 12): aoidc_par_mode_t; AuthOIDCClientAuth and
     * AuthOIDCClientKey live in the client (config_client.c) */
    int par;
    /* AuthOIDCDPoPNonce (RFC 9449 §8, beyond the interface table) */
    int dpop_nonce;
    aoidc_seal_t *seal_dpop_nonce; /* from AuthOIDCPassphrase */
    /* AuthOIDCProfile (aoidc_profile_t) and AuthOIDCDPoP (config_profile.c);
     * the DPoP key is derived from AuthOIDCPassphrase (core/dpop_rp.h) */
    int profile;
    int dpop;
    const struct aoidc_client_key_st *dpop_key;
} aoidc_dir_conf_t;

enum {
    AOIDC_UNAUTH_AUTH = 1, /* start a login (browsers) or 401 */
    AOIDC_UNAUTH_PASS,     /* serve without claims */
    AOIDC_UNAUTH_401,
    AOIDC_UNAUTH_410,
};
enum {
    AOIDC_UNAUTZ_403 = 1,
    AOIDC_UNAUTZ_AUTH, /* a failed Require starts a new login */
};
enum {
    AOIDC_PASS_HEADERS = 1,
    AOIDC_PASS_ENV = 2,
};

/* A keyword directive (config.c's set_keyword, with this as cmd->info):
 * arg, case-insensitively the i-th of the NULL-terminated words, sets the
 * int field at offset to values[i]. */
typedef struct {
    apr_size_t offset;
    const char *const *words;
    const int *values;
} aoidc_keyword_t;

extern const command_rec aoidc_cmds[];

void *aoidc_create_dir_conf(apr_pool_t *p, char *dir);
void *aoidc_merge_dir_conf(apr_pool_t *p, void *base, void *add);

/* config_identity.c: the life cycle of the process-wide registries
 * (providers, guards) */
/* obs: what every HTTP client the configuration makes reports its OP calls
 * to (the metrics), passed in by the life cycle so that the config units,
 * below everything, call no other glue unit */
void aoidc_config_pre_config(apr_pool_t *pconf, aoidc_http_observe_cb obs);
void aoidc_config_child_init(apr_pool_t *pchild);

/** Every configured provider: issuer -> aoidc_provider_t (status page). */
apr_hash_t *aoidc_config_providers(void);
/* config_identity.c: the provider identity (above) */
/** c's identity from base and add as one unit (above); before
 *  aoidc_config_http_merge, which needs the merged issuer. */
void aoidc_config_identity_merge(aoidc_dir_conf_t *c,
                                 const aoidc_dir_conf_t *base,
                                 const aoidc_dir_conf_t *add, apr_pool_t *p);
/** c->tag (aoidc_rp_tag) when the section names issuer and client id. */
void aoidc_config_update_tag(aoidc_dir_conf_t *c, apr_pool_t *p);
const char *aoidc_config_set_issuer(cmd_parms *cmd, void *dc, const char *arg);
const char *aoidc_config_set_provider(cmd_parms *cmd, void *dc, const char *iss,
                                      const char *id, const char *secret);

int aoidc_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s);
/* configtest.c: a path-form AuthOIDCRedirectURI outside every <Location>
 * with AuthType oidc (when the tree proves it); OK or !OK (logged). */
int aoidc_config_check_redirect_uri(apr_pool_t *ptemp, server_rec *s);

/* config_http.c: the OP's HTTP client settings */
void aoidc_config_http_pre_config(aoidc_http_observe_cb obs);
void aoidc_config_http_merge(aoidc_dir_conf_t *c, const aoidc_dir_conf_t *base,
                             const aoidc_dir_conf_t *add, apr_pool_t *p);
const char *aoidc_config_set_http_timeout(cmd_parms *cmd, void *dc,
                                          const char *arg);
const char *aoidc_config_set_ca_bundle(cmd_parms *cmd, void *dc,
                                       const char *arg);
const char *aoidc_config_set_proxy(cmd_parms *cmd, void *dc, const char *arg);

/* config_stepup.c: AuthOIDCMaxAge, AuthOIDCResourceMetadata, and what the
 * Require acr / Require scope lines of a section record into its configuration
 * (the acr_values to ask for, the scopes_supported to publish) */
const char *aoidc_config_set_max_age(cmd_parms *cmd, void *dc, const char *arg);
const char *aoidc_config_set_resource_metadata(cmd_parms *cmd, void *dc,
                                               int on);
void aoidc_config_note_require(cmd_parms *cmd, bool acr, const char *word);
/** AuthOIDCMaxAge in seconds; -1 when unset. */
apr_int64_t aoidc_conf_max_age(const aoidc_dir_conf_t *c);
/* config_client.c: AuthOIDCClientID, AuthOIDCClientSecret and
 * AuthOIDCClientAuth, AuthOIDCClientKey, AuthOIDCClientCert (issue 12) */
const char *aoidc_config_set_client_id(cmd_parms *cmd, void *dc,
                                       const char *arg);
const char *aoidc_config_set_client_secret(cmd_parms *cmd, void *dc,
                                           const char *arg);
const char *aoidc_config_set_client_auth(cmd_parms *cmd, void *dc,
                                         const char *arg);
const char *aoidc_config_set_client_key(cmd_parms *cmd, void *dc,
                                        const char *file, const char *kid);
const char *aoidc_config_set_client_cert(cmd_parms *cmd, void *dc,
                                         const char *cert, const char *key);

/* config_passphrase.c: AuthOIDCPassphrase NEW [OLD], its purpose keys and
 * the DPoP key */
const char *aoidc_config_set_passphrase(cmd_parms *cmd, void *dc,
                                        const char *now, const char *old);

/* config_cookie.c: the session cookie's attributes, AuthOIDCStateTimeout,
 * AuthOIDCTrustedProxy, AuthOIDCErrorTemplate (issue 10) */
const char *aoidc_config_set_samesite(cmd_parms *cmd, void *dc,
                                      const char *arg);
/** AuthOIDCCookieName, -Domain, -Path: into the field at cmd->info. */
const char *aoidc_config_set_cookie_attr(cmd_parms *cmd, void *dc,
                                         const char *arg);
const char *aoidc_config_set_state_timeout(cmd_parms *cmd, void *dc,
                                           const char *arg);
const char *aoidc_config_set_trusted_proxy(cmd_parms *cmd, void *dc,
                                           const char *arg);
const char *aoidc_config_set_error_template(cmd_parms *cmd, void *dc,
                                            const char *arg);

/* config_upstream.c: AuthOIDCUpstreamToken (these words, with config.c's
 * set_keyword), AuthOIDCUpstreamScope and AuthOIDCUpstreamAudience (into
 * the field at cmd->info), and aoidc_conf_upstream below */
extern const aoidc_keyword_t aoidc_config_upstream_kw;
const char *aoidc_config_set_upstream_str(cmd_parms *cmd, void *dc,
                                          const char *arg);

/* config_profile.c: AuthOIDCProfile, AuthOIDCDPoP (issue 12) */
const char *aoidc_config_set_profile(cmd_parms *cmd, void *dc, const char *arg);
const char *aoidc_config_set_dpop(cmd_parms *cmd, void *dc, int on);
/** NULL, or the directive of c that contradicts its AuthOIDCProfile. */
const char *aoidc_config_profile_conflict(const aoidc_dir_conf_t *c);
/** What c's profile and AuthOIDCDPoP imply, into rp (aoidc_conf_rp). */
void aoidc_config_profile_rp(aoidc_rp_conf_t *rp, const aoidc_dir_conf_t *c);
/** configtest: every server's and section's configuration (merged over
 *  its server's) against its profile; OK or !OK (logged). */
int aoidc_config_check_profile(apr_pool_t *ptemp, server_rec *s);

/* accessors with defaults */
const aoidc_http_t *aoidc_conf_http(const aoidc_dir_conf_t *c);
/** The HTTP client for another issuer of c (AuthOIDCProvider): c's own
 *  only when its CA bundle and proxy are bound to no issuer in particular
 *  or to that one, else the defaults. */
const aoidc_http_t *aoidc_conf_http_for(const aoidc_dir_conf_t *c,
                                        const char *issuer);
const char *aoidc_conf_claim_prefix(const aoidc_dir_conf_t *c);
bool aoidc_conf_pass_access_token(const aoidc_dir_conf_t *c);
int aoidc_conf_accept_in(const aoidc_dir_conf_t *c);
int aoidc_conf_unauth_action(const aoidc_dir_conf_t *c);
int aoidc_conf_unautz_action(const aoidc_dir_conf_t *c);
int aoidc_conf_pass_claims_as(const aoidc_dir_conf_t *c);
const char *aoidc_conf_cookie_name(const aoidc_dir_conf_t *c);
bool aoidc_conf_info(const aoidc_dir_conf_t *c);

/** What the RP flows need, with defaults applied (in x's storage). NULL
 *  when the directory lacks what AuthType oidc needs: *missing names it. */
const aoidc_rp_conf_t *aoidc_conf_rp(aoidc_rp_conf_t *rp,
                                     const aoidc_dir_conf_t *c,
                                     const char **missing);
/** What AuthOIDCUpstreamToken needs, with defaults applied (in u's
 *  storage). NULL with *missing NULL when it is off here; NULL with
 *  *missing naming the directive when the directory lacks one. */
const aoidc_upstream_conf_t *aoidc_conf_upstream(aoidc_upstream_conf_t *u,
                                                 const aoidc_dir_conf_t *c,
                                                 const char **missing);
/** AuthType oidc-basic's settings into *b; NULL with *missing naming the
 *  first directive it lacks. */
const aoidc_basic_conf_t *aoidc_conf_basic(aoidc_basic_conf_t *b,
                                           const aoidc_dir_conf_t *c,
                                           const char **missing);
/** What the RS flow needs, likewise (into *rs). */
const aoidc_rs_conf_t *aoidc_conf_rs(aoidc_rs_conf_t *rs,
                                     const aoidc_dir_conf_t *c,
                                     const char **missing);

#endif
