/*
 * The host's SMBIOS data as a <sysinfo type='smbios'> document
 * (virConnectGetSysinfo, `virsh sysinfo`), read from the kernel's copy of
 * the DMI tables in /sys/class/dmi/id (under mv_hostinfo_set_root()).
 */
#ifndef MV_SYSINFO_CONF_H
#define MV_SYSINFO_CONF_H

/*
 * The document: <bios>, <system>, <baseBoard> and <chassis> sections with
 * the entries the kernel exposes, each section only if it has one.  Hosts
 * without DMI (most non-x86 machines, some VMs) get -ENOTSUP with the error
 * libvirtd's QEMU driver reports there: "unsupported configuration: Host
 * SMBIOS information is not available" (VIR_ERR_CONFIG_UNSUPPORTED,
 * VIR_FROM_QEMU).
 */
int mv_sysinfo_format_host(char **ret_xml);

#endif
