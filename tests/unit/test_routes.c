/* The generated routing table: every procedure is routed sensibly. */
#include "mv_remote_routes.h"
#include "test.h"

int main(void)
{
    unsigned known = 0;

    for (int i = 0; i < MV_PROC_LIMIT; i++) {
        const mv_route *r = &mv_routes[i];

        if (!(r->flags & MV_ROUTE_KNOWN)) {
            CHECK(r->handler == NULL);
            continue;
        }
        known++;
        CHECK(r->name && r->api && r->handler);
        CHECK(strncmp(r->api, "vir", 3) == 0);
        /* a call allowed before open must also be allowed read-only and be
         * cheap: it is all an unauthenticated client can reach */
        if (r->flags & MV_ROUTE_PREOPEN)
            CHECK((r->flags & MV_ROUTE_RO) && (r->flags & MV_ROUTE_PRIO));
        CHECK((r->args_xdr == NULL) == (r->args_size == 0));
        CHECK((r->ret_xdr == NULL) == (r->ret_size == 0));
    }
    CHECK_INT(known, 63);
    CHECK_STR(mv_routes[1].name, "CONNECT_OPEN");
    CHECK_STR(mv_routes[157].api, "virConnectGetLibVersion");
    CHECK(mv_routes[157].flags & MV_ROUTE_PRIO);
    CHECK(!(mv_routes[MV_PROC_CONNECT_SET_IDENTITY].flags & MV_ROUTE_RO));
    CHECK(!(mv_routes[MV_PROC_CONNECT_GET_CAPABILITIES].flags & MV_ROUTE_PRIO));
    CHECK_INT(mv_routes[MV_PROC_NODE_GET_INFO].owner, MV_OWNER_HYPERVISOR);
    CHECK_INT(mv_routes[MV_PROC_AUTH_LIST].owner, MV_OWNER_LOCAL);
    TEST_DONE();
}
