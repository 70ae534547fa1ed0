/*
 * The domain XML document (<domain>): a model, its parser and its
 * formatter.  Parse and format are generic: they apply only the defaults
 * libvirt's own parser applies whatever the hypervisor: a random UUID,
 * 52:54:00 MAC addresses (and an Open vSwitch interfaceid), currentMemory
 * = memory, vcpu placement static, <boot dev='hd'/> for an hvm guest
 * without any boot order, the lifecycle actions, <clock offset='utc'>, a
 * disk's bus from its target name and a CD-ROM's <readonly/>, an input's
 * bus, a free index for a controller without one, VNC/SPICE autoport and
 * default <listen>, a watchdog's action='reset', a passthrough TPM's
 * /dev/tpm0, a direct interface's mode='vepa', a tcp chardev's
 * mode='connect' and <protocol type='raw'/>, a filesystem's type='mount'
 * accessmode='passthrough'.  Disks and controllers are kept in libvirt's
 * order (by bus and name, by type and index).  What the QEMU driver adds
 * (machine canonicalisation, implicit controllers, addresses, video and
 * its RAM, the console/serial pairing, chardev ports, CPU model) is the
 * driver's business.
 *
 * Nothing a user defined is lost: every element of the scope below is
 * modelled and formats back; elements libvirt knows but modvirt does not
 * model (<blkiotune>, <seclabel>, <redirfilter>, <panic>, ...) and
 * elements in a foreign namespace (<qemu:commandline>) are kept verbatim
 * and formatted back at their place; anything else (an unknown element
 * or attribute) is rejected with VIR_ERR_CONFIG_UNSUPPORTED (or
 * VIR_ERR_XML_ERROR where libvirt reports that) rather than dropped.
 *
 * Conventions: strings are malloc'd and NULL when absent; enumerated
 * attributes that a driver switches on are C enums (0 = absent unless said
 * otherwise), those it merely passes on to the hypervisor are strings,
 * checked against the values libvirt accepts; mv_tristate is for on/off
 * and yes/no attributes.
 */
#ifndef MV_DOMAIN_CONF_H
#define MV_DOMAIN_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define MV_DOMAIN_UUID_LEN 16
#define MV_DOMAIN_MAC_LEN 6

/* Hard limits on what one document may hold (hostile input). */
#define MV_DOMAIN_XML_MAX_LEN (10u * 1024 * 1024)
#define MV_DOMAIN_MAX_DEVICES 4096      /* of each kind */
#define MV_DOMAIN_MAX_VCPUS 16384
#define MV_DOMAIN_MAX_CPUSET 16384      /* highest host CPU number + 1 */

/* virDomainXMLFlags, for mv_domain_def_format(). */
enum {
    MV_DOMAIN_XML_SECURE = 1,       /* include passwords */
    MV_DOMAIN_XML_INACTIVE = 2,     /* the persistent form: no live data */
    MV_DOMAIN_XML_UPDATE_CPU = 4,   /* accepted; the driver updates the CPU */
    MV_DOMAIN_XML_MIGRATABLE = 8,   /* accepted; the generic format is migratable */
};

/* Flags of mv_domain_def_parse() and mv_domain_device_parse(). */
enum {
    /* The document is a status document written by the daemon itself:
     * keep live data (aliases, the graphics ports in use).  Without it
     * the parse is of a user's definition: aliases other than "ua-*"
     * and the domain id are dropped, as libvirt does. */
    MV_DOMAIN_PARSE_STATUS = 1,
    /* Also validate against libvirt's RNG schema (VIR_DOMAIN_DEFINE_VALIDATE);
     * errors are VIR_ERR_XML_INVALID_SCHEMA. */
    MV_DOMAIN_PARSE_VALIDATE = 2,
    /* Keep the secure parts of the input (graphics passwords).  Always on
     * in practice; here for symmetry with format. */
    MV_DOMAIN_PARSE_SECURE = 4,
};

typedef enum mv_tristate {
    MV_TRISTATE_ABSENT = 0,
    MV_TRISTATE_YES,        /* 'yes' or 'on' */
    MV_TRISTATE_NO,         /* 'no' or 'off' */
} mv_tristate;

/* ---- device addresses ---- */

typedef enum mv_domain_addr_type {
    MV_DOMAIN_ADDR_NONE = 0,
    MV_DOMAIN_ADDR_PCI,
    MV_DOMAIN_ADDR_DRIVE,
    MV_DOMAIN_ADDR_VIRTIO_SERIAL,
    MV_DOMAIN_ADDR_CCID,
    MV_DOMAIN_ADDR_USB,
    MV_DOMAIN_ADDR_ISA,
} mv_domain_addr_type;

