/* virtqemud: the QEMU/KVM hypervisor daemon. */
#include "daemon/daemon.h"
#include "qemu_driver.h"

int main(int argc, char **argv)
{
    static const mv_daemon_spec spec = {
        .name = "virtqemud",
        .description = "Serves qemu:///system (or qemu:///session) to libvirt clients.",
        .hypervisor = &qemu_hypervisor_driver,
        .init = qemu_driver_init,
        .cleanup = qemu_driver_cleanup,
    };

    return mv_daemon_main(argc, argv, &spec);
}
