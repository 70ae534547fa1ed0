/*
 * What a driver knows of the client making a call: who it is, what it
 * opened, and whether it may change anything.  A handler gets an immutable
 * snapshot taken when the call was read; SET_IDENTITY, CONNECT_OPEN and
 * CONNECT_CLOSE replace the client's snapshot and never touch one that a
 * call on a worker still holds.
 */
#ifndef MV_DRIVER_SESSION_H
#define MV_DRIVER_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

/* Who is calling: from the socket peer at accept, or handed over by a
 * trusted relay with CONNECT_SET_IDENTITY. */
typedef struct mv_identity {
    uid_t uid;                  /* (uid_t)-1: unknown */
    gid_t gid;
    pid_t pid;                  /* 0: unknown */
    unsigned long long process_time;    /* start time of pid, clock ticks; 0: unknown */
    char *user_name;
    char *group_name;
    char *sasl_user_name;
    char *x509_dname;
    char *selinux_context;
} mv_identity;

typedef struct mv_session {
    int refs;                   /* atomic */
    bool readonly;
    char *uri;                  /* what the client opened; NULL before */
    mv_identity identity;
} mv_session;

/* Implemented in common/remote/session.c. */
mv_session *mv_session_ref(mv_session *s);
void mv_session_unref(mv_session *s);
void mv_identity_clear(mv_identity *id);
int mv_identity_copy(const mv_identity *from, mv_identity *ret);

#endif
