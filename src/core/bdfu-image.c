/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/bdfu-image.h"

#include <stdarg.h>

#define BDFU_MBR_SIZE 0x1000u
#define BDFU_PAGE_SIZE 0x1000u
#define BDFU_RAM_START 0x20000000u
#define BDFU_RAM_END 0x20040000u
/* bootloaders of the 512 KiB and 1 MiB parts sit at 0x78000 and 0xF8000 (§8.3) */
#define BDFU_BOOTLOADER_AREA 0x70000u
#define BDFU_FLASH_MAX 0x100000u
/* where the info struct sits in flash: SoftDevice at 0x1000 + 0x2000 */
#define BDFU_SD_INFO_FLASH 0x3000u
#define BDFU_SD_FWID_NONE 0x00u
#define BDFU_SD_FWID_CAFE 0xCAFEu

/* who puts applications where; every app_start of the FWID table must be here (tested) */
static const struct {
	guint32 app_start;
	const gchar *label;
} bdfu_app_starts[] = {
    {0x1000, "no SoftDevice, MBR only"},
    {0x18000, "S112 5.1.0"},
    {0x19000, "S112 6.x/7.x"},
    {0x1B000, "S130 2.0.x"},
    {0x1C000, "S132 2.0.x or S113 7.x"},
    {0x1F000, "S132 3.x/4.x"},
    {0x22000, "S140 5.0.0-2.alpha"},
    {0x23000, "S132 5.x"},
    {0x26000, "S132 6.x/7.x or S140 6.x"},
    {0x27000, "S140 7.x"},
};

