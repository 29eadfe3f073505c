/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Single flight: when several threads of a process need the same answer
 * from the OP (the same unknown opaque token, say), one asks and the others
 * wait, bounded, for it to finish and then read its verdict from the cache.
 * Process-local; across processes and nodes the cache does the rest.
 */
#ifndef AOIDC_CORE_FLIGHT_H
#define AOIDC_CORE_FLIGHT_H

#include "core/store.h"

typedef struct aoidc_flight_t aoidc_flight_t;

/** A flight table in p (a child's pool: it must live as long as the
 *  threads that use it). NULL when no mutex could be made (then every
 *  caller leads). */
AOIDC_API aoidc_flight_t *aoidc_flight_create(apr_pool_t *p);

/** True: the caller leads for key and must do the work; it leaves when
 *  rp (the request's pool) is cleared. False: another thread led and is
 *  done, or wait ran out; the caller looks at the cache again. f may be
 *  NULL (always lead). */
AOIDC_API bool aoidc_flight_enter(aoidc_flight_t *f,
                                  const unsigned char key[AOIDC_STORE_KEY_LEN],
                                  apr_interval_time_t wait, apr_pool_t *rp);

#endif
