/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The Secure DFU init packet (.dat): the serialized dfu.Packet of PROTOCOL.md §6. */

#define BDFU_INIT_PACKET_MAX_SIZE 512
#define BDFU_INIT_SD_REQ_MAX 16
#define BDFU_INIT_BOOT_VALIDATION_MAX 3
#define BDFU_SD_REQ_ANY 0xFFFE

typedef enum {
	BDFU_FW_TYPE_APPLICATION = 0,
	BDFU_FW_TYPE_SOFTDEVICE = 1,
	BDFU_FW_TYPE_BOOTLOADER = 2,
	BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER = 3,
	BDFU_FW_TYPE_EXTERNAL_APPLICATION = 4,
} BdfuFwType;

typedef enum {
	BDFU_HASH_TYPE_NO_HASH = 0,
	BDFU_HASH_TYPE_CRC = 1,
	BDFU_HASH_TYPE_SHA128 = 2,
	BDFU_HASH_TYPE_SHA256 = 3,
	BDFU_HASH_TYPE_SHA512 = 4,
} BdfuHashType;

typedef enum {
	BDFU_VALIDATION_NONE = 0,
	BDFU_VALIDATION_GENERATED_CRC = 1,
	BDFU_VALIDATION_SHA256 = 2,
	BDFU_VALIDATION_ECDSA_P256_SHA256 = 3,
} BdfuValidationType;

typedef enum {
	BDFU_SIGNATURE_TYPE_ECDSA_P256_SHA256 = 0,
	BDFU_SIGNATURE_TYPE_ED25519 = 1,
} BdfuSignatureType;

typedef struct {
	guint32 type; /* BdfuValidationType */
	guint8 bytes[64];
	gsize bytes_len;
} BdfuBootValidation;

/* Every field with its presence: a missing field and a zero field mean different things to
 * the bootloader (§8.1). */
typedef struct {
	gboolean has_op_code;
	guint32 op_code; /* 1 = INIT */
	gboolean has_init; /* Command.init present */

	gboolean has_fw_version;
	guint32 fw_version;
	gboolean has_hw_version;
	guint32 hw_version;
	guint sd_req_len;
	guint32 sd_req[BDFU_INIT_SD_REQ_MAX];
	gboolean sd_req_packed; /* as found on the wire; packed is what nrfutil writes */
	gboolean has_type;
	guint32 type; /* BdfuFwType; may hold unknown values from a hostile packet */
	gboolean has_sd_size;
	guint32 sd_size;
	gboolean has_bl_size;
	guint32 bl_size;
	gboolean has_app_size;
	guint32 app_size;
	gboolean has_hash;
	guint32 hash_type; /* BdfuHashType */
	guint8 hash[32];
	gsize hash_len;
	gboolean has_is_debug;
	gboolean is_debug;
	guint boot_validation_len;
	BdfuBootValidation boot_validation[BDFU_INIT_BOOT_VALIDATION_MAX];

	gboolean is_signed; /* Packet.signed_command rather than Packet.command */
	gboolean has_signature_type;
	guint32 signature_type; /* BdfuSignatureType */
	guint8 signature[64];
	gsize signature_len;

	/* where the serialized InitCommand (the signed bytes, §6.3) sits inside the packet: the
	 * value of Command.init without its tag and length (checked against every fixture) */
	gsize init_offset;
	gsize init_len;
} BdfuInitPacket;

/* Decodes a .dat. Fails with BDFU_ERROR_BAD_PACKAGE naming the problem: not protobuf, both or
 * neither of command/signed_command, no InitCommand, oversize fields, over
 * BDFU_INIT_PACKET_MAX_SIZE. The result is independent of `data` (no pointers into it). */
BdfuInitPacket *
bdfu_init_packet_parse(const guint8 *data, gsize len, GError **error);
void
bdfu_init_packet_free(BdfuInitPacket *packet);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuInitPacket, bdfu_init_packet_free)