static guint32
bdfu_read_u32_le(const guint8 *p)
{
	return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

static guint16
bdfu_read_u16_le(const guint8 *p)
{
	return (guint16)(p[0] | (p[1] << 8));
}

BdfuFinding *
bdfu_finding_new(const gchar *id, BdfuSeverity severity, const gchar *message, const gchar *fix)
{
	BdfuFinding *finding;
	g_return_val_if_fail(id != NULL, NULL);
	finding = g_new0(BdfuFinding, 1);
	finding->id = g_strdup(id);
	finding->severity = severity;
	finding->message = g_strdup(message);
	finding->fix = g_strdup(fix);
	return finding;
}

void
bdfu_finding_free(BdfuFinding *finding)
{
	if (finding == NULL)
		return;
	g_free(finding->id);
	g_free(finding->message);
	g_free(finding->fix);
	g_free(finding);
}

const gchar *
bdfu_severity_to_string(BdfuSeverity severity)
{
	switch (severity) {
	case BDFU_SEVERITY_INFO:
		return "info";
	case BDFU_SEVERITY_WARNING:
		return "warning";
	case BDFU_SEVERITY_ERROR:
		return "error";
	default:
		return "unknown";
	}
}

gboolean
bdfu_image_find_sd_info(const guint8 *image, gsize len, BdfuSdInfoStruct *info)
{
	static const gsize offsets[] = {BDFU_SD_INFO_OFFSET, BDFU_SD_INFO_OFFSET + BDFU_MBR_SIZE};

	g_return_val_if_fail(image != NULL || len == 0, FALSE);
	for (gsize i = 0; i < G_N_ELEMENTS(offsets); i++) {
		gsize off = offsets[i];
		BdfuSdInfoStruct found = {.offset = off};
		const guint8 *p;
		guint8 size;

		/* magic, SD end and FWID must all be inside the image */
		if (len < off + 0x10)
			continue;
		p = image + off;
		if (bdfu_read_u32_le(p + 4) != BDFU_SD_INFO_MAGIC)
			continue;
		found.sd_end = bdfu_read_u32_le(p + 8);
		/* an end before the struct itself or beyond flash is not a SoftDevice */
		if (found.sd_end <= BDFU_SD_INFO_FLASH || found.sd_end > BDFU_FLASH_MAX)
			continue;
		found.fwid = bdfu_read_u16_le(p + 0xC);
		/* old SoftDevices (info size 0x10) have no SD_ID and version */
		size = p[0];
		if (size >= 0x14 && len >= off + 0x14)
			found.sd_id = bdfu_read_u32_le(p + 0x10);
		if (size >= 0x18 && len >= off + 0x18)
			found.version = bdfu_read_u32_le(p + 0x14);
		if (info != NULL)
			*info = found;
		return TRUE;
	}
	return FALSE;
}

gboolean
bdfu_image_read_vectors(const guint8 *image, gsize len, BdfuVectorTable *vectors)
{
	g_return_val_if_fail(image != NULL || len == 0, FALSE);
	g_return_val_if_fail(vectors != NULL, FALSE);
	if (len < 8)
		return FALSE;
	vectors->initial_sp = bdfu_read_u32_le(image);
	vectors->reset_vector = bdfu_read_u32_le(image + 4);
	return TRUE;
}

gboolean
bdfu_vectors_sp_is_sane(const BdfuVectorTable *vectors)
{
	g_return_val_if_fail(vectors != NULL, FALSE);
	/* the stack grows down, so the very end of RAM is the usual value */
	return vectors->initial_sp >= BDFU_RAM_START && vectors->initial_sp <= BDFU_RAM_END &&
	       (vectors->initial_sp & 3u) == 0;
}

static gboolean
bdfu_vectors_reset_is_thumb(const BdfuVectorTable *vectors)
{
	return (vectors->reset_vector & 1u) != 0;
}

static gboolean
bdfu_address_in_image(guint32 address, guint32 start, gsize len)
{
	return address >= start && (guint64)address < (guint64)start + len;
}

/* "S132 5.0.0" from the FWID table, else from the struct itself; always a new string */
static gchar *
bdfu_sd_info_name(const BdfuSdInfoStruct *sd)
{
	const BdfuSoftDeviceInfo *known = bdfu_softdevice_lookup(sd->fwid);
	if (known != NULL)
		return g_strdup(known->name);
	if (sd->sd_id != 0 && sd->version != 0)
		return g_strdup_printf("S%u %u.%u.%u",
				       sd->sd_id,
				       sd->version / 1000000,
				       (sd->version / 1000) % 1000,
				       sd->version % 1000);
	return g_strdup("of unknown version");
}

/* bytes of SoftDevice data in the image: up to the last non-0xFF byte before its end */
static gsize
bdfu_sd_data_size(const guint8 *image, gsize len, const BdfuSdInfoStruct *sd)
{
	/* image flash base: 0x1000 when the struct is at 0x2000, 0x0 when at 0x3000 */
	guint32 base = BDFU_SD_INFO_FLASH - (guint32)sd->offset;
	gsize start = BDFU_MBR_SIZE - base;
	gsize end = MIN((gsize)(sd->sd_end - base), len);
	while (end > start && image[end - 1] == 0xFF)
		end--;
	return (end - start + 3u) & ~(gsize)3u;
}

static void
bdfu_findings_add(GPtrArray *findings,
		  const gchar *id,
		  BdfuSeverity severity,
		  const gchar *fix,
		  const gchar *format,
		  ...) G_GNUC_PRINTF(5, 6);

static void
bdfu_findings_add(GPtrArray *findings,
		  const gchar *id,
		  BdfuSeverity severity,
		  const gchar *fix,
		  const gchar *format,
		  ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_ptr_array_add(findings, bdfu_finding_new(id, severity, message, fix));
}

static void
bdfu_image_add_contains_softdevice(const guint8 *image,
				   gsize len,
				   const BdfuSdInfoStruct *sd,
				   GPtrArray *findings)
{
	g_autofree gchar *name = bdfu_sd_info_name(sd);
	g_autofree gchar *fix = NULL;
	guint32 app_start = (sd->sd_end + BDFU_PAGE_SIZE - 1) & ~(BDFU_PAGE_SIZE - 1);

	fix = g_strdup_printf("Build the package from the application-only hex (your build's "
			      "_build/*.hex, starting at 0x%X), or cut the hex from the SoftDevice "
			      "end address: e.g. `srec_cat`/IntelHex from 0x%X.",
			      app_start,
			      app_start);
	bdfu_findings_add(
	    findings,
	    "app-contains-softdevice",
	    BDFU_SEVERITY_ERROR,
	    fix,
	    "the application image begins with SoftDevice %s (FWID 0x%02X, %" G_GSIZE_FORMAT
	    " bytes): it was made from a merged hex (MBR+SoftDevice+app). The "
	    "bootloader will accept it and report success, but at boot it jumps into "
	    "the copy of the SoftDevice and your application never runs.",
	    name,
	    sd->fwid,
	    bdfu_sd_data_size(image, len, sd));
}

static void
bdfu_image_add_bad_vectors(const BdfuVectorTable *vt, gsize len, GPtrArray *findings)
{
	const gchar *fix = "Package the application's own build output: its .bin must begin with "
			   "the vector table (initial SP in RAM, then the Thumb reset handler).";
	if (len < 8) {
		bdfu_findings_add(findings,
				  "app-bad-vector-table",
				  BDFU_SEVERITY_ERROR,
				  fix,
				  "the application image is %" G_GSIZE_FORMAT
				  " bytes, too short to hold a vector table: it cannot run.",
				  len);
	} else if (!bdfu_vectors_sp_is_sane(vt)) {
		bdfu_findings_add(findings,
				  "app-bad-vector-table",
				  BDFU_SEVERITY_ERROR,
				  fix,
				  "the application image does not begin with a vector table: the "
				  "initial stack pointer 0x%08X is not a word-aligned RAM address "
				  "(0x%08X..0x%08X), so the chip faults as soon as it is started.",
				  vt->initial_sp,
				  BDFU_RAM_START,
				  BDFU_RAM_END);
	} else {
		bdfu_findings_add(
		    findings,
		    "app-bad-vector-table",
		    BDFU_SEVERITY_ERROR,
		    fix,
		    "the application image does not begin with a vector table: the reset "
		    "vector 0x%08X is not a Thumb address (bit 0 clear), so the chip "
		    "faults as soon as it is started.",
		    vt->reset_vector);
	}
}

static const gchar *
bdfu_app_start_label(guint32 app_start)
{
	for (gsize i = 0; i < G_N_ELEMENTS(bdfu_app_starts); i++) {
		if (bdfu_app_starts[i].app_start == app_start)
			return bdfu_app_starts[i].label;
	}
	return NULL;
}

/* the known app start closest below the reset target that still holds it, else its page */
static guint32
bdfu_guess_link_base(guint32 target, gsize len)
{
	guint32 best = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(bdfu_app_starts); i++) {
		guint32 start = bdfu_app_starts[i].app_start;
		if (bdfu_address_in_image(target, start, len) && start > best)
			best = start;
	}
	return best != 0 ? best : target & ~(BDFU_PAGE_SIZE - 1);
}