typedef struct mv_domain_address {
    mv_domain_addr_type type;
    union {
        struct {
            unsigned domain, bus, slot, function;
            mv_tristate multifunction;
        } pci;
        struct {
            unsigned controller, bus, target, unit;
        } drive;
        struct {
            unsigned controller, bus, port;
            bool has_port;
        } vioserial;
        struct {
            unsigned controller, slot;
            bool has_slot;
        } ccid;
        struct {
            unsigned bus;
            char port[16];          /* "1" or "1.2.3.4"; "" = none */
        } usb;
        struct {
            unsigned iobase, irq;
            bool has_iobase, has_irq;
        } isa;
    };
} mv_domain_address;

/* What every device may carry. */
typedef struct mv_domain_device_info {
    char *alias;                /* <alias name=...>: "ua-*" from users, others live only */
    unsigned boot_order;        /* <boot order='N'/>, 0 = none (disk, interface, hostdev, redirdev) */
    mv_domain_address addr;
} mv_domain_device_info;

/* ---- disks ---- */

typedef enum { MV_DISK_TYPE_FILE = 0, MV_DISK_TYPE_BLOCK, MV_DISK_TYPE_NETWORK,
               MV_DISK_TYPE_VOLUME, MV_DISK_TYPE_DIR } mv_disk_type;
typedef enum { MV_DISK_DEVICE_DISK = 0, MV_DISK_DEVICE_CDROM, MV_DISK_DEVICE_FLOPPY,
               MV_DISK_DEVICE_LUN } mv_disk_device;
typedef enum { MV_DISK_BUS_NONE = 0, MV_DISK_BUS_IDE, MV_DISK_BUS_FDC, MV_DISK_BUS_SCSI,
               MV_DISK_BUS_VIRTIO, MV_DISK_BUS_XEN, MV_DISK_BUS_USB, MV_DISK_BUS_UML,
               MV_DISK_BUS_SATA, MV_DISK_BUS_SD } mv_disk_bus;

typedef struct mv_domain_disk_host {
    char *name;
    char *port;
    char *transport;            /* tcp, unix, rdma */
    char *socket;
} mv_domain_disk_host;

typedef struct mv_domain_disk {
    mv_disk_type type;
    mv_disk_device device;
    struct {
        char *name;             /* "qemu" */
        char *type;             /* raw, qcow2, ... */
        char *cache;            /* default none writethrough writeback directsync unsafe */
        char *io;               /* threads native io_uring */
        char *discard;          /* unmap ignore */
        char *detect_zeroes;    /* off on unmap */
        char *error_policy;     /* stop report ignore enospace */
        char *rerror_policy;
    } driver;
    struct {
        bool present;           /* <source> given (an empty cdrom has none) */
        char *path;             /* file= (file), dev= (block), dir= (dir) */
        char *startup_policy;   /* mandatory requisite optional */
        char *protocol;         /* network: nbd rbd iscsi http https ftp ... */
        char *name;             /* network: image/export name */
        mv_domain_disk_host *hosts;
        size_t nhosts;
        char *pool, *volume;    /* volume */
        char *mode;             /* volume: host direct */
    } source;
    char *target_dev;           /* vda, sda, hdc, fda ... (required) */
    mv_disk_bus bus;            /* NONE if not given */
    char *target_tray;          /* open closed */
    mv_tristate target_removable;
    bool readonly, shareable, transient;
    char *serial;
    char *wwn;
    mv_domain_device_info info;
} mv_domain_disk;

/* ---- controllers ---- */

typedef enum { MV_CONTROLLER_IDE = 0, MV_CONTROLLER_FDC, MV_CONTROLLER_SCSI, MV_CONTROLLER_SATA,
               MV_CONTROLLER_VIRTIO_SERIAL, MV_CONTROLLER_CCID, MV_CONTROLLER_USB,
               MV_CONTROLLER_PCI, MV_CONTROLLER_XENBUS, MV_CONTROLLER_ISA } mv_controller_type;

typedef struct mv_domain_controller {
    mv_controller_type type;
    int index;                  /* always >= 0 after parse (assigned when absent) */
    char *model;                /* usb: piix3-uhci qemu-xhci nec-xhci ich9-ehci1 none ...;
                                 * pci: pci-root pcie-root pcie-root-port pci-bridge ...;
                                 * scsi: virtio-scsi lsilogic ... */
    /* usb companion controllers */
    int master_startport;       /* -1 = no <master> */
    int ports;                  /* usb / virtio-serial ports=, -1 = absent */
    int vectors;                /* virtio-serial vectors=, -1 = absent */
    /* pci */
    char *model_name;           /* <model name='pcie-root-port'/> */
    struct {
        int chassis_nr, chassis, port, bus_nr, index;   /* -1 = absent */
        mv_tristate hotplug;
    } target;
    struct {
        unsigned queues, cmd_per_lun, max_sectors;      /* 0 = absent */
        char *iothread;
    } driver;
    mv_domain_device_info info;
} mv_domain_controller;

/* ---- network interfaces ---- */

