/* A map from strings to pointers: chained buckets, grown as it fills. */
#ifndef MV_HASHMAP_H
#define MV_HASHMAP_H

#include <stddef.h>

typedef struct mv_hashmap mv_hashmap;

int mv_hashmap_new(mv_hashmap **ret);
/* Frees the map and its copies of the keys, not the values. */
void mv_hashmap_free(mv_hashmap *m);
/* Insert or replace; the key is copied. */
int mv_hashmap_put(mv_hashmap *m, const char *key, void *value);
void *mv_hashmap_get(const mv_hashmap *m, const char *key);
/* Returns the value removed, or NULL. */
void *mv_hashmap_remove(mv_hashmap *m, const char *key);
size_t mv_hashmap_size(const mv_hashmap *m);
/* Call fn for each entry, in no particular order; fn must not modify m. */
void mv_hashmap_foreach(const mv_hashmap *m, void (*fn)(const char *key, void *value, void *opaque),
                        void *opaque);

#endif