/* the struct is public: never trust its count beyond the array */
static guint
bdfu_sd_req_len(const BdfuInitPacket *init)
{
	return MIN(init->sd_req_len, (guint)BDFU_INIT_SD_REQ_MAX);
}

/* app start for one sd_req entry; 0 when unknown */
static guint32
bdfu_sd_req_app_start(guint32 fwid, const gchar **name)
{
	const BdfuSoftDeviceInfo *info;
	if (fwid == BDFU_SD_FWID_NONE) {
		*name = "no SoftDevice";
		return BDFU_MBR_SIZE;
	}
	if (fwid > G_MAXUINT16)
		return 0;
	info = bdfu_softdevice_lookup((guint16)fwid);
	if (info == NULL)
		return 0;
	*name = info->name;
	return info->app_start;
}

/* "0x9D (S132 5.0.0) starts apps at 0x23000, ..." for the known sd_req entries */
static gchar *
bdfu_sd_req_starts_text(const BdfuInitPacket *init, const gchar **first_name, guint32 *first_start)
{
	GString *text = g_string_new(NULL);
	for (guint i = 0; i < bdfu_sd_req_len(init); i++) {
		const gchar *name = NULL;
		guint32 start = bdfu_sd_req_app_start(init->sd_req[i], &name);
		if (start == 0)
			continue;
		if (*first_name == NULL) {
			*first_name = name;
			*first_start = start;
		}
		g_string_append_printf(text,
				       "%s0x%02X (%s) starts apps at 0x%X",
				       text->len > 0 ? ", " : "",
				       init->sd_req[i],
				       name,
				       start);
	}
	return g_string_free(text, FALSE);
}