typedef enum { MV_NET_USER = 0, MV_NET_NETWORK, MV_NET_BRIDGE, MV_NET_DIRECT,
               MV_NET_ETHERNET } mv_net_type;

typedef struct mv_domain_net {
    mv_net_type type;
    unsigned char mac[MV_DOMAIN_MAC_LEN];   /* always set after parse */
    char *mac_type;             /* <mac type=...> (generated static), rare */
    struct {
        char *network;          /* network */
        char *portgroup;
        char *bridge;           /* bridge */
        char *dev;              /* direct */
        char *mode;             /* direct: vepa bridge private passthrough */
    } source;
    char *virtualport_type;     /* <virtualport type='openvswitch'/> */
    char *virtualport_interfaceid;  /* openvswitch <parameters interfaceid=.../>, generated */
    char *target_dev;           /* live (or user-chosen) tap name */
    mv_tristate target_managed; /* ethernet <target managed='no'/> */
    char *model;                /* virtio e1000 e1000e rtl8139 ... */
    struct {
        char *name;             /* qemu vhost */
        unsigned queues;        /* 0 = absent */
    } driver;
    char *link_state;           /* up down */
    unsigned mtu;               /* 0 = absent */
    char *filterref;            /* <filterref filter=.../> (no parameters) */
    char *rom_bar;              /* on off */
    char *rom_file;
    mv_domain_device_info info;
} mv_domain_net;

/* ---- serial, parallel, console, channel ---- */

typedef enum { MV_CHR_SERIAL = 0, MV_CHR_PARALLEL, MV_CHR_CONSOLE, MV_CHR_CHANNEL } mv_chr_device;
typedef enum { MV_CHR_TYPE_PTY = 0, MV_CHR_TYPE_NULL, MV_CHR_TYPE_VC, MV_CHR_TYPE_DEV,
               MV_CHR_TYPE_FILE, MV_CHR_TYPE_PIPE, MV_CHR_TYPE_STDIO, MV_CHR_TYPE_UDP,
               MV_CHR_TYPE_TCP, MV_CHR_TYPE_UNIX, MV_CHR_TYPE_SPICEVMC,
               MV_CHR_TYPE_SPICEPORT, MV_CHR_TYPE_QEMU_VDAGENT } mv_chr_type;

/* A character device backend (also used by <redirdev> and <rng>'s egd). */
typedef struct mv_domain_chr_source {
    mv_chr_type type;
    char *path;                 /* pty (live), dev, file, pipe, unix */
    char *mode;                 /* unix, tcp, udp: bind connect */
    char *host, *service;       /* tcp, udp */
    char *protocol;             /* tcp: raw telnet telnets tls */
    char *channel;              /* spiceport: channel= */
    mv_tristate append;         /* file */
    mv_tristate tls;            /* tcp */
    int reconnect_timeout;      /* tcp, unix: <reconnect enabled='yes' timeout='N'/>, -1 absent, 0 disabled */
} mv_domain_chr_source;

typedef struct mv_domain_chr {
    mv_chr_device device;
    mv_domain_chr_source source;
    struct {
        char *type;             /* serial: isa-serial usb-serial pci-serial ...;
                                 * console: serial virtio ...; channel: virtio guestfwd xen */
        int port;               /* -1 = absent */
        char *name;             /* channel: org.qemu.guest_agent.0 */
        char *address;          /* guestfwd */
        char *state;            /* channel: connected disconnected (live) */
        char *model_name;       /* serial <target><model name=.../> */
    } target;
    mv_domain_device_info info;
} mv_domain_chr;

/* ---- input, graphics, video, sound, audio ---- */

typedef enum { MV_INPUT_MOUSE = 0, MV_INPUT_TABLET, MV_INPUT_KEYBOARD, MV_INPUT_PASSTHROUGH,
               MV_INPUT_EVDEV } mv_input_type;
typedef enum { MV_INPUT_BUS_NONE = 0, MV_INPUT_BUS_PS2, MV_INPUT_BUS_USB, MV_INPUT_BUS_XEN,
               MV_INPUT_BUS_VIRTIO } mv_input_bus;

typedef struct mv_domain_input {
    mv_input_type type;
    mv_input_bus bus;           /* NONE if not given */
    char *model;                /* virtio virtio-transitional ... */
    char *source_evdev;         /* passthrough / evdev: <source evdev=.../> */
    mv_domain_device_info info;
} mv_domain_input;

typedef enum { MV_GRAPHICS_SDL = 0, MV_GRAPHICS_VNC, MV_GRAPHICS_RDP, MV_GRAPHICS_DESKTOP,
               MV_GRAPHICS_SPICE, MV_GRAPHICS_EGL_HEADLESS, MV_GRAPHICS_DBUS } mv_graphics_type;
