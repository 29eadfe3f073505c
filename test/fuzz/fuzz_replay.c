/* SPDX-License-Identifier: Apache-2.0 */
/* replay: a form body through aoidc_replay_body_ok and the replay page;
 * nothing of the body may add markup to the page. */
#include <stdio.h>

#include "core/replay.h"
#include "fuzz.h"

static int count(const char *s, const char *what)
{
    int n = 0;
    for (; (s = strstr(s, what)); s++) {
        n++;
    }
    return n;
}

AOIDC_FUZZ_ENTRY(replay)
{
    apr_pool_t *p = fuzz_pool();
    const char *body = fuzz_str(data, size, p);
    bool ok = aoidc_replay_body_ok(body, strlen(body));
    FUZZ_CHECK(!aoidc_replay_body_ok(body, size) || ok);
    char *page = aoidc_replay_page("/a?b=\"<c>\"", body, "nonce", p);
    /* the page of an empty form: what the template itself holds */
    const char *none = aoidc_replay_page("/a?b=\"<c>\"", "", "nonce", p);
    FUZZ_CHECK(!page || ok);
    if (page) {
        int fields = 0;
        for (const char *s = body; *s;) {
            const char *e = strchr(s, '&');
            fields += (e ? e - s : (long)strlen(s)) > 0;
            s = e ? e + 1 : s + strlen(s);
        }
        FUZZ_CHECK(count(page, "<") == count(none, "<") + fields);
        FUZZ_CHECK(count(page, "<input") == fields);
        FUZZ_CHECK(count(page, "\"") == count(none, "\"") + 6 * fields);
    }
    apr_pool_destroy(p);
    return 0;
}
