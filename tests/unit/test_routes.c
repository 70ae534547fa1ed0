/* The generated routing table and handler arrays: every procedure is
 * routed sensibly, and each owner's array holds exactly its procedures. */
#include "mv_remote_handlers.h"
#include "test.h"

int main(void)
{
    unsigned known = 0, events = 0;

    for (int i = 0; i < MV_PROC_LIMIT; i++) {
        const mv_route *r = &mv_routes[i];

        if (!(r->flags & MV_ROUTE_KNOWN)) {
            CHECK(!mv_local_handlers[i] && !mv_hypervisor_handlers[i]);
            continue;
        }
        known++;
        CHECK(r->name && r->api);
        CHECK(strncmp(r->api, "vir", 3) == 0);
        if (r->flags & MV_ROUTE_EVENT) {
            /* a message we send, never a call anyone can make */
            events++;
            CHECK(!mv_local_handlers[i] && !mv_hypervisor_handlers[i]);
            continue;
        }
        CHECK((mv_local_handlers[i] != NULL) == (r->owner == MV_OWNER_LOCAL));
        CHECK((mv_hypervisor_handlers[i] != NULL) == (r->owner == MV_OWNER_HYPERVISOR));
        /* a call allowed before open must be cheap; before authentication
         * also harmless: it is all an unknown client can reach */
        if (r->flags & MV_ROUTE_PREOPEN)
            CHECK(r->flags & MV_ROUTE_PRIO);
        if (r->flags & MV_ROUTE_NOAUTH)
            CHECK((r->flags & MV_ROUTE_RO) && (r->flags & MV_ROUTE_PREOPEN));
        CHECK((r->args_xdr == NULL) == (r->args_size == 0));
        CHECK((r->ret_xdr == NULL) == (r->ret_size == 0));
        /* local calls run inline: they read the client's live state */
        if (r->owner == MV_OWNER_LOCAL)
            CHECK(r->flags & MV_ROUTE_PRIO);
    }
    CHECK(known > 60);
    CHECK_INT(events, 2);
    CHECK_STR(mv_routes[1].name, "CONNECT_OPEN");
    CHECK(mv_routes[1].flags & MV_ROUTE_ONCE);
    CHECK(mv_routes[MV_PROC_AUTH_LIST].flags & MV_ROUTE_NOAUTH);
    CHECK(!(mv_routes[MV_PROC_CONNECT_OPEN].flags & MV_ROUTE_NOAUTH));
    CHECK_STR(mv_routes[157].api, "virConnectGetLibVersion");
    CHECK(mv_routes[157].flags & MV_ROUTE_PRIO);
    CHECK(!(mv_routes[MV_PROC_CONNECT_SET_IDENTITY].flags & MV_ROUTE_RO));
    /* a relay hands the identity over before it opens */
    CHECK(mv_routes[MV_PROC_CONNECT_SET_IDENTITY].flags & MV_ROUTE_PREOPEN);
    CHECK(!(mv_routes[MV_PROC_CONNECT_GET_CAPABILITIES].flags & MV_ROUTE_PRIO));
    CHECK_INT(mv_routes[MV_PROC_NODE_GET_INFO].owner, MV_OWNER_HYPERVISOR);
    CHECK_INT(mv_routes[MV_PROC_AUTH_LIST].owner, MV_OWNER_LOCAL);
    CHECK_STR(mv_routes[MV_PROC_DOMAIN_UNDEFINE].access, "domain:delete");
    CHECK_STR(mv_owner_name(MV_OWNER_NETWORK), "network");
    CHECK(mv_routes[MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE].flags & MV_ROUTE_EVENT);
    TEST_DONE();
}
