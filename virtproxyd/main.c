/* virtproxyd: the front end that owns nothing and relays everything. */
#include "config.h"
#include "daemon/daemon.h"

int main(int argc, char **argv)
{
    static const mv_daemon_spec spec = {
        .name = "virtproxyd",
        .description = "Relays libvirt clients on libvirt-sock to the daemon that owns each call.",
        .sockets = "libvirt",
        .relay = true,
        .user = MODVIRT_PROXY_USER,
    };

    return mv_daemon_main(argc, argv, &spec);
}
