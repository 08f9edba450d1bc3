/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/bdfu-package.h"

#include <string.h>
#include <zlib.h>

#include "bluedfu/bdfu-error.h"

/* A small stored-only zip writer: nrfutil stores its entries, a fixed date keeps the output
 * reproducible, and hostile tests need duplicate names, which libzip refuses to write. */

#define BDFU_ZIP_LOCAL_SIG 0x04034b50u
#define BDFU_ZIP_CENTRAL_SIG 0x02014b50u
#define BDFU_ZIP_END_SIG 0x06054b50u
#define BDFU_ZIP_VERSION 20u
#define BDFU_ZIP_FLAG_UTF8 0x0800u
#define BDFU_ZIP_DATE_1980 0x0021u /* 1980-01-01, the zip epoch */

typedef struct {
	gchar *bin_name;
	GBytes *bin;
	gchar *dat_name;
	GBytes *dat;
	guint32 sd_size;
	guint32 bl_size;
} BdfuWriterPart;

typedef struct {
	gchar *name;
	GBytes *data;
} BdfuWriterEntry;

struct _BdfuPackageWriter {
	BdfuWriterPart *parts[BDFU_PART_APPLICATION + 1]; /* by type: flashing order */
	GPtrArray *raw;					  /* of BdfuWriterEntry */
	gchar *manifest;				  /* override, or NULL */
};

static void
bdfu_writer_part_free(BdfuWriterPart *part)
{
	if (part == NULL)
		return;
	g_free(part->bin_name);
	g_free(part->dat_name);
	g_clear_pointer(&part->bin, g_bytes_unref);
	g_clear_pointer(&part->dat, g_bytes_unref);
	g_free(part);
}

static void
bdfu_writer_entry_free(BdfuWriterEntry *entry)
{
	g_free(entry->name);
	g_bytes_unref(entry->data);
	g_free(entry);
}

BdfuPackageWriter *
bdfu_package_writer_new(void)
{
	BdfuPackageWriter *writer = g_new0(BdfuPackageWriter, 1);
	writer->raw = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_writer_entry_free);
	return writer;
}

void
bdfu_package_writer_free(BdfuPackageWriter *writer)
{
	if (writer == NULL)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(writer->parts); i++)
		bdfu_writer_part_free(writer->parts[i]);
	g_ptr_array_unref(writer->raw);
	g_free(writer->manifest);
	g_free(writer);
}

void
bdfu_package_writer_add(BdfuPackageWriter *writer,
			BdfuPartType type,
			const gchar *bin_name,
			GBytes *bin,
			const gchar *dat_name,
			GBytes *dat,
			guint32 sd_size,
			guint32 bl_size)
{
	BdfuWriterPart *part;

	g_return_if_fail(writer != NULL);
	g_return_if_fail((guint)type < G_N_ELEMENTS(writer->parts));
	g_return_if_fail(bin_name != NULL && bin != NULL && dat_name != NULL && dat != NULL);

	part = g_new0(BdfuWriterPart, 1);
	part->bin_name = g_strdup(bin_name);
	part->bin = g_bytes_ref(bin);
	part->dat_name = g_strdup(dat_name);
	part->dat = g_bytes_ref(dat);
	part->sd_size = sd_size;
	part->bl_size = bl_size;
	/* one image per type, as in a manifest */
	bdfu_writer_part_free(writer->parts[type]);
	writer->parts[type] = part;
}

void
bdfu_package_writer_add_raw(BdfuPackageWriter *writer, const gchar *name, GBytes *data)
{
	BdfuWriterEntry *entry;

	g_return_if_fail(writer != NULL);
	g_return_if_fail(name != NULL && data != NULL);
	entry = g_new0(BdfuWriterEntry, 1);
	entry->name = g_strdup(name);
	entry->data = g_bytes_ref(data);
	g_ptr_array_add(writer->raw, entry);
}

void
bdfu_package_writer_set_manifest(BdfuPackageWriter *writer, const gchar *json)
{
	g_return_if_fail(writer != NULL);
	g_free(writer->manifest);
	writer->manifest = g_strdup(json);
}

