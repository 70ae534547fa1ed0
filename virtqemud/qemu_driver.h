#ifndef QEMU_DRIVER_H
#define QEMU_DRIVER_H

#include "daemon/daemon.h"

extern const mv_hypervisor_driver qemu_hypervisor_driver;

int qemu_driver_init(const mv_daemon_env *env);
void qemu_driver_cleanup(void);

#endif
