/* virtqemud: the QEMU/KVM hypervisor daemon. */
#include "daemon/daemon.h"
#include "mv_remote_handlers.h"
#include "qemu_driver.h"

int main(int argc, char **argv)
{
    static const mv_daemon_spec spec = {
        .name = "virtqemud",
        .description = "Serves qemu:///system (or qemu:///session) to libvirt clients.",
        .drivers = { .hypervisor = &qemu_hypervisor_driver },
        .handlers = { [MV_OWNER_HYPERVISOR] = mv_hypervisor_handlers },
        .relay = true,      /* network, storage and secret calls on qemu:/// */
        .event_id_base = MV_EVENT_ID_BASE_HYPERVISOR,
        .init = qemu_driver_init,
        .cleanup = qemu_driver_cleanup,
    };

    return mv_daemon_main(argc, argv, &spec);
}
