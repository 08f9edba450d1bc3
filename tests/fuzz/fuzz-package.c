/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The package reader on arbitrary bytes, and on a valid zip whose manifest.json is replaced by
 * the same bytes (so that the fuzzer reaches the JSON and part checks without making zips). */
#include <stdint.h>
#include <string.h>

#include "core/bdfu-package.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const guint8 fuzz_image[64] = {0x00, 0x00, 0x01, 0x20, 0x01, 0x71, 0x02, 0x00};

static GBytes *
fuzz_zip_with_manifest(const uint8_t *data, size_t size)
{
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) bin = g_bytes_new_static(fuzz_image, sizeof(fuzz_image));
	g_autoptr(GBytes) dat = g_bytes_new_static(data, MIN(size, 600));
	g_autofree gchar *json = g_strndup((const gchar *)data, size);
	BdfuInitPacket p = {0};

	/* a good init packet for app.bin; the input itself also serves as x.dat */
	p.has_type = TRUE;
	p.type = BDFU_FW_TYPE_APPLICATION;
	p.has_app_size = TRUE;
	p.app_size = sizeof(fuzz_image);
	p.has_hash = TRUE;
	p.hash_type = BDFU_HASH_TYPE_SHA256;
	p.hash_len = 32;
	bdfu_init_packet_hash_image(fuzz_image, sizeof(fuzz_image), p.hash);
	{
		g_autoptr(GBytes) good = bdfu_init_packet_encode(&p, NULL, NULL);
		if (good != NULL)
			bdfu_package_writer_add(
			    writer, BDFU_PART_APPLICATION, "app.bin", bin, "app.dat", good, 0, 0);
	}
	bdfu_package_writer_add_raw(writer, "x.dat", dat);
	bdfu_package_writer_add_raw(writer, "sd_bl.bin", bin);
	bdfu_package_writer_set_manifest(writer, json);
	return bdfu_package_writer_finish(writer, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(GBytes) zip = NULL;
	BdfuPackageLimits limits;

	if (size > 1024 * 1024)
		return 0;
	bdfu_package_limits_init(&limits);
	raw = g_bytes_new_static(data, size);
	bdfu_package_free(bdfu_package_new_from_bytes(raw, &limits, NULL));

	/* strlen: the manifest text stops at the first NUL, as a C string would */
	zip = fuzz_zip_with_manifest(data, strnlen((const char *)data, size));
	if (zip != NULL)
		bdfu_package_free(bdfu_package_new_from_bytes(zip, &limits, NULL));
	return 0;
}