/* the sd_req entries without a known app start ("0xCAFE, 0xFFFE"); empty when none */
static gchar *
bdfu_sd_req_unknown_text(const BdfuInitPacket *init)
{
	GString *text = g_string_new(NULL);
	for (guint i = 0; i < bdfu_sd_req_len(init); i++) {
		const gchar *name = NULL;
		if (bdfu_sd_req_app_start(init->sd_req[i], &name) != 0)
			continue;
		g_string_append_printf(
		    text, "%s0x%02X", text->len > 0 ? ", " : "", init->sd_req[i]);
	}
	return g_string_free(text, FALSE);
}

typedef enum {
	BDFU_LINKED_CERTAIN,  /* misses every sd_req start, and all of them are known */
	BDFU_LINKED_UNLESS,   /* misses the known ones; others in sd_req might fit */
	BDFU_LINKED_PROBABLY, /* fits loosely, but the handler sits right after another start */
} BdfuLinkedMode;

static void
bdfu_image_add_linked_for_other(const BdfuInitPacket *init,
				guint32 target,
				gsize len,
				BdfuLinkedMode mode,
				GPtrArray *findings)
{
	const gchar *first_name = NULL;
	guint32 first_start = 0;
	g_autofree gchar *wanted = bdfu_sd_req_starts_text(init, &first_name, &first_start);
	g_autofree gchar *unknown = bdfu_sd_req_unknown_text(init);
	g_autofree gchar *linked = NULL;
	g_autofree gchar *fix = NULL;
	guint32 base = bdfu_guess_link_base(target, len);
	const gchar *label = bdfu_app_start_label(base);
	const gchar *id = "app-linked-for-other-sd";

	if (label != NULL)
		linked = g_strdup_printf("0x%X (%s)", base, label);
	else
		linked = g_strdup_printf("about 0x%X (no known SoftDevice ends there)", base);
	fix = g_strdup_printf("Rebuild the application for %s (linker FLASH ORIGIN = 0x%X), or "
			      "package it with the --sd-req of the SoftDevice it was built for.",
			      first_name,
			      first_start);
	switch (mode) {
	case BDFU_LINKED_PROBABLY:
		bdfu_findings_add(
		    findings,
		    id,
		    BDFU_SEVERITY_WARNING,
		    fix,
		    "the application looks linked for %s: its reset vector 0x%08X lies "
		    "in the first page after that address, but sd_req %s. If so, the "
		    "bootloader will accept it and report success, but your "
		    "application never runs.",
		    linked,
		    target | 1u,
		    wanted);
		break;
	case BDFU_LINKED_UNLESS:
		bdfu_findings_add(
		    findings,
		    id,
		    BDFU_SEVERITY_WARNING,
		    fix,
		    "the application is linked for %s but sd_req %s: its reset vector "
		    "0x%08X misses the image placed there. It runs only on a device "
		    "whose SoftDevice is %s (app start unknown) and ends at 0x%X.",
		    linked,
		    wanted,
		    target | 1u,
		    unknown,
		    base);
		break;
	default:
		bdfu_findings_add(
		    findings,
		    id,
		    BDFU_SEVERITY_ERROR,
		    fix,
		    "the application is linked for %s but sd_req %s: its reset vector "
		    "0x%08X misses the image placed there. The bootloader will accept "
		    "it and report success, but your application never runs.",
		    linked,
		    wanted,
		    target | 1u);
		break;
	}
}

/* SDK start-up code puts the reset handler right after the vector table, so a reset vector
 * in the first page of a higher known app start than sd_req's means the app was built for
 * that start (an S132 6.x app sent with sd_req S132 5.x still "fits" 0x23000 + size) */
