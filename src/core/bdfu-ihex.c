/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/bdfu-ihex.h"

#include <string.h>

#include "bluedfu/bdfu-error.h"

#define BDFU_IHEX_MBR_END 0x1000u
#define BDFU_IHEX_UICR 0x10000000u

typedef struct {
	guint32 address;
	guint8 byte;
} BdfuIhexByte;

void
bdfu_ihex_image_free(BdfuIhexImage *image)
{
	if (image == NULL)
		return;
	g_bytes_unref(image->image);
	g_free(image);
}

static gint
bdfu_ihex_hex_byte(const gchar *p)
{
	gint hi = g_ascii_xdigit_value(p[0]);
	gint lo = g_ascii_xdigit_value(p[1]);
	if (hi < 0 || lo < 0)
		return -1;
	return (hi << 4) | lo;
}

/* one record into `record` (count + address + type + data + checksum); FALSE on syntax */
static gboolean
bdfu_ihex_decode_line(const gchar *line, gsize len, guint8 *record, gsize *record_len)
{
	guint8 sum = 0;
	if (len < 11 || line[0] != ':' || (len - 1) % 2 != 0 || (len - 1) / 2 > 5 + 255)
		return FALSE;
	*record_len = (len - 1) / 2;
	for (gsize i = 0; i < *record_len; i++) {
		gint b = bdfu_ihex_hex_byte(line + 1 + i * 2);
		if (b < 0)
			return FALSE;
		record[i] = (guint8)b;
		sum += (guint8)b;
	}
	return sum == 0 && *record_len == (gsize)record[0] + 5;
}

static gboolean
bdfu_ihex_store(GArray *bytes, guint32 address, const guint8 *data, gsize len, GError **error)
{
	for (gsize i = 0; i < len; i++) {
		BdfuIhexByte b = {address + (guint32)i, data[i]};
		g_array_append_val(bytes, b);
	}
	if (bytes->len > BDFU_IHEX_MAX_IMAGE * 2u) {
		g_set_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE,
			    "the hex file holds more than %u bytes of data", BDFU_IHEX_MAX_IMAGE * 2);
		return FALSE;
	}
	return TRUE;
}

static GArray *
bdfu_ihex_read_records(const gchar *text, gsize len, GError **error)
{
	g_autoptr(GArray) bytes = g_array_new(FALSE, FALSE, sizeof(BdfuIhexByte));
	guint32 base = 0;
	gsize pos = 0;
	guint line_no = 0;
	gboolean eof = FALSE;

	while (pos < len && !eof) {
		gsize end = pos;
		guint8 record[5 + 255];
		gsize record_len = 0;
		while (end < len && text[end] != '\n')
			end++;
		line_no++;
		gsize line_len = end - pos;
		if (line_len > 0 && text[pos + line_len - 1] == '\r')
			line_len--;
		if (line_len > 0) {
			if (!bdfu_ihex_decode_line(text + pos, line_len, record, &record_len)) {
				g_set_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE,
					    "line %u is not a valid Intel HEX record (syntax or checksum)",
					    line_no);
				return NULL;
			}
			guint count = record[0];
			guint32 offset = ((guint32)record[1] << 8) | record[2];
			switch (record[3]) {
			case 0x00:
				if (!bdfu_ihex_store(bytes, base + offset, record + 4, count, error))
					return NULL;
				break;
			case 0x01:
				eof = TRUE;
				break;
			case 0x02:
			case 0x04:
				if (count != 2) {
					g_set_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE,
						    "line %u: an address record must hold 2 bytes", line_no);
					return NULL;
				}
				base = ((guint32)record[4] << 8 | record[5]) << (record[3] == 0x02 ? 4 : 16);
				break;
			case 0x03:
			case 0x05:
				break; /* start address: not part of the image */
			default:
				g_set_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE,
					    "line %u: unsupported Intel HEX record type 0x%02X", line_no,
					    record[3]);
				return NULL;
			}
		}
		pos = end + 1;
	}
	return g_steal_pointer(&bytes);
}

BdfuIhexImage *
bdfu_ihex_parse(const gchar *text, gsize len, guint32 min_address, GError **error)
{
	g_autoptr(GArray) bytes = NULL;
	g_autofree guint8 *image = NULL;
	guint32 lowest = G_MAXUINT32;
	guint32 highest = 0;
	gboolean had_mbr = FALSE;
	gsize size;
	BdfuIhexImage *result;

	if (min_address < BDFU_IHEX_MBR_END)
		min_address = BDFU_IHEX_MBR_END;
	bytes = bdfu_ihex_read_records(text, len, error);
	if (bytes == NULL)
		return NULL;
	for (guint i = 0; i < bytes->len; i++) {
		const BdfuIhexByte *b = &g_array_index(bytes, BdfuIhexByte, i);
		if (b->address < BDFU_IHEX_MBR_END)
			had_mbr = TRUE;
		if (b->address < min_address || b->address >= BDFU_IHEX_UICR)
			continue;
		lowest = MIN(lowest, b->address);
		highest = MAX(highest, b->address);
	}
	if (lowest == G_MAXUINT32) {
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE,
				    "the hex file holds no data above the MBR (0x1000) and below UICR");
		return NULL;
	}
	size = ((gsize)(highest - lowest) + 1 + 3) & ~(gsize)3;
	if (size > BDFU_IHEX_MAX_IMAGE) {
		g_set_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE,
			    "the hex file spans 0x%X..0x%X: %" G_GSIZE_FORMAT " bytes, over the %u MiB "
			    "limit of a DFU image", lowest, highest, size, BDFU_IHEX_MAX_IMAGE >> 20);
		return NULL;
	}
	image = g_malloc(size);
	memset(image, 0xFF, size);
	for (guint i = 0; i < bytes->len; i++) {
		const BdfuIhexByte *b = &g_array_index(bytes, BdfuIhexByte, i);
		if (b->address < min_address || b->address >= BDFU_IHEX_UICR)
			continue;
		image[b->address - lowest] = b->byte;
	}
	result = g_new0(BdfuIhexImage, 1);
	result->start = lowest;
	result->had_mbr = had_mbr;
	result->image = g_bytes_new_take(g_steal_pointer(&image), size);
	return result;
}
