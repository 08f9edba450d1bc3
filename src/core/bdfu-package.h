/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "core/bdfu-init-packet.h"

G_BEGIN_DECLS

/* A DFU package (.zip) as nrfutil writes it (PROTOCOL.md §7), read from memory: nothing is
 * extracted to disk and only the entries the manifest names are read. */

typedef enum {
	BDFU_PACKAGE_FORMAT_SECURE,	/* nrfutil >= 1.0, SDK 12+ */
	BDFU_PACKAGE_FORMAT_PRERELEASE, /* 2016 Secure DFU alpha (no is_debug, or big-endian hash) */
	BDFU_PACKAGE_FORMAT_LEGACY,	/* SDK <= 11: dfu_version / init_packet_data, non-protobuf .dat */
} BdfuPackageFormat;

typedef enum {
	BDFU_PART_SOFTDEVICE_BOOTLOADER,
	BDFU_PART_SOFTDEVICE,
	BDFU_PART_BOOTLOADER,
	BDFU_PART_APPLICATION,
} BdfuPartType; /* in flashing order */

typedef struct {
	BdfuPartType type;
	gchar *bin_name;
	gchar *dat_name;
	GBytes *bin;
	GBytes *dat;
	BdfuInitPacket *init; /* NULL for legacy packages */
	/* manifest sizes (info_read_only_metadata or the 2016/legacy inline form); 0 if absent */
	guint32 manifest_sd_size;
	guint32 manifest_bl_size;
} BdfuPackagePart;

typedef struct {
	/* caps; bdfu_package_limits_init() fills the defaults */
	gsize max_zip_size;	 /* 64 MiB */
	gsize max_entries;	 /* 64 */
	gsize max_manifest_size; /* 64 KiB */
	gsize max_init_size;	 /* BDFU_INIT_PACKET_MAX_SIZE */
	gsize max_image_size;	 /* 1 MiB (nRF52840 flash) */
	guint max_json_depth;	 /* 16 */
	gdouble max_ratio;	 /* 200: uncompressed/compressed, against zip bombs */
} BdfuPackageLimits;

void
bdfu_package_limits_init(BdfuPackageLimits *limits);

typedef struct {
	BdfuPackageFormat format;
	GPtrArray *parts; /* of BdfuPackagePart*, in flashing order */
	GBytes *digest;	  /* SHA-256 of the zip, 32 bytes: identifies the package in job journals */
	GPtrArray *warnings; /* of gchar*: things read but ignored (unreferenced entries, ...) */
} BdfuPackage;

/* Reads a zip from memory. Hostile or inconsistent input fails with BDFU_ERROR_BAD_PACKAGE
 * and a message naming the entry and the problem. limits may be NULL for the defaults.
 * Legacy packages are read (format LEGACY, init NULL) so they can be inspected. */
BdfuPackage *
bdfu_package_new_from_bytes(GBytes *zip, const BdfuPackageLimits *limits, GError **error);
BdfuPackage *
bdfu_package_new_from_file(const gchar *filename, const BdfuPackageLimits *limits, GError **error);
void
bdfu_package_free(BdfuPackage *package);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuPackage, bdfu_package_free)

/* "application", "softdevice", "bootloader", "softdevice_bootloader" (the manifest keys) */
const gchar *
bdfu_part_type_to_string(BdfuPartType type);
/* "secure", "prerelease", "legacy" */
const gchar *
bdfu_package_format_to_string(BdfuPackageFormat format);
/* FALSE with BDFU_ERROR_UNSUPPORTED_PACKAGE (exit 3) for what bluedfu can read but not send:
 * legacy SDK <= 11 packages */
gboolean
bdfu_package_check_sendable(const BdfuPackage *package, GError **error);

/* The package writer (nrfutil layout: manifest.json with sorted keys and indent 4, stored
 * entries). Used by tests and `pkg generate`. */
typedef struct _BdfuPackageWriter BdfuPackageWriter;
BdfuPackageWriter *
bdfu_package_writer_new(void);
/* bin_name and dat_name are the entry names; sd_size/bl_size go to info_read_only_metadata
 * for softdevice_bootloader */
void
bdfu_package_writer_add(BdfuPackageWriter *writer,
			BdfuPartType type,
			const gchar *bin_name,
			GBytes *bin,
			const gchar *dat_name,
			GBytes *dat,
			guint32 sd_size,
			guint32 bl_size);
/* adds a raw entry as is (for hostile-input tests); may duplicate names */
void
bdfu_package_writer_add_raw(BdfuPackageWriter *writer, const gchar *name, GBytes *data);
/* replaces the generated manifest.json with this text (for hostile-input tests) */
void
bdfu_package_writer_set_manifest(BdfuPackageWriter *writer, const gchar *json);
GBytes *
bdfu_package_writer_finish(BdfuPackageWriter *writer, GError **error);
void
bdfu_package_writer_free(BdfuPackageWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuPackageWriter, bdfu_package_writer_free)

G_END_DECLS
