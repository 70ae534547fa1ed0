/* The string map: put, replace, get, remove, growth. */
#include <stdio.h>

#include "test.h"
#include "util/hashmap.h"

static void count_fn(const char *k, void *v, void *opaque)
{
    (*(size_t *)opaque)++;
}

int main(void)
{
    mv_hashmap *m;
    char key[32];
    size_t count = 0;

    CHECK_INT(mv_hashmap_new(&m), 0);
    for (long i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "guest-%ld", i);
        CHECK_INT(mv_hashmap_put(m, key, (void *)(i + 1)), 0);
    }
    CHECK_INT(mv_hashmap_size(m), 5000);
    CHECK(mv_hashmap_get(m, "guest-4321") == (void *)4322);
    CHECK(mv_hashmap_get(m, "guest-5000") == NULL);
    CHECK_INT(mv_hashmap_put(m, "guest-7", (void *)99), 0);
    CHECK_INT(mv_hashmap_size(m), 5000);
    CHECK(mv_hashmap_get(m, "guest-7") == (void *)99);
    for (long i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof(key), "guest-%ld", i);
        CHECK(mv_hashmap_remove(m, key) != NULL);
    }
    CHECK(mv_hashmap_remove(m, "guest-0") == NULL);
    CHECK_INT(mv_hashmap_size(m), 2500);
    CHECK(mv_hashmap_get(m, "guest-4") == NULL);
    CHECK(mv_hashmap_get(m, "guest-5") == (void *)6);
    mv_hashmap_foreach(m, count_fn, &count);
    CHECK_INT(count, 2500);
    mv_hashmap_free(m);
    TEST_DONE();
}
