/* Session snapshots and identities (driver/session.h), and the other
 * small types drivers share with the program (driver/hypervisor.h). */
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "driver/hypervisor.h"

mv_session *mv_session_ref(mv_session *s)
{
    if (s)
        __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
    return s;
}

void mv_session_unref(mv_session *s)
{
    if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    free(s->uri);
    mv_identity_clear(&s->identity);
    free(s);
}

void mv_identity_clear(mv_identity *id)
{
    free(id->user_name);
    free(id->group_name);
    free(id->sasl_user_name);
    free(id->x509_dname);
    free(id->selinux_context);
    *id = (mv_identity){ .uid = (uid_t)-1, .gid = (gid_t)-1 };
}

static int dup_field(const char *from, char **to)
{
    *to = from ? strdup(from) : NULL;
    return from && !*to ? -1 : 0;
}

int mv_identity_copy(const mv_identity *from, mv_identity *ret)
{
    mv_identity id = *from;

    id.user_name = id.group_name = id.sasl_user_name = id.x509_dname = id.selinux_context = NULL;
    if (dup_field(from->user_name, &id.user_name) < 0 ||
        dup_field(from->group_name, &id.group_name) < 0 ||
        dup_field(from->sasl_user_name, &id.sasl_user_name) < 0 ||
        dup_field(from->x509_dname, &id.x509_dname) < 0 ||
        dup_field(from->selinux_context, &id.selinux_context) < 0) {
        mv_identity_clear(&id);
        return -ENOMEM;
    }
    *ret = id;
    return 0;
}

void mv_domain_refs_free(mv_domain_ref *refs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(refs[i].name);
    free(refs);
}
