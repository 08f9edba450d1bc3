/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bdfu-init-packet.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fields a plain re-encoding does not carry over: the signature and where bytes sat */
static void
normalize(BdfuInitPacket *p)
{
	p->is_signed = FALSE;
	p->has_signature_type = FALSE;
	p->signature_type = 0;
	p->signature_len = 0;
	memset(p->signature, 0, sizeof(p->signature));
	p->sd_req_packed = FALSE;
	p->init_offset = 0;
	p->init_len = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static BdfuKey *key = NULL;
	g_autoptr(BdfuInitPacket) packet = NULL;
	g_autoptr(BdfuInitPacket) again = NULL;
	g_autoptr(GBytes) plain = NULL;
	g_autoptr(GBytes) signed_out = NULL;
	const guint8 *enc;
	gsize enc_len;

	if (size > 4096)
		return 0;
	if (key == NULL)
		key = bdfu_key_generate(NULL);
	/* hostile raw public keys: the first 64 bytes as an x‖y point */
	if (size >= 64) {
		g_autoptr(BdfuKey) raw = bdfu_key_new_from_raw_le(data, 64, NULL);
		if (raw != NULL)
			(void)bdfu_key_verify_le(raw, data, size, data);
	}
	packet = bdfu_init_packet_parse(data, size, NULL);
	if (packet == NULL)
		return 0;
	(void)bdfu_init_packet_verify(packet, data, size, key);
	(void)bdfu_init_packet_get_image_size(packet);
	(void)bdfu_init_packet_check_hash(packet, data, size);

	/* whatever we accept we can write back, and it reads back the same */
	plain = bdfu_init_packet_encode(packet, NULL, NULL);
	if (plain == NULL)
		abort();
	enc = g_bytes_get_data(plain, &enc_len);
	again = bdfu_init_packet_parse(enc, enc_len, NULL);
	if (again == NULL)
		abort();
	normalize(packet);
	normalize(again);
	if (memcmp(packet, again, sizeof(*packet)) != 0)
		abort();

	/* signing adds up to 64 signature bytes, so it may exceed the size limit; if it
	 * succeeds, it must verify */
	signed_out = bdfu_init_packet_encode(packet, key, NULL);
	if (signed_out != NULL) {
		g_autoptr(BdfuInitPacket) s = NULL;
		enc = g_bytes_get_data(signed_out, &enc_len);
		s = bdfu_init_packet_parse(enc, enc_len, NULL);
		if (s == NULL ||
		    bdfu_init_packet_verify(s, enc, enc_len, key) != BDFU_SIGNATURE_VALID)
			abort();
	}
	return 0;
}
