/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Intel HEX → a flat image, the way nrfutil turns a .hex into a DFU .bin (PROTOCOL.md §7.1):
 * everything below 0x1000 (the MBR) and from 0x10000000 (UICR) is dropped, the image spans the
 * lowest to the highest remaining address, gaps are 0xFF, and the length is rounded up to a
 * multiple of 4. */

#define BDFU_IHEX_MAX_IMAGE (1024 * 1024)

typedef struct {
	guint32 start; /* flash address of image[0] */
	GBytes *image;
	gboolean had_mbr; /* the hex had data below 0x1000 */
} BdfuIhexImage;

/* Fails with BDFU_ERROR_BAD_PACKAGE naming the line: bad syntax, checksum, record type, data
 * over BDFU_IHEX_MAX_IMAGE, or nothing left after dropping MBR/UICR. `min_address` lets the
 * caller cut more (e.g. everything below the SoftDevice end); 0 means 0x1000. */
BdfuIhexImage *
bdfu_ihex_parse(const gchar *text, gsize len, guint32 min_address, GError **error);
void
bdfu_ihex_image_free(BdfuIhexImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuIhexImage, bdfu_ihex_image_free)

G_END_DECLS