typedef enum { MV_LISTEN_NONE = 0, MV_LISTEN_ADDRESS, MV_LISTEN_NETWORK,
               MV_LISTEN_SOCKET } mv_listen_type;

typedef struct mv_domain_graphics_listen {
    mv_listen_type type;
    char *address;
    char *network;
    char *socket;
} mv_domain_graphics_listen;

typedef struct mv_domain_graphics_channel {
    char *name;                 /* main display inputs cursor playback record smartcard usbredir */
    char *mode;                 /* any secure insecure */
} mv_domain_graphics_channel;

typedef struct mv_domain_graphics {
    mv_graphics_type type;
    int port;                   /* vnc, spice: > 0 the port, -1 to be allocated, 0 none */
    int tls_port;               /* spice tlsPort, same convention */
    int websocket;              /* vnc: > 0 the port, -1 to be allocated, 0 none */
    bool autoport;              /* ports allocated by the daemon (live XML shows them) */
    char *passwd;               /* formatted only with MV_DOMAIN_XML_SECURE */
    char *passwd_valid_to;
    char *connected;            /* keep disconnect fail */
    char *keymap;
    char *share_policy;         /* vnc */
    char *default_mode;         /* spice defaultMode */
    mv_domain_graphics_listen *listens;
    size_t nlisten;
    /* spice children */
    mv_domain_graphics_channel *channels;
    size_t nchannels;
    char *image_compression, *jpeg_compression, *zlib_compression, *playback_compression;
    char *streaming_mode, *mouse_mode;
    mv_tristate clipboard_copypaste, filetransfer_enable;
    mv_tristate gl_enable;      /* spice, egl-headless (rendernode only) */
    char *gl_rendernode;
    /* sdl */
    char *display, *xauth;
    mv_tristate fullscreen;
    mv_domain_device_info info; /* unused: graphics have no address */
} mv_domain_graphics;

typedef struct mv_domain_video {
    char *model;                /* vga cirrus vmvga xen vbox qxl virtio gop bochs ramfb none */
    unsigned vram, ram, vgamem, vram64, heads;  /* KiB / count, 0 = absent */
    bool primary;
    mv_tristate accel3d, accel2d;
    char *driver_name;          /* <driver name='qemu|vhostuser'/> */
    mv_domain_device_info info;
} mv_domain_video;

typedef struct mv_domain_sound {
    char *model;                /* sb16 es1370 pcspk ac97 ich6 ich9 usb ich7 */
    char **codecs;              /* <codec type=.../> duplex micro output */
    size_t ncodecs;
    unsigned audio_id;          /* <audio id='N'/>, 0 = absent */
    mv_domain_device_info info;
} mv_domain_sound;

typedef struct mv_domain_audio {
    unsigned id;                /* >= 1 */
    char *type;                 /* none alsa coreaudio jack oss pulseaudio sdl spice file dbus */
    char *path;                 /* file */
} mv_domain_audio;

/* ---- memballoon, rng, watchdog, tpm ---- */

typedef struct mv_domain_memballoon {
    char *model;                /* virtio virtio-transitional virtio-non-transitional xen none */
    mv_tristate autodeflate, free_page_reporting;
    int stats_period;           /* -1 = absent */
    mv_domain_device_info info;
} mv_domain_memballoon;

typedef struct mv_domain_rng {
    char *model;                /* virtio virtio-transitional virtio-non-transitional */
    char *backend_model;        /* random builtin egd */
    char *backend_path;         /* random: /dev/urandom ... (NULL = hypervisor default) */
    mv_domain_chr_source egd;   /* egd: the <source> (type in backend_type) */
    char *backend_type;         /* egd: <backend model='egd' type='tcp|unix|...'> */
    unsigned rate_bytes, rate_period;   /* 0 = absent */
    mv_domain_device_info info;
} mv_domain_rng;

typedef struct mv_domain_watchdog {
    char *model;                /* i6300esb ib700 diag288 */
    char *action;               /* reset shutdown poweroff pause none dump inject-nmi */
    mv_domain_device_info info;
} mv_domain_watchdog;

typedef struct mv_domain_tpm {
    char *model;                /* tpm-tis tpm-crb tpm-spapr spapr-tpm-proxy; NULL = absent */
    char *backend_type;         /* passthrough emulator external */
    char *backend_version;      /* 1.2 2.0 */
    char *device_path;          /* passthrough: <device path=.../> */
    char *socket_path;          /* external: <source type='unix' mode='connect' path=.../> */
    mv_tristate persistent_state;
    char *encryption_secret;
    char **active_pcr_banks;    /* sha1 sha256 sha384 sha512 */
    size_t nactive_pcr_banks;
    mv_domain_device_info info;
} mv_domain_tpm;

/* ---- filesystem, hostdev, redirdev ---- */

