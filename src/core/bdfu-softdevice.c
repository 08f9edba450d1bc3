/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/bdfu-image.h"

/* FWIDs from PROTOCOL.md §8.3. App starts: read from the SoftDevice binaries where the table
 * says so; the other minor versions of a major line have the same SoftDevice size. S132 2.0.x
 * (0x1C000) is read from the S132 2.0.0 binaries among the fixtures. The S140 alpha's own info
 * struct says SD_ID 132, so that is what it is listed with. */
static const BdfuSoftDeviceInfo bdfu_softdevices[] = {
    {0x67, "S130 1.0.0", "nRF51", 0, 130},
    {0x80, "S130 2.0.0", "nRF51", 0x1B000, 130},
    {0x87, "S130 2.0.1", "nRF51", 0x1B000, 130},
    {0x81, "S132 2.0.0", "nRF52832", 0x1C000, 132},
    {0x88, "S132 2.0.1", "nRF52832", 0x1C000, 132},
    {0x8C, "S132 3.0.0", "nRF52832", 0x1F000, 132},
    {0x91, "S132 3.1.0", "nRF52832", 0x1F000, 132},
    {0x95, "S132 4.0.0", "nRF52832", 0x1F000, 132},
    {0x98, "S132 4.0.2", "nRF52832", 0x1F000, 132},
    {0x99, "S132 4.0.3", "nRF52832", 0x1F000, 132},
    {0x9E, "S132 4.0.4", "nRF52832", 0x1F000, 132},
    {0x9F, "S132 4.0.5", "nRF52832", 0x1F000, 132},
    {0x9D, "S132 5.0.0", "nRF52832", 0x23000, 132},
    {0xA5, "S132 5.1.0", "nRF52832", 0x23000, 132},
    {0xA8, "S132 6.0.0", "nRF52832", 0x26000, 132},
    {0xAF, "S132 6.1.0", "nRF52832", 0x26000, 132},
    {0xB7, "S132 6.1.1", "nRF52832", 0x26000, 132},
    {0xC2, "S132 7.0.0", "nRF52832", 0x26000, 132},
    {0xCB, "S132 7.0.1", "nRF52832", 0x26000, 132},
    {0x101, "S132 7.2.0", "nRF52832", 0x26000, 132},
    {0x124, "S132 7.3.0", "nRF52832", 0x26000, 132},
    {0x96, "S140 5.0.0-2.alpha", "nRF52840", 0x22000, 132},
    {0xA9, "S140 6.0.0", "nRF52840", 0x26000, 140},
    {0xAE, "S140 6.1.0", "nRF52840", 0x26000, 140},
    {0xB6, "S140 6.1.1", "nRF52840", 0x26000, 140},
    {0xC1, "S140 7.0.0", "nRF52840", 0x27000, 140},
    {0xCA, "S140 7.0.1", "nRF52840", 0x27000, 140},
    {0x100, "S140 7.2.0", "nRF52840", 0x27000, 140},
    {0x123, "S140 7.3.0", "nRF52840", 0x27000, 140},
    {0xA6, "S112 5.1.0", "nRF52810", 0x18000, 112},
    {0xA7, "S112 6.0.0", "nRF52810", 0x19000, 112},
    {0xB0, "S112 6.1.0", "nRF52810", 0x19000, 112},
    {0xB8, "S112 6.1.1", "nRF52810", 0x19000, 112},
    {0xC4, "S112 7.0.0", "nRF52810", 0x19000, 112},
    {0xCD, "S112 7.0.1", "nRF52810", 0x19000, 112},
    {0x103, "S112 7.2.0", "nRF52810", 0x19000, 112},
    {0x126, "S112 7.3.0", "nRF52810", 0x19000, 112},
    {0xC3, "S113 7.0.0", "nRF52", 0x1C000, 113},
    {0xCC, "S113 7.0.1", "nRF52", 0x1C000, 113},
    {0x102, "S113 7.2.0", "nRF52", 0x1C000, 113},
    {0x125, "S113 7.3.0", "nRF52", 0x1C000, 113},
    {0xEA, "S122 8.0.0", "nRF52", 0, 122},
    {0x112, "S122 8.1.1", "nRF52", 0, 122},
    {0x8D, "S212 2.0.1", "nRF52832", 0, 212},
    {0x93, "S212 4.0.5", "nRF52832", 0, 212},
    {0x9C, "S212 5.0.0", "nRF52832", 0, 212},
    {0xBC, "S212 6.1.1", "nRF52832", 0, 212},
    {0x8E, "S332 2.0.1", "nRF52832", 0, 332},
    {0x94, "S332 4.0.5", "nRF52832", 0, 332},
    {0x9B, "S332 5.0.0", "nRF52832", 0, 332},
    {0xBA, "S332 6.1.1", "nRF52832", 0, 332},
    {0xB9, "S340 6.1.1", "nRF52840", 0, 340},
};

const BdfuSoftDeviceInfo *
bdfu_softdevice_lookup(guint16 fwid)
{
	for (gsize i = 0; i < G_N_ELEMENTS(bdfu_softdevices); i++) {
		if (bdfu_softdevices[i].fwid == fwid)
			return &bdfu_softdevices[i];
	}
	return NULL;
}

gchar *
bdfu_softdevice_describe(guint32 fwid)
{
	const BdfuSoftDeviceInfo *info = NULL;

	switch (fwid) {
	case 0x00:
		return g_strdup("0x00 no SoftDevice (MBR-only device or app replaces SD)");
	case BDFU_SD_REQ_ANY:
		return g_strdup("0xFFFE any SoftDevice (debug packages only)");
	case 0xCAFE:
		return g_strdup("0xCAFE not a SoftDevice ID (Nordic debug test images)");
	default:
		break;
	}
	if (fwid <= G_MAXUINT16)
		info = bdfu_softdevice_lookup((guint16)fwid);
	if (info == NULL)
		return g_strdup_printf("0x%02X unknown SoftDevice", fwid);
	return g_strdup_printf("0x%02X %s", fwid, info->name);
}