/* a JSON string as Python's json.dumps writes it (ensure_ascii) */
static void
bdfu_json_append_string(GString *out, const gchar *s)
{
	g_string_append_c(out, '"');
	for (const gchar *p = s; *p != '\0';) {
		gunichar c = g_utf8_get_char_validated(p, -1);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			/* not UTF-8: written as is, so that the reader refuses it */
			g_string_append_c(out, *p++);
			continue;
		}
		p = g_utf8_next_char(p);
		if (c == '"')
			g_string_append(out, "\\\"");
		else if (c == '\\')
			g_string_append(out, "\\\\");
		else if (c == '\n')
			g_string_append(out, "\\n");
		else if (c == '\r')
			g_string_append(out, "\\r");
		else if (c == '\t')
			g_string_append(out, "\\t");
		else if (c < 0x20 || (c >= 0x7F && c < 0x10000))
			g_string_append_printf(out, "\\u%04x", c);
		else if (c >= 0x10000)
			g_string_append_printf(out,
					       "\\u%04x\\u%04x",
					       0xD800 + ((c - 0x10000) >> 10),
					       0xDC00 + ((c - 0x10000) & 0x3FF));
		else
			g_string_append_c(out, (gchar)c);
	}
	g_string_append_c(out, '"');
}

/* sorted keys, indent 4, ": " and ",\n" separators: nrfutil's json.dumps */
static gchar *
bdfu_package_writer_manifest(const BdfuPackageWriter *writer)
{
	/* the manifest keys in sorted order */
	static const BdfuPartType sorted[] = {
	    BDFU_PART_APPLICATION,
	    BDFU_PART_BOOTLOADER,
	    BDFU_PART_SOFTDEVICE,
	    BDFU_PART_SOFTDEVICE_BOOTLOADER,
	};
	GString *out = g_string_new("{\n    \"manifest\": {");
	gboolean first = TRUE;

	for (guint i = 0; i < G_N_ELEMENTS(sorted); i++) {
		const BdfuWriterPart *part = writer->parts[sorted[i]];
		if (part == NULL)
			continue;
		g_string_append(out, first ? "\n        " : ",\n        ");
		first = FALSE;
		bdfu_json_append_string(out, bdfu_part_type_to_string(sorted[i]));
		g_string_append(out, ": {\n            \"bin_file\": ");
		bdfu_json_append_string(out, part->bin_name);
		g_string_append(out, ",\n            \"dat_file\": ");
		bdfu_json_append_string(out, part->dat_name);
		if (sorted[i] == BDFU_PART_SOFTDEVICE_BOOTLOADER) {
			g_string_append_printf(out,
					       ",\n            \"info_read_only_metadata\": {\n"
					       "                \"bl_size\": %u,\n"
					       "                \"sd_size\": %u\n"
					       "            }",
					       part->bl_size,
					       part->sd_size);
		}
		g_string_append(out, "\n        }");
	}
	g_string_append(out, first ? "}\n}" : "\n    }\n}");
	return g_string_free(out, FALSE);
}

static void
bdfu_put_u16(GByteArray *out, guint v)
{
	guint8 b[2] = {(guint8)v, (guint8)(v >> 8)};
	g_byte_array_append(out, b, sizeof(b));
}

static void
bdfu_put_u32(GByteArray *out, guint32 v)
{
	guint8 b[4] = {(guint8)v, (guint8)(v >> 8), (guint8)(v >> 16), (guint8)(v >> 24)};
	g_byte_array_append(out, b, sizeof(b));
}

typedef struct {
	const gchar *name;
	GBytes *data;
	guint32 crc;
	guint32 offset;
} BdfuZipRecord;

/* the fields the local and the central header share, from "version needed" to "extra len" */
static void
bdfu_put_common_header(GByteArray *out, const BdfuZipRecord *rec)
{
	gsize name_len = strlen(rec->name);
	gboolean ascii = TRUE;
	for (gsize i = 0; i < name_len; i++)
		ascii = ascii && (guchar)rec->name[i] < 0x80;
	bdfu_put_u16(out, BDFU_ZIP_VERSION);
	bdfu_put_u16(out, ascii ? 0 : BDFU_ZIP_FLAG_UTF8);
	bdfu_put_u16(out, 0); /* stored */
	bdfu_put_u16(out, 0); /* 00:00 */
	bdfu_put_u16(out, BDFU_ZIP_DATE_1980);
	bdfu_put_u32(out, rec->crc);
	bdfu_put_u32(out, (guint32)g_bytes_get_size(rec->data));
	bdfu_put_u32(out, (guint32)g_bytes_get_size(rec->data));
	bdfu_put_u16(out, (guint)name_len);
	bdfu_put_u16(out, 0); /* extra field length */
}