typedef struct mv_domain_fs {
    char *type;                 /* mount (also file block ram bind volume: kept as given) */
    char *accessmode;           /* passthrough mapped squash */
    char *driver_type;          /* path handle loop nbd ploop virtiofs */
    char *driver_format;
    char *driver_wrpolicy;      /* immediate */
    unsigned driver_queue;
    char *binary_path;          /* virtiofs <binary path=.../> */
    char *source;               /* dir= (mount), file= (file/loop), dev= (block), name= (volume) */
    char *source_pool;          /* volume */
    unsigned long long source_usage_kib;  /* ram */
    char *target;               /* mount tag / dir */
    bool readonly;
    char *multidevs;            /* default remap forbid warn */
    mv_domain_device_info info;
} mv_domain_fs;

typedef enum { MV_HOSTDEV_PCI = 0, MV_HOSTDEV_USB, MV_HOSTDEV_SCSI, MV_HOSTDEV_MDEV } mv_hostdev_type;

typedef struct mv_domain_hostdev {
    mv_hostdev_type type;       /* mode is always 'subsystem' */
    mv_tristate managed;
    char *model;                /* mdev: vfio-pci ... */
    char *driver_name;          /* pci: vfio kvm xen */
    struct {
        mv_domain_address pci;          /* pci: <address domain bus slot function/> */
        unsigned usb_vendor, usb_product;   /* usb: 0 = absent */
        bool has_usb_vendor;
        unsigned usb_bus, usb_device;
        bool has_usb_address;
        char *startup_policy;           /* usb */
        char *scsi_adapter;             /* scsi <adapter name=.../> */
        unsigned scsi_bus, scsi_target;
        unsigned long long scsi_unit;
        char *mdev_uuid;                /* mdev <address uuid=.../> */
    } source;
    char *rom_bar, *rom_file;
    bool readonly, shareable;
    mv_domain_device_info info;
} mv_domain_hostdev;

typedef struct mv_domain_redirdev {
    char *bus;                  /* usb */
    mv_domain_chr_source source;    /* spicevmc or tcp */
    mv_domain_device_info info;
} mv_domain_redirdev;

/*
 * An element libvirt knows that modvirt does not model, kept as the
 * document gave it (serialised by libxml2, namespace declarations included)
 * and formatted back at the place libvirt prints elements of its name.
 * A driver must refuse to act on a definition it cannot honour
 * (mv_domain_def_has_opaque()).
 */
typedef struct mv_domain_opaque {
    char *name;                 /* element name (prefix:name for foreign namespaces) */
    char *ns_uri;               /* namespace URI, NULL for libvirt's own */
    char *xml;                  /* the element, without indentation of its first line */
} mv_domain_opaque;

/* ---- top level ---- */

typedef enum { MV_CPU_MODE_CUSTOM = 0, MV_CPU_MODE_HOST_MODEL, MV_CPU_MODE_HOST_PASSTHROUGH,
               MV_CPU_MODE_MAXIMUM } mv_cpu_mode;

typedef struct mv_domain_cpu_feature {
    char *policy;               /* force require optional disable forbid */
    char *name;
} mv_domain_cpu_feature;

typedef struct mv_domain_numa_cell {
    int id;                     /* -1 = absent */
    char *cpus;                 /* canonical cpuset, may be NULL */
    unsigned long long memory_kib;
    char *mem_access;           /* shared private */
    mv_tristate discard;
} mv_domain_numa_cell;

typedef struct mv_domain_cpu {
    bool present;               /* a <cpu> element was given */
    mv_cpu_mode mode;
    char *match;                /* minimum exact strict (custom) */
    char *check;                /* none partial full */
    mv_tristate migratable;
    char *model;
    char *model_fallback;       /* allow forbid */
    char *model_vendor_id;
    char *vendor;
    bool has_topology;
    unsigned sockets, dies, clusters, cores, threads;   /* clusters 0 = absent */
    char *cache_mode;           /* <cache mode=.../> emulate passthrough disable */
    int cache_level;            /* -1 = absent */
    mv_domain_cpu_feature *features;
    size_t nfeatures;
    mv_domain_numa_cell *cells;
    size_t ncells;
} mv_domain_cpu;

typedef struct mv_domain_fw_feature {
    char *name;                 /* enrolled-keys secure-boot */
    bool enabled;
} mv_domain_fw_feature;

