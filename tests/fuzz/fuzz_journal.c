/* libFuzzer target for util/journal: arbitrary bytes as a journal file,
 * replayed into nothing.  Checksums are not checked, so that mutations get
 * past them to the record and op decoder. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What apply_op relies on: a name it can put in a path, data it can write. */
static int check_op(const mv_journal_op *op, void *opaque)
{
    size_t *total = opaque;

    if (!op->name[0] || op->name[0] == '.' || strchr(op->name, '/') || (op->len && !op->data))
        __builtin_trap();
    *total += op->len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = 0, tail;
    uint64_t next;

    if (mv_journal_scan(data, size, MV_JOURNAL_SCAN_NO_CHECKSUMS, check_op, &total, &tail,
                        &next) == 0 && tail > size)
        __builtin_trap();
    return 0;
}