static gboolean
bdfu_image_fits_other_start_better(const BdfuInitPacket *init, guint32 target, gsize len)
{
	guint32 base = bdfu_guess_link_base(target, len);
	if (bdfu_app_start_label(base) == NULL || target - base >= BDFU_PAGE_SIZE)
		return FALSE;
	for (guint i = 0; i < bdfu_sd_req_len(init); i++) {
		const gchar *name = NULL;
		if (bdfu_sd_req_app_start(init->sd_req[i], &name) == base)
			return FALSE;
	}
	return TRUE;
}

/* TRUE when the reset target lies in the image placed at a known sd_req entry's app start */
static gboolean
bdfu_image_fits_sd_req(const BdfuInitPacket *init,
		       guint32 target,
		       gsize len,
		       guint *n_known,
		       guint *n_unknown)
{
	gboolean fits = FALSE;
	*n_known = 0;
	*n_unknown = 0;
	for (guint i = 0; i < bdfu_sd_req_len(init); i++) {
		const gchar *name = NULL;
		guint32 start = bdfu_sd_req_app_start(init->sd_req[i], &name);
		if (start == 0) {
			(*n_unknown)++;
			continue;
		}
		(*n_known)++;
		if (bdfu_address_in_image(target, start, len))
			fits = TRUE;
	}
	return fits;
}

static void
bdfu_image_check_link_address(const BdfuInitPacket *init,
			      const BdfuVectorTable *vt,
			      gsize len,
			      GPtrArray *findings)
{
	guint32 target = vt->reset_vector & ~1u;
	guint n_known = 0;
	guint n_unknown = 0;

	if (bdfu_image_fits_sd_req(init, target, len, &n_known, &n_unknown)) {
		if (n_unknown == 0 && bdfu_image_fits_other_start_better(init, target, len))
			bdfu_image_add_linked_for_other(
			    init, target, len, BDFU_LINKED_PROBABLY, findings);
		return;
	}
	if (target >= BDFU_BOOTLOADER_AREA) {
		bdfu_findings_add(
		    findings,
		    "app-is-bootloader",
		    BDFU_SEVERITY_ERROR,
		    "Package it as a bootloader (nrfutil --bootloader), or pick the "
		    "application's build output.",
		    "the application image looks like a bootloader: its reset vector "
		    "0x%08X points at 0x%X or above, where bootloaders live, not into "
		    "the application area after the SoftDevice.",
		    vt->reset_vector,
		    BDFU_BOOTLOADER_AREA);
		return;
	}
	if (n_known > 0)
		bdfu_image_add_linked_for_other(init,
						target,
						len,
						n_unknown == 0 ? BDFU_LINKED_CERTAIN
							       : BDFU_LINKED_UNLESS,
						findings);
}

static void
bdfu_image_check_application(const BdfuInitPacket *init,
			     const guint8 *image,
			     gsize len,
			     GPtrArray *findings)
{
	BdfuSdInfoStruct sd;
	BdfuVectorTable vt = {0};

	if (bdfu_image_find_sd_info(image, len, &sd)) {
		bdfu_image_add_contains_softdevice(image, len, &sd, findings);
		return;
	}
	if (!bdfu_image_read_vectors(image, len, &vt) || !bdfu_vectors_sp_is_sane(&vt) ||
	    !bdfu_vectors_reset_is_thumb(&vt)) {
		bdfu_image_add_bad_vectors(&vt, len, findings);
		return;
	}
	if ((vt.reset_vector & ~1u) < BDFU_MBR_SIZE) {
		bdfu_findings_add(
		    findings,
		    "app-contains-mbr",
		    BDFU_SEVERITY_ERROR,
		    "Package the application-only hex, or cut the image below the "
		    "application start: nrfutil drops everything below 0x1000.",
		    "the application image begins with an MBR (initial SP 0x%08X, "
		    "reset vector 0x%08X below 0x1000): it was converted from 0x0. The "
		    "bootloader will accept it, but at boot it jumps into the resident "
		    "MBR and your application never runs.",
		    vt.initial_sp,
		    vt.reset_vector);
		return;
	}
	bdfu_image_check_link_address(init, &vt, len, findings);
}

