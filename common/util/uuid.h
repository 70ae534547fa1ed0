/* Uuids as libvirt writes them: 16 bytes, 32 hex digits with dashes. */
#ifndef MV_UUID_H
#define MV_UUID_H

#define MV_UUID_LEN 16
#define MV_UUID_STRLEN 37           /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and NUL */

/* The value of a hex digit, or -1. */
int mv_hexval(char c);

/* Read a uuid at s (leading spaces and dashes anywhere between digit
 * pairs allowed); *ret_end, if given, points after it.  -EINVAL when
 * s does not start with one. */
int mv_uuid_scan(const char *s, unsigned char uuid[MV_UUID_LEN], const char **ret_end);

void mv_uuid_format(const unsigned char uuid[MV_UUID_LEN], char out[MV_UUID_STRLEN]);

#endif
