/*
 * Domain event registration (owner=hypervisor): the client's callbacks
 * live in common/remote/events.c; drivers raise the events.
 */
#include "mv_remote_handlers.h"
#include "remote/events.h"

int mv_dispatch_connect_domain_event_callback_register_any(
    mv_call *call, mv_connect_domain_event_callback_register_any_args *args,
    mv_connect_domain_event_callback_register_any_ret *ret)
{
    int id = mv_events_register_domain(call->client, args->eventID,
                                       args->dom ? (const unsigned char *)args->dom->uuid : NULL);

    if (id < 0)
        return id;
    ret->callbackID = id;
    return 0;
}

int mv_dispatch_connect_domain_event_callback_deregister_any(
    mv_call *call, mv_connect_domain_event_callback_deregister_any_args *args)
{
    return mv_events_deregister(call->client, args->callbackID);
}