static void
bdfu_image_check_softdevice(const BdfuInitPacket *init,
			    const guint8 *image,
			    gsize len,
			    GPtrArray *findings)
{
	if (bdfu_image_find_sd_info(image, len, NULL))
		return;
	bdfu_findings_add(findings,
			  "softdevice-missing-info",
			  BDFU_SEVERITY_ERROR,
			  "Package the SoftDevice's own hex (e.g. s132_nrf52_7.2.0_softdevice.hex) "
			  "as the SoftDevice.",
			  "the %s image (%" G_GSIZE_FORMAT
			  " bytes) has no SoftDevice info struct (magic 0x%08X at offset 0x%X "
			  "or 0x%X): the bootloader receives it all, then rejects it at the "
			  "final Execute (0x05).",
			  bdfu_fw_type_to_string(init->type),
			  len,
			  BDFU_SD_INFO_MAGIC,
			  BDFU_SD_INFO_OFFSET + 4,
			  BDFU_SD_INFO_OFFSET + BDFU_MBR_SIZE + 4);
}

static void
bdfu_image_check_hash_and_size(const BdfuInitPacket *init,
			       const guint8 *image,
			       gsize len,
			       GPtrArray *findings)
{
	guint64 declared = bdfu_init_packet_get_image_size(init);
	const gchar *regenerate = "The .bin and .dat do not belong together: regenerate the "
				  "package from the firmware.";

	switch (bdfu_init_packet_check_hash(init, image, len)) {
	case BDFU_HASH_CHECK_MISMATCH:
		bdfu_findings_add(findings,
				  "hash-mismatch",
				  BDFU_SEVERITY_ERROR,
				  regenerate,
				  "the SHA-256 of the %" G_GSIZE_FORMAT
				  "-byte image does not match the hash in the init packet: the "
				  "bootloader rejects it after the whole transfer (0B 0C).",
				  len);
		break;
	case BDFU_HASH_CHECK_MATCH_BIG_ENDIAN:
		bdfu_findings_add(
		    findings,
		    "hash-big-endian",
		    BDFU_SEVERITY_INFO,
		    "Regenerate the package with nrfutil 1.0 or later for SDK 12+ "
		    "bootloaders.",
		    "the init packet stores the image SHA-256 big-endian, as the June "
		    "2016 pre-release tools did; released bootloaders expect it "
		    "byte-reversed.");
		break;
	default:
		break;
	}
	if (declared != len)
		bdfu_findings_add(findings,
				  "size-mismatch",
				  BDFU_SEVERITY_ERROR,
				  regenerate,
				  "the init packet declares %" G_GUINT64_FORMAT
				  " bytes for the %s image, but the .bin has %" G_GSIZE_FORMAT
				  " bytes: the bootloader expects exactly the declared size.",
				  declared,
				  init->has_type ? bdfu_fw_type_to_string(init->type) : "firmware",
				  len);
}

static gboolean
bdfu_fwid_is_known(guint32 fwid)
{
	if (fwid == BDFU_SD_FWID_NONE || fwid == BDFU_SD_REQ_ANY || fwid == BDFU_SD_FWID_CAFE)
		return TRUE;
	return fwid <= G_MAXUINT16 && bdfu_softdevice_lookup((guint16)fwid) != NULL;
}

static void
bdfu_image_check_sd_req(const BdfuInitPacket *init, GPtrArray *findings)
{
	g_autoptr(GString) list = g_string_new(NULL);
	const gchar *fix = "Use the FWID of the SoftDevice on the device (e.g. 0x9D for S132 "
			   "5.0.0; see `nrfutil pkg generate --help`).";

	for (guint i = 0; i < bdfu_sd_req_len(init); i++) {
		if (bdfu_fwid_is_known(init->sd_req[i]))
			return;
		g_string_append_printf(
		    list, "%s0x%02X", list->len > 0 ? ", " : "", init->sd_req[i]);
	}
	if (init->sd_req_len == 0) {
		bdfu_findings_add(findings,
				  "unknown-sd-req",
				  BDFU_SEVERITY_WARNING,
				  fix,
				  "the init packet lists no SoftDevice (sd_req is empty): SDK 17.1 "
				  "bootloaders reject it (0B 07).");
		return;
	}
	bdfu_findings_add(
	    findings,
	    "unknown-sd-req",
	    BDFU_SEVERITY_WARNING,
	    fix,
	    "sd_req lists no known SoftDevice (%s): the bootloader accepts the package "
	    "only if its installed SoftDevice reports one of these FWIDs.",
	    list->str);
}