static GBytes *
bdfu_zip_write(GArray *records, GError **error)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	guint64 central_offset;

	if (records->len > G_MAXUINT16) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "cannot write a package of %u entries: over the zip limit of 65535",
			    records->len);
		return NULL;
	}
	for (guint i = 0; i < records->len; i++) {
		BdfuZipRecord *rec = &g_array_index(records, BdfuZipRecord, i);
		gsize len = 0;
		const guint8 *data = g_bytes_get_data(rec->data, &len);
		if (rec->name[0] == '\0' || strlen(rec->name) > G_MAXUINT16 ||
		    (guint64)out->len + len + 64 + strlen(rec->name) > G_MAXUINT32) {
			g_set_error(
			    error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "cannot write zip entry '%s': empty or too long name, or over 4 GiB",
			    rec->name);
			return NULL;
		}
		rec->crc = (guint32)crc32(0L, data, (uInt)len);
		rec->offset = out->len;
		bdfu_put_u32(out, BDFU_ZIP_LOCAL_SIG);
		bdfu_put_common_header(out, rec);
		g_byte_array_append(out, (const guint8 *)rec->name, (guint)strlen(rec->name));
		g_byte_array_append(out, data, (guint)len);
	}
	central_offset = out->len;
	for (guint i = 0; i < records->len; i++) {
		const BdfuZipRecord *rec = &g_array_index(records, BdfuZipRecord, i);
		bdfu_put_u32(out, BDFU_ZIP_CENTRAL_SIG);
		bdfu_put_u16(out, BDFU_ZIP_VERSION); /* made by: MS-DOS, 2.0 */
		bdfu_put_common_header(out, rec);
		bdfu_put_u16(out, 0); /* comment length */
		bdfu_put_u16(out, 0); /* disk number */
		bdfu_put_u16(out, 0); /* internal attributes */
		bdfu_put_u32(out, 0); /* external attributes */
		bdfu_put_u32(out, rec->offset);
		g_byte_array_append(out, (const guint8 *)rec->name, (guint)strlen(rec->name));
	}
	if ((guint64)out->len + 22 > G_MAXUINT32) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "cannot write a package over 4 GiB");
		return NULL;
	}
	bdfu_put_u32(out, BDFU_ZIP_END_SIG);
	bdfu_put_u16(out, 0);
	bdfu_put_u16(out, 0);
	bdfu_put_u16(out, records->len);
	bdfu_put_u16(out, records->len);
	bdfu_put_u32(out, (guint32)(out->len - 12 - central_offset)); /* central directory size */
	bdfu_put_u32(out, (guint32)central_offset);
	bdfu_put_u16(out, 0); /* comment length */
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

GBytes *
bdfu_package_writer_finish(BdfuPackageWriter *writer, GError **error)
{
	g_autoptr(GArray) records = g_array_new(FALSE, TRUE, sizeof(BdfuZipRecord));
	g_autofree gchar *generated = NULL;
	g_autoptr(GBytes) manifest = NULL;
	BdfuZipRecord rec = {0};

	g_return_val_if_fail(writer != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (writer->manifest != NULL) {
		manifest = g_bytes_new(writer->manifest, strlen(writer->manifest));
	} else {
		generated = bdfu_package_writer_manifest(writer);
		manifest = g_bytes_new(generated, strlen(generated));
	}
	rec.name = "manifest.json";
	rec.data = manifest;
	g_array_append_val(records, rec);
	for (guint i = 0; i < G_N_ELEMENTS(writer->parts); i++) {
		const BdfuWriterPart *part = writer->parts[i];
		if (part == NULL)
			continue;
		rec.name = part->bin_name;
		rec.data = part->bin;
		g_array_append_val(records, rec);
		rec.name = part->dat_name;
		rec.data = part->dat;
		g_array_append_val(records, rec);
	}
	for (guint i = 0; i < writer->raw->len; i++) {
		const BdfuWriterEntry *entry = g_ptr_array_index(writer->raw, i);
		rec.name = entry->name;
		rec.data = entry->data;
		g_array_append_val(records, rec);
	}
	return bdfu_zip_write(records, error);
}
