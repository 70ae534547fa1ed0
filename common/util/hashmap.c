#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    void *value;
    char key[];
} entry;

struct mv_hashmap {
    entry **buckets;
    size_t nbuckets;    /* a power of two */
    size_t size;
};

/* FNV-1a with a final mix: keys are names and uuids, not adversarial
 * enough to need more (each map belongs to one daemon's own objects). */
static uint64_t hash_key(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    h ^= h >> 33;
    return h;
}

int mv_hashmap_new(mv_hashmap **ret)
{
    mv_hashmap *m = calloc(1, sizeof(*m));

    if (!m)
        return -ENOMEM;
    m->nbuckets = 64;
    m->buckets = calloc(m->nbuckets, sizeof(entry *));
    if (!m->buckets) {
        free(m);
        return -ENOMEM;
    }
    *ret = m;
    return 0;
}

void mv_hashmap_free(mv_hashmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nbuckets; i++)
        for (entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(m->buckets);
    free(m);
}

static entry **slot(const mv_hashmap *m, const char *key, uint64_t h)
{
    entry **p = &m->buckets[h & (m->nbuckets - 1)];

    while (*p && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
        p = &(*p)->next;
    return p;
}

static void grow(mv_hashmap *m)
{
    size_t n = m->nbuckets * 2;
    entry **b = calloc(n, sizeof(entry *));

    if (!b)
        return;         /* stay as we are: only slower */
    for (size_t i = 0; i < m->nbuckets; i++)
        for (entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

int mv_hashmap_put(mv_hashmap *m, const char *key, void *value)
{
    uint64_t h = hash_key(key);
    entry **p = slot(m, key, h);
    size_t len;

    if (*p) {
        (*p)->value = value;
        return 0;
    }
    len = strlen(key);
    *p = malloc(sizeof(entry) + len + 1);
    if (!*p)
        return -ENOMEM;
    (*p)->next = NULL;
    (*p)->hash = h;
    (*p)->value = value;
    memcpy((*p)->key, key, len + 1);
    if (++m->size > m->nbuckets * 3 / 4)
        grow(m);
    return 0;
}

void *mv_hashmap_get(const mv_hashmap *m, const char *key)
{
    entry *e = *slot(m, key, hash_key(key));

    return e ? e->value : NULL;
}

void *mv_hashmap_remove(mv_hashmap *m, const char *key)
{
    entry **p = slot(m, key, hash_key(key));
    entry *e = *p;
    void *v;

    if (!e)
        return NULL;
    *p = e->next;
    v = e->value;
    free(e);
    m->size--;
    return v;
}

size_t mv_hashmap_size(const mv_hashmap *m)
{
    return m->size;
}

void mv_hashmap_foreach(const mv_hashmap *m, void (*fn)(const char *key, void *value, void *opaque),
                        void *opaque)
{
    for (size_t i = 0; i < m->nbuckets; i++)
        for (entry *e = m->buckets[i]; e; e = e->next)
            fn(e->key, e->value, opaque);
}