typedef struct mv_domain_os {
    char *type;                 /* hvm (also xen linux exe) */
    char *arch;                 /* x86_64 aarch64 ..., NULL if not given */
    char *machine;              /* pc q35 pc-i440fx-7.2 ..., NULL if not given */
    char *firmware;             /* <os firmware='efi|bios'> */
    mv_domain_fw_feature *fw_features;  /* <firmware><feature/>... */
    size_t nfw_features;
    struct {
        bool present;
        char *path;
        mv_tristate readonly, secure, stateless;
        char *type;             /* rom pflash */
        char *format;           /* reserved: libvirt 9.0 has no format= */
    } loader;
    struct {
        bool present;
        char *path;
        char *template;
        char *format;           /* reserved */
    } nvram;
    char **boot_devs;           /* fd hd cdrom network, in order; "hd" if an hvm guest
                                 * gives neither these nor device boot orders */
    size_t nboot_devs;
    mv_tristate bootmenu;
    int bootmenu_timeout;       /* ms, -1 = absent */
    mv_tristate bios_useserial;
    int bios_reboot_timeout;    /* ms, -2 = absent (-1 is valid) */
    char *kernel, *initrd, *cmdline, *dtb;
    char *init;                 /* exe */
    char **init_args;
    size_t ninit_args;
    char *smbios_mode;          /* emulate host sysinfo */
} mv_domain_os;

/* <features>: each present feature; the state of those with a state=. */
typedef enum {
    MV_FEATURE_ACPI = 0, MV_FEATURE_APIC, MV_FEATURE_PAE, MV_FEATURE_HAP, MV_FEATURE_VIRIDIAN,
    MV_FEATURE_PRIVNET, MV_FEATURE_HYPERV, MV_FEATURE_KVM, MV_FEATURE_PVSPINLOCK,
    MV_FEATURE_PMU, MV_FEATURE_VMPORT, MV_FEATURE_GIC, MV_FEATURE_SMM, MV_FEATURE_IOAPIC,
    MV_FEATURE_HPT, MV_FEATURE_VMCOREINFO, MV_FEATURE_HTM, MV_FEATURE_NESTED_HV,
    MV_FEATURE_CCF_ASSIST, MV_FEATURE_CFPC, MV_FEATURE_SBBC, MV_FEATURE_IBS,
    MV_FEATURE_LAST
} mv_feature;

typedef enum {
    MV_HYPERV_RELAXED = 0, MV_HYPERV_VAPIC, MV_HYPERV_SPINLOCKS, MV_HYPERV_VPINDEX,
    MV_HYPERV_RUNTIME, MV_HYPERV_SYNIC, MV_HYPERV_STIMER, MV_HYPERV_RESET,
    MV_HYPERV_VENDOR_ID, MV_HYPERV_FREQUENCIES, MV_HYPERV_REENLIGHTENMENT,
    MV_HYPERV_TLBFLUSH, MV_HYPERV_IPI, MV_HYPERV_EVMCS, MV_HYPERV_AVIC,
    MV_HYPERV_LAST
} mv_hyperv_feature;

typedef enum {
    MV_KVM_HIDDEN = 0, MV_KVM_HINT_DEDICATED, MV_KVM_POLL_CONTROL, MV_KVM_PV_IPI,
    MV_KVM_DIRTY_RING,
    MV_KVM_LAST
} mv_kvm_feature;

typedef struct mv_domain_features {
    mv_tristate state[MV_FEATURE_LAST];     /* YES: present (or state='on'), NO: state='off' */
    mv_tristate apic_eoi;
    mv_tristate smm_tseg_present;
    unsigned long long smm_tseg_mib;
    char *gic_version;
    char *ioapic_driver;        /* kvm qemu */
    char *hpt_resizing;
    char *hyperv_mode;          /* custom passthrough; NULL = absent */
    mv_tristate hyperv[MV_HYPERV_LAST];
    unsigned hyperv_spinlocks_retries;      /* 0 = absent */
    mv_tristate hyperv_stimer_direct;
    char *hyperv_vendor_id;
    mv_tristate kvm[MV_KVM_LAST];
    unsigned kvm_dirty_ring_size;           /* 0 = absent */
} mv_domain_features;

typedef struct mv_domain_timer {
    char *name;                 /* platform pit rtc hpet tsc kvmclock hypervclock armvtimer */
    mv_tristate present;
    char *tickpolicy;           /* delay catchup merge discard */
    char *track;                /* boot guest wall realtime */
    char *mode;                 /* tsc: auto native emulate paravirt smpsafe */
    unsigned long long frequency;   /* 0 = absent */
} mv_domain_timer;

typedef struct mv_domain_clock {
    char *offset;               /* utc localtime timezone variable absolute; NULL = utc */
    char *timezone;             /* offset='timezone' */
    long long adjustment;       /* offset='variable'/'utc'/'localtime' adjustment= */
    bool has_adjustment;
    bool adjustment_reset;      /* utc/localtime adjustment='reset' */
    char *basis;                /* variable: utc localtime */
    unsigned long long start;   /* absolute */
    mv_domain_timer *timers;
    size_t ntimers;
} mv_domain_clock;

