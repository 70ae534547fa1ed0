/* Reading the JSON QEMU answers (QMP replies, firmware descriptors). */
#ifndef QEMU_JSON_H
#define QEMU_JSON_H

#include <json-c/json.h>
#include <stdbool.h>

/* Member key of object o, or NULL (also when o is NULL). */
static inline json_object *qemu_json_get(json_object *o, const char *key)
{
    json_object *v;

    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Member key as a string, or NULL when absent or not a string. */
static inline const char *qemu_json_str(json_object *o, const char *key)
{
    json_object *v = qemu_json_get(o, key);

    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Member key is the boolean true. */
static inline bool qemu_json_bool(json_object *o, const char *key)
{
    json_object *v = qemu_json_get(o, key);

    return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

#endif
