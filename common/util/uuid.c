#include <errno.h>
#include <stdio.h>

#include "util/uuid.h"

int mv_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int mv_uuid_scan(const char *s, unsigned char uuid[MV_UUID_LEN], const char **ret_end)
{
    size_t i = 0;

    while (*s == ' ')
        s++;
    while (i < MV_UUID_LEN) {
        int hi, lo;

        if (*s == '-') {
            s++;
            continue;
        }
        hi = mv_hexval(s[0]);
        lo = hi < 0 ? -1 : mv_hexval(s[1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        uuid[i++] = (unsigned char)(hi << 4 | lo);
        s += 2;
    }
    if (ret_end)
        *ret_end = s;
    return 0;
}

void mv_uuid_format(const unsigned char u[MV_UUID_LEN], char out[MV_UUID_STRLEN])
{
    snprintf(out, MV_UUID_STRLEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
             u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}
