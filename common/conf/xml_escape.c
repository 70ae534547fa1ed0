#include "conf/xml_escape.h"

void mv_xml_put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            /* Only tab, newline and carriage return are allowed below
             * 0x20: anything else would make the document ill-formed. */
            fputc((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r' ? ' ' : *s, f);
            break;
        }
    }
}