void
bdfu_image_check(const BdfuInitPacket *init, const guint8 *image, gsize len, GPtrArray *findings)
{
	g_return_if_fail(init != NULL);
	g_return_if_fail(image != NULL || len == 0);
	g_return_if_fail(findings != NULL);

	/* boot problems first: the update job names the first error as the cause */
	if (init->has_type) {
		switch (init->type) {
		case BDFU_FW_TYPE_APPLICATION:
			bdfu_image_check_application(init, image, len, findings);
			break;
		case BDFU_FW_TYPE_SOFTDEVICE:
		case BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER:
			bdfu_image_check_softdevice(init, image, len, findings);
			break;
		default:
			break;
		}
	}
	bdfu_image_check_hash_and_size(init, image, len, findings);
	bdfu_image_check_sd_req(init, findings);
	if (init->has_is_debug && init->is_debug)
		bdfu_findings_add(
		    findings,
		    "debug-package",
		    BDFU_SEVERITY_WARNING,
		    "For devices in the field, regenerate the package without "
		    "--debug-mode.",
		    "the init packet has is_debug set: SDK 12-14 release bootloaders "
		    "reject it, and only debug bootloaders skip the hw_version, sd_req "
		    "and version checks for it.");
}

static const gchar *
bdfu_reset_destination(guint32 target, guint32 app_start)
{
	if (target < BDFU_MBR_SIZE)
		return "into the resident MBR";
	if (target < app_start)
		return "into the resident SoftDevice";
	return "past the end of the application";
}

gboolean
bdfu_image_app_would_run(const guint8 *image, gsize len, guint32 app_start, gchar **reason)
{
	BdfuVectorTable vt = {0};
	BdfuSdInfoStruct sd;
	guint32 target = 0;
	gchar *why;

	g_return_val_if_fail(image != NULL || len == 0, FALSE);
	if (bdfu_image_read_vectors(image, len, &vt))
		target = vt.reset_vector & ~1u;
	if (len < 8) {
		why = g_strdup_printf(
		    "the image is %" G_GSIZE_FORMAT " bytes, too short for a vector table", len);
	} else if (!bdfu_vectors_sp_is_sane(&vt)) {
		why = g_strdup_printf("the initial stack pointer 0x%08X is not in RAM: the chip "
				      "faults at once",
				      vt.initial_sp);
	} else if (!bdfu_vectors_reset_is_thumb(&vt)) {
		why = g_strdup_printf("the reset vector 0x%08X is not a Thumb address: the chip "
				      "faults at once",
				      vt.reset_vector);
	} else if (bdfu_address_in_image(target, app_start, len)) {
		return TRUE;
	} else if (bdfu_image_find_sd_info(image, len, &sd)) {
		g_autofree gchar *name = bdfu_sd_info_name(&sd);
		why = g_strdup_printf("the image starts with a SoftDevice copy (%s, FWID 0x%02X): "
				      "reset vector 0x%08X jumps %s, not into the application at "
				      "0x%X",
				      name,
				      sd.fwid,
				      vt.reset_vector,
				      bdfu_reset_destination(target, app_start),
				      app_start);
	} else {
		why = g_strdup_printf("reset vector 0x%08X jumps %s, not into the application at "
				      "0x%X..0x%" G_GINT64_MODIFIER "X: the image is linked for "
				      "another address",
				      vt.reset_vector,
				      bdfu_reset_destination(target, app_start),
				      app_start,
				      (guint64)app_start + len);
	}
	if (reason != NULL)
		*reason = why;
	else
		g_free(why);
	return FALSE;
}
