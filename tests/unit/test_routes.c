/* The generated routing table and handler arrays: every procedure is
 * routed sensibly, and each owner's array holds exactly its procedures. */
#include "mv_remote_handlers.h"
#include "test.h"

/* The owner an access class's object belongs to (connect: any). */
static bool object_fits_owner(const char *access, mv_owner owner)
{
    static const struct {
        const char *object;
        mv_owner owner;
    } objects[] = {
        { "domain", MV_OWNER_HYPERVISOR },
        { "network", MV_OWNER_NETWORK },
        { "network_port", MV_OWNER_NETWORK },
        { "storage_pool", MV_OWNER_STORAGE },
        { "storage_vol", MV_OWNER_STORAGE },
        { "secret", MV_OWNER_SECRET },
        { "node_device", MV_OWNER_NODEDEV },
        { "interface", MV_OWNER_INTERFACE },
        { "nwfilter", MV_OWNER_NWFILTER },
    };
    size_t len = strcspn(access, ":");

    if (len == strlen("connect") && strncmp(access, "connect", len) == 0)
        return true;
    for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
        if (strlen(objects[i].object) == len && strncmp(access, objects[i].object, len) == 0)
            return objects[i].owner == owner;
    return false;
}

int main(void)
{
    unsigned known = 0, events = 0;
    unsigned per_owner[MV_OWNER_COUNT] = { 0 };

    for (int i = 0; i < MV_PROC_LIMIT; i++) {
        const mv_route *r = &mv_routes[i];

        if (!(r->flags & MV_ROUTE_KNOWN)) {
            CHECK(!mv_local_handlers[i] && !mv_hypervisor_handlers[i]);
            continue;
        }
        known++;
        CHECK(r->owner < MV_OWNER_COUNT);
        if (r->owner < MV_OWNER_COUNT)
            per_owner[r->owner]++;
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
        /* a subsystem's call names its access class, and the object of
         * that class belongs to the same subsystem */
        if (r->owner != MV_OWNER_LOCAL) {
            CHECK(r->access != NULL);
            if (r->access && !object_fits_owner(r->access, r->owner))
                fprintf(stderr, "%s: access %s does not fit owner %s\n", r->name, r->access,
                        mv_owner_name(r->owner));
            CHECK(!r->access || object_fits_owner(r->access, r->owner));
        }
        /* a call that opens a stream changes or reads data in bulk:
         * always on a worker */
        if (r->stream != MV_STREAM_NONE)
            CHECK(!(r->flags & MV_ROUTE_PRIO));
    }
    CHECK(known > 200);
    /* domain (15 kinds) and connection-closed, plus those of network,
     * storage pool (2), node device (2) and secret (2) */
    CHECK_INT(events, 23);
    /* libvirt 9.0 numbers procedures up to 443; nothing newer is routed */
    CHECK(MV_PROC_LIMIT <= 444);
    /* every subsystem a relay may forward to has its procedures */
    for (int o = MV_OWNER_NETWORK; o < MV_OWNER_COUNT; o++)
        CHECK(per_owner[o] > 0);
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

    /* subsystems no daemon of ours serves yet: routed by number */
    CHECK_INT(MV_PROC_CONNECT_LIST_ALL_NETWORKS, 283);
    CHECK_INT(mv_routes[MV_PROC_CONNECT_LIST_ALL_NETWORKS].owner, MV_OWNER_NETWORK);
    CHECK(mv_routes[MV_PROC_CONNECT_LIST_ALL_NETWORKS].flags & MV_ROUTE_RO);
    CHECK(mv_routes[MV_PROC_CONNECT_LIST_ALL_NETWORKS].flags & MV_ROUTE_PRIO);
    CHECK_STR(mv_routes[MV_PROC_CONNECT_LIST_ALL_NETWORKS].api, "virConnectListAllNetworks");
    CHECK(!(mv_routes[MV_PROC_NETWORK_DEFINE_XML].flags & MV_ROUTE_RO));
    CHECK_STR(mv_routes[MV_PROC_NETWORK_DEFINE_XML].api, "virNetworkDefineXML");
    CHECK_INT(mv_routes[MV_PROC_NETWORK_PORT_GET_XML_DESC].owner, MV_OWNER_NETWORK);
    CHECK(mv_routes[MV_PROC_NETWORK_EVENT_LIFECYCLE].flags & MV_ROUTE_EVENT);
    CHECK(mv_routes[MV_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY].flags & MV_ROUTE_RO);
    CHECK_INT(mv_routes[MV_PROC_CONNECT_FIND_STORAGE_POOL_SOURCES].owner, MV_OWNER_STORAGE);
    CHECK_INT(mv_routes[MV_PROC_STORAGE_VOL_UPLOAD].stream, MV_STREAM_WRITE);
    CHECK_INT(mv_routes[MV_PROC_STORAGE_VOL_DOWNLOAD].stream, MV_STREAM_READ);
    CHECK(!(mv_routes[MV_PROC_STORAGE_VOL_DOWNLOAD].flags & MV_ROUTE_RO));
    CHECK_STR(mv_routes[MV_PROC_STORAGE_VOL_GET_XML_DESC].api, "virStorageVolGetXMLDesc");
    CHECK_STR(mv_routes[MV_PROC_STORAGE_VOL_GET_XML_DESC].access, "storage_vol:read");
    /* a secret's value is never for a read-only connection */
    CHECK_INT(mv_routes[MV_PROC_SECRET_GET_VALUE].owner, MV_OWNER_SECRET);
    CHECK(!(mv_routes[MV_PROC_SECRET_GET_VALUE].flags & MV_ROUTE_RO));
    CHECK_INT(mv_routes[MV_PROC_NODE_NUM_OF_DEVICES].owner, MV_OWNER_NODEDEV);
    CHECK(mv_routes[MV_PROC_NODE_LIST_DEVICES].flags & MV_ROUTE_RO);
    CHECK_STR(mv_routes[MV_PROC_NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN].api,
              "virNodeDeviceLookupSCSIHostByWWN");
    CHECK(!(mv_routes[MV_PROC_NODE_DEVICE_DETTACH].flags & MV_ROUTE_RO));
    CHECK_INT(mv_routes[MV_PROC_CONNECT_LIST_ALL_INTERFACES].owner, MV_OWNER_INTERFACE);
    CHECK_STR(mv_routes[MV_PROC_NWFILTER_LOOKUP_BY_NAME].api, "virNWFilterLookupByName");
    CHECK_INT(mv_routes[MV_PROC_CONNECT_LIST_ALL_NWFILTER_BINDINGS].owner, MV_OWNER_NWFILTER);
    CHECK_STR(mv_routes[MV_PROC_NWFILTER_BINDING_CREATE_XML].access, "nwfilter:create");
    TEST_DONE();
}
