#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/xml_escape.h"
#include "conf/sysinfo_conf.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/hostinfo.h"

#define DMI_DIR "/sys/class/dmi/id"

/* Which sysfs file holds each entry, in the order libvirt prints them.
 * Board location and chassis SKU are in the DMI tables but the kernel
 * does not export them. */
static const struct dmi_entry {
    const char *section;
    const char *name;
    const char *file;
} dmi_entries[] = {
    { "bios", "vendor", "bios_vendor" },
    { "bios", "version", "bios_version" },
    { "bios", "date", "bios_date" },
    { "bios", "release", "bios_release" },
    { "system", "manufacturer", "sys_vendor" },
    { "system", "product", "product_name" },
    { "system", "version", "product_version" },
    { "system", "serial", "product_serial" },   /* readable by root only */
    { "system", "uuid", "product_uuid" },       /* likewise */
    { "system", "sku", "product_sku" },
    { "system", "family", "product_family" },
    { "baseBoard", "manufacturer", "board_vendor" },
    { "baseBoard", "product", "board_name" },
    { "baseBoard", "version", "board_version" },
    { "baseBoard", "serial", "board_serial" },
    { "baseBoard", "asset", "board_asset_tag" },
    { "chassis", "manufacturer", "chassis_vendor" },
    { "chassis", "version", "chassis_version" },
    { "chassis", "serial", "chassis_serial" },
    { "chassis", "asset", "chassis_asset_tag" },
};

static int not_available(void)
{
    return mv_error_report(-ENOTSUP, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                           "Host SMBIOS information is not available");
}

int mv_sysinfo_format_host(char **ret_xml)
{
    _cleanup_free_ char *dir = mv_hostinfo_path(DMI_DIR);
    const char *open_section = NULL;
    char *buf = NULL;
    size_t size = 0, nentries = 0;
    struct stat st;
    FILE *f;

    if (!dir)
        return -ENOMEM;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return not_available();
    f = open_memstream(&buf, &size);
    if (!f)
        return -ENOMEM;
    fputs("<sysinfo type='smbios'>\n", f);
    for (size_t i = 0; i < ELEMENTSOF(dmi_entries); i++) {
        const struct dmi_entry *e = &dmi_entries[i];
        _cleanup_free_ char *value = NULL;

        /* Missing, unreadable (serials as non-root) and empty entries are
         * left out, as dmidecode would not show them either. */
        if (mv_host_read(&value, DMI_DIR "/%s", e->file) < 0 || !value[0])
            continue;
        if (!open_section || strcmp(open_section, e->section) != 0) {
            if (open_section)
                fprintf(f, "  </%s>\n", open_section);
            fprintf(f, "  <%s>\n", e->section);
            open_section = e->section;
        }
        /* dmidecode, which libvirtd reads, prints the UUID upper-case. */
        if (strcmp(e->file, "product_uuid") == 0)
            for (char *p = value; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        fprintf(f, "    <entry name='%s'>", e->name);
        mv_xml_put_escaped(f, value);
        fputs("</entry>\n", f);
        nentries++;
    }
    if (open_section)
        fprintf(f, "  </%s>\n", open_section);
    fputs("</sysinfo>\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    if (nentries == 0) {
        free(buf);
        return not_available();
    }
    *ret_xml = buf;
    return 0;
}
