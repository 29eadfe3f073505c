/* SPDX-License-Identifier: Apache-2.0 */
/* redis_url: store URL parsing (core/redis_url.c) and the description
 * made from a parsed URL, which must never carry credentials. */
#include <stdio.h>

#include "core/store_redis.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(redis_url)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_redis_conf_t *c;
    const char *s = fuzz_str(data, size, p);
    const char *err = aoidc_redis_parse(&c, s, p);
    if (err) {
        FUZZ_CHECK(c == NULL && strstr(err, "expected redis"));
    }
    else {
        FUZZ_CHECK(c->nhosts >= 1 && c->nhosts <= AOIDC_REDIS_MAX_HOSTS);
        for (int i = 0; i < c->nhosts; i++) {
            FUZZ_CHECK(c->hosts[i].port > 0 && *c->hosts[i].host);
        }
        FUZZ_CHECK((c->mode == AOIDC_REDIS_SENTINEL) == (c->master != NULL));
        FUZZ_CHECK(c->mode != AOIDC_REDIS_SINGLE || c->nhosts == 1);
        FUZZ_CHECK(c->db >= 0 && c->db <= 9999);
        FUZZ_CHECK(!c->password || *c->password);
        const char *d = aoidc_redis_describe(c, p);
        FUZZ_CHECK(!strchr(d, '@'));
        /* a password with a character a description cannot hold (hosts,
         * ports, master names, "://", "(tls)") never shows in it */
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz"
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789.-_:/,[]() ";
        if (c->password
            && strspn(c->password, alphabet) < strlen(c->password)) {
            FUZZ_CHECK(!strstr(d, c->password));
        }
    }
    apr_pool_destroy(p);
    return 0;
}