typedef struct mv_domain_def {
    char *virt_type;            /* <domain type=...>: qemu kvm ... */
    char *name;
    unsigned char uuid[MV_DOMAIN_UUID_LEN];
    char *title;
    char *description;
    char *metadata;             /* the children of <metadata> as printed inside it (each
                                 * element with its namespace declared, indented for
                                 * its place); "" for <metadata/>, NULL for none */

    unsigned long long memory_kib;          /* <memory> */
    unsigned long long current_memory_kib;  /* <currentMemory>, = memory if absent */
    unsigned long long max_memory_kib;      /* <maxMemory>, 0 = absent */
    unsigned max_memory_slots;

    unsigned vcpus;             /* <vcpu>N</vcpu>, 1 if absent */
    unsigned vcpus_current;     /* current=, = vcpus if absent */
    char *vcpu_placement;       /* static auto; NULL = static */
    char *vcpu_cpuset;          /* canonical form ("0-3,6"), NULL = none */

    mv_domain_os os;
    mv_domain_features features;
    mv_domain_cpu cpu;
    mv_domain_clock clock;
    char *on_poweroff, *on_reboot, *on_crash;   /* NULL = destroy restart destroy */
    mv_tristate pm_suspend_to_mem, pm_suspend_to_disk;

    char *emulator;

    mv_domain_disk **disks;             size_t ndisks;
    mv_domain_controller **controllers; size_t ncontrollers;
    mv_domain_fs **filesystems;         size_t nfilesystems;
    mv_domain_net **nets;               size_t nnets;
    mv_domain_chr **serials;            size_t nserials;
    mv_domain_chr **parallels;          size_t nparallels;
    mv_domain_chr **consoles;           size_t nconsoles;
    mv_domain_chr **channels;           size_t nchannels;
    mv_domain_input **inputs;           size_t ninputs;
    mv_domain_tpm **tpms;               size_t ntpms;
    mv_domain_graphics **graphics;      size_t ngraphics;
    mv_domain_sound **sounds;           size_t nsounds;
    mv_domain_audio **audios;           size_t naudios;
    mv_domain_video **videos;           size_t nvideos;
    mv_domain_hostdev **hostdevs;       size_t nhostdevs;
    mv_domain_redirdev **redirdevs;     size_t nredirdevs;
    mv_domain_watchdog **watchdogs;     size_t nwatchdogs;  /* at most 1 (libvirt 9.0) */
    mv_domain_memballoon *memballoon;   /* NULL = none given */
    mv_domain_rng **rngs;               size_t nrngs;

    /* Kept verbatim: unmodelled elements of <domain> and of <devices>. */
    mv_domain_opaque *opaque;           size_t nopaque;
    mv_domain_opaque *opaque_devices;   size_t nopaque_devices;
} mv_domain_def;

/* ---- the API ---- */

/* Parse a <domain> document.  Generates a UUID (random, version 4) and
 * MAC addresses (52:54:00:xx:xx:xx) where absent, fills the generic
 * defaults listed at the top, validates.  Errors are recorded with
 * libvirt's codes and messages (VIR_ERR_XML_ERROR for malformed XML and
 * missing or bad values, VIR_ERR_CONFIG_UNSUPPORTED, ...). */
int mv_domain_def_parse(const char *xml, unsigned flags, mv_domain_def **ret);

/* Format as libvirt does (two-space indentation, libvirt's element and
 * attribute order, memory in KiB).  id >= 0 gives <domain type=... id='N'>
 * (a running domain), -1 none.  MV_DOMAIN_XML_SECURE adds graphics
 * passwords; MV_DOMAIN_XML_INACTIVE drops live data (aliases not "ua-*",
 * autoport ports). */
int mv_domain_def_format(const mv_domain_def *def, unsigned flags, int id, char **ret_xml);

void mv_domain_def_free(mv_domain_def *def);
int mv_domain_def_copy(const mv_domain_def *def, mv_domain_def **ret);

/* virDomainSetMetadata / virDomainGetMetadata types */
enum {
    MV_DOMAIN_METADATA_DESCRIPTION = 0,
    MV_DOMAIN_METADATA_TITLE = 1,
    MV_DOMAIN_METADATA_ELEMENT = 2,
};

/* Set (value != NULL) or remove (value == NULL or "") the description,
 * the title, or the <metadata> element in namespace uri; for an element
 * value is an XML fragment with one root element, given the namespace
 * uri with prefix key. */
int mv_domain_def_set_metadata(mv_domain_def *def, int type, const char *value,
                               const char *key, const char *uri);

/* -ENOENT with VIR_ERR_NO_DOMAIN_METADATA when absent.  An element comes
 * back with its namespace as default namespace (no prefix). */
int mv_domain_def_get_metadata(const mv_domain_def *def, int type, const char *uri, char **ret);

/* Whether def holds verbatim elements a driver may not know how to honour. */
bool mv_domain_def_has_opaque(const mv_domain_def *def);

/* ---- single devices (attach, detach, update) ---- */

