/* Writing text into XML documents formatted by hand. */
#ifndef MV_XML_ESCAPE_H
#define MV_XML_ESCAPE_H

#include <stdio.h>

/* Write s escaped for element text and for attribute values in either
 * quote; control bytes XML cannot carry become spaces. */
void mv_xml_put_escaped(FILE *f, const char *s);

#endif