/* the byte length the init packet declares for the firmware image (app/sd/bl sizes) */
guint64
bdfu_init_packet_get_image_size(const BdfuInitPacket *packet);
/* "application", "softdevice", "bootloader", "softdevice_bootloader", "external_application" */
const gchar *
bdfu_fw_type_to_string(guint32 type);

typedef enum {
	BDFU_HASH_CHECK_MATCH,		   /* reverse(sha256(bin)) == hash: what nrfutil writes */
	BDFU_HASH_CHECK_MATCH_BIG_ENDIAN, /* sha256(bin) == hash: the June 2016 pre-release tools */
	BDFU_HASH_CHECK_MISMATCH,
	BDFU_HASH_CHECK_UNSUPPORTED, /* no hash, or not SHA-256 */
} BdfuHashCheck;

BdfuHashCheck
bdfu_init_packet_check_hash(const BdfuInitPacket *packet, const guint8 *image, gsize image_len);

/* A P-256 key. Public keys come from PEM, or from the 64-byte x‖y little-endian layout of
 * the bootloader's dfu_public_key.c; private keys from PEM (nrfutil's key files: SEC1
 * "EC PRIVATE KEY"; PKCS#8 "PRIVATE KEY" too). Bad keys fail with BDFU_ERROR_INVALID_ARGUMENT
 * naming the problem (not PEM, encrypted, not EC, not P-256, not on the curve). */
typedef struct _BdfuKey BdfuKey;
BdfuKey *
bdfu_key_new_from_pem(const gchar *pem, gsize len, GError **error);
BdfuKey *
bdfu_key_new_from_raw_le(const guint8 *xy_le, gsize len, GError **error);
/* a new private key (for tests and `keys generate`) */
BdfuKey *
bdfu_key_generate(GError **error);
gboolean
bdfu_key_has_private(const BdfuKey *key);
/* x‖y, each little-endian: the layout the bootloader compiles in */
gboolean
bdfu_key_get_raw_le(const BdfuKey *key, guint8 out[64]);
gchar *
bdfu_key_to_public_pem(const BdfuKey *key);
gchar *
bdfu_key_to_private_pem(const BdfuKey *key);
void
bdfu_key_free(BdfuKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuKey, bdfu_key_free)

typedef enum {
	BDFU_SIGNATURE_VALID,
	BDFU_SIGNATURE_INVALID,
	BDFU_SIGNATURE_UNCHECKED, /* signed, but no key to check it with */
	BDFU_SIGNATURE_ABSENT,	  /* unsigned packet */
} BdfuSignatureCheck;

/* Verifies the ECDSA P-256 signature over the InitCommand bytes (r, s byte-reversed).
 * `data` must be the same bytes the packet was parsed from. key may be NULL. */
BdfuSignatureCheck
bdfu_init_packet_verify(const BdfuInitPacket *packet,
			const guint8 *data,
			gsize len,
			const BdfuKey *key);
/* "valid", "invalid", "unchecked", "absent" */
const gchar *
bdfu_signature_check_to_string(BdfuSignatureCheck check);

/* Encodes `packet` as nrfutil does: fields in tag order, every has_* field written even when
 * zero, sd_req packed; Command.op_code is always INIT. With a private key the result is a
 * signed_command (and the signature_* fields of `packet` are ignored); without, a plain
 * command. A public-only key, or a result over BDFU_INIT_PACKET_MAX_SIZE, fails with
 * BDFU_ERROR_INVALID_ARGUMENT. */
GBytes *
bdfu_init_packet_encode(const BdfuInitPacket *packet, const BdfuKey *key, GError **error);

/* SHA-256 of `image` byte-reversed, as the init packet stores it */
void
bdfu_init_packet_hash_image(const guint8 *image, gsize len, guint8 out[32]);

/* helper for the signature checks of boot_validation type 3 and for tests */
gboolean
bdfu_key_verify_le(const BdfuKey *key,
		   const guint8 *msg,
		   gsize msg_len,
		   const guint8 sig_le[64]);
gboolean
bdfu_key_sign_le(const BdfuKey *key,
		 const guint8 *msg,
		 gsize msg_len,
		 guint8 sig_le[64],
		 GError **error);

G_END_DECLS
