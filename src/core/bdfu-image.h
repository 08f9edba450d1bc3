/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "core/bdfu-init-packet.h"

G_BEGIN_DECLS

/* Firmware image facts (PROTOCOL.md §8.3, §8.4): SoftDevice info struct, FWID table, vector
 * tables. Pure functions over bytes. */

#define BDFU_SD_INFO_MAGIC 0x51B1E5DBu
/* offsets inside a SoftDevice image that starts at flash 0x1000 (MBR stripped) */
#define BDFU_SD_INFO_OFFSET 0x2000u

typedef struct {
	guint16 fwid;
	const gchar *name;	/* "S132 5.0.0" */
	const gchar *soc;	/* "nRF52832", "nRF52840", "nRF51", "nRF52810" ... */
	guint32 app_start;	/* 0 if unknown */
	guint32 sd_id;		/* 132, 140, ... */
} BdfuSoftDeviceInfo;

/* the FWID table; NULL when the FWID is not a known SoftDevice */
const BdfuSoftDeviceInfo *
bdfu_softdevice_lookup(guint16 fwid);
/* "0x9D S132 5.0.0", "0xFFFE any (debug)", "0xCAFE (not a SoftDevice: Nordic debug images)",
 * "0x00 no SoftDevice"; always a new string */
gchar *
bdfu_softdevice_describe(guint32 fwid);

/* what the SoftDevice info struct inside an image says */
typedef struct {
	gsize offset;	     /* where the struct starts in the image (0x2000 for an SD at 0x1000) */
	guint32 sd_end;	     /* = app start for this SoftDevice, before page rounding */
	guint16 fwid;
	guint32 sd_id;
	guint32 version;     /* M*1000000 + m*1000 + b */
} BdfuSdInfoStruct;

/* looks for the info struct (magic at +4) at the offsets a SoftDevice may have in an image
 * built from 0x1000 (0x2000) or from 0x0 (0x3000) */
gboolean
bdfu_image_find_sd_info(const guint8 *image, gsize len, BdfuSdInfoStruct *info);

typedef struct {
	guint32 initial_sp;
	guint32 reset_vector;
} BdfuVectorTable;

gboolean
bdfu_image_read_vectors(const guint8 *image, gsize len, BdfuVectorTable *vectors);
/* RAM 0x20000000..0x20040000, word aligned */
gboolean
bdfu_vectors_sp_is_sane(const BdfuVectorTable *vectors);

typedef enum {
	BDFU_SEVERITY_INFO,
	BDFU_SEVERITY_WARNING, /* will probably work, but look */
	BDFU_SEVERITY_ERROR,   /* will not boot or will be rejected */
} BdfuSeverity;

typedef struct {
	gchar *id;	/* stable kebab-case id: "app-contains-softdevice" */
	BdfuSeverity severity;
	gchar *message; /* what is wrong, with the numbers */
	gchar *fix;	/* one line: what to do */
} BdfuFinding;

BdfuFinding *
bdfu_finding_new(const gchar *id, BdfuSeverity severity, const gchar *message, const gchar *fix);
void
bdfu_finding_free(BdfuFinding *finding);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuFinding, bdfu_finding_free)
const gchar *
bdfu_severity_to_string(BdfuSeverity severity);

/* Checks one image against its init packet and appends BdfuFinding* to `findings`.
 * Stable finding ids:
 *  "app-contains-softdevice"  application image carries a SoftDevice (merged hex)
 *  "app-contains-mbr"	       application image starts with an MBR (hex converted from 0x0)
 *  "app-is-bootloader"	       a bootloader image packaged as application
 *  "app-linked-for-other-sd"  reset vector outside [app_start, app_start+size) for sd_req
 *  "app-bad-vector-table"     initial SP not in RAM or reset vector not Thumb
 *  "unknown-sd-req"	       no sd_req entry is a known SoftDevice
 *  "debug-package"	       is_debug set: only debug bootloaders accept it
 *  "softdevice-missing-info"  SoftDevice image without the info struct magic
 *  "hash-mismatch", "hash-big-endian", "size-mismatch" (init sizes vs .bin length)
 */
void
bdfu_image_check(const BdfuInitPacket *init,
		 const guint8 *image,
		 gsize len,
		 GPtrArray *findings);

/* Would the chip run this application if it sat at app_start of the installed SoftDevice?
 * Used by the bootloader model at reset. Returns TRUE when the vector table is sane and the
 * reset vector lands inside the image; else FALSE with a reason ("the image starts with a
 * SoftDevice: reset vector 0x00021D11 jumps into the resident SoftDevice") */
gboolean
bdfu_image_app_would_run(const guint8 *image, gsize len, guint32 app_start, gchar **reason);

G_END_DECLS