typedef enum {
    MV_DEVICE_DISK = 0, MV_DEVICE_CONTROLLER, MV_DEVICE_FS, MV_DEVICE_NET, MV_DEVICE_CHR,
    MV_DEVICE_INPUT, MV_DEVICE_TPM, MV_DEVICE_GRAPHICS, MV_DEVICE_SOUND, MV_DEVICE_AUDIO,
    MV_DEVICE_VIDEO, MV_DEVICE_HOSTDEV, MV_DEVICE_REDIRDEV, MV_DEVICE_WATCHDOG,
    MV_DEVICE_MEMBALLOON, MV_DEVICE_RNG,
} mv_domain_device_type;

typedef struct mv_domain_device {
    mv_domain_device_type type;
    union {
        mv_domain_disk *disk;
        mv_domain_controller *controller;
        mv_domain_fs *fs;
        mv_domain_net *net;
        mv_domain_chr *chr;     /* chr->device says serial/console/... */
        mv_domain_input *input;
        mv_domain_tpm *tpm;
        mv_domain_graphics *graphics;
        mv_domain_sound *sound;
        mv_domain_audio *audio;
        mv_domain_video *video;
        mv_domain_hostdev *hostdev;
        mv_domain_redirdev *redirdev;
        mv_domain_watchdog *watchdog;
        mv_domain_memballoon *memballoon;
        mv_domain_rng *rng;
    };
} mv_domain_device;

/* Parse one device element (<disk>, <interface>, ...) for def (used for
 * defaults such as a fresh MAC that def does not use yet; may be NULL).
 * Devices kept verbatim in a whole document (<panic>, ...) cannot be
 * parsed alone: VIR_ERR_CONFIG_UNSUPPORTED. */
int mv_domain_device_parse(const mv_domain_def *def, const char *xml, unsigned flags,
                           mv_domain_device **ret);

/* Format one device as it would appear inside <devices> (no indentation
 * of its own), e.g. for the device-added/removed bookkeeping. */
int mv_domain_device_format(const mv_domain_device *dev, unsigned flags, char **ret_xml);

/* Add dev to def where libvirt would put it; takes ownership of dev's
 * object on success (the caller then frees the empty shell with
 * mv_domain_device_free, which is safe).  A disk whose target is in use:
 * VIR_ERR_OPERATION_INVALID "target vdb already exists"; likewise a
 * controller's index, a second memballoon or watchdog, a boot order in use
 * or one next to <os><boot dev=/>. */
int mv_domain_def_attach_device(mv_domain_def *def, mv_domain_device *dev);

/* Remove the device of def that dev names (disk by target, interface by
 * MAC, controller by type and index, the memballoon, others by equality of
 * their definition apart from alias and address); -ENOENT with
 * VIR_ERR_DEVICE_MISSING and libvirt's message for that kind when none
 * does, VIR_ERR_OPERATION_FAILED when a MAC matches several interfaces. */
int mv_domain_def_detach_device(mv_domain_def *def, const mv_domain_device *dev);

/* Change a device in place, as a live update allows: a cdrom/floppy's
 * media (source, its type and format, tray), a graphics password, its
 * expiry and 'connected' (found by graphics type), an interface's link
 * state (found by MAC); any other difference: -EOPNOTSUPP with
 * VIR_ERR_OPERATION_UNSUPPORTED; no such device: -ENOENT with
 * VIR_ERR_DEVICE_MISSING. */
int mv_domain_def_update_device(mv_domain_def *def, const mv_domain_device *dev);

void mv_domain_device_free(mv_domain_device *dev);

/* ---- helpers for drivers ---- */

/* The disk of def with target dev, or NULL. */
mv_domain_disk *mv_domain_def_find_disk(const mv_domain_def *def, const char *dev);

/* The controller of def of type with index, or NULL. */
mv_domain_controller *mv_domain_def_find_controller(const mv_domain_def *def,
                                                    mv_controller_type type, int index);

/* A fresh MAC address 52:54:00:xx:xx:xx not used by def. */
void mv_domain_def_generate_mac(const mv_domain_def *def, unsigned char mac[MV_DOMAIN_MAC_LEN]);

/* Names of enum values as the XML spells them (never NULL for valid values). */
const char *mv_disk_type_str(mv_disk_type v);
const char *mv_disk_device_str(mv_disk_device v);
const char *mv_disk_bus_str(mv_disk_bus v);
const char *mv_controller_type_str(mv_controller_type v);
const char *mv_net_type_str(mv_net_type v);
const char *mv_chr_device_str(mv_chr_device v);
const char *mv_chr_type_str(mv_chr_type v);
const char *mv_input_type_str(mv_input_type v);
const char *mv_input_bus_str(mv_input_bus v);
const char *mv_graphics_type_str(mv_graphics_type v);
const char *mv_hostdev_type_str(mv_hostdev_type v);
const char *mv_cpu_mode_str(mv_cpu_mode v);
const char *mv_feature_str(mv_feature v);
const char *mv_hyperv_feature_str(mv_hyperv_feature v);

#endif
