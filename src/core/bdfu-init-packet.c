/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/bdfu-init-packet.h"

#include <pb_decode.h>
#include <pb_encode.h>
#include <string.h>

#include "bluedfu/bdfu-error.h"
#include "dfu-cc.pb.h"

/* protobuf wire types */
#define WT_VARINT 0
#define WT_64BIT 1
#define WT_LEN 2
#define WT_32BIT 5

#define BDFU_OP_CODE_INIT 1
#define BDFU_HASH_MAX 32
#define BDFU_SIGNATURE_LEN 64

/* one field read off the wire; value_off/value_len are absolute offsets into the packet */
typedef struct {
	guint32 tag;
	guint wire_type;
	guint64 varint;
	gsize value_off;
	gsize value_len;
} BdfuWireField;

typedef struct {
	const guint8 *buf;
	gsize pos;
	gsize end;
} BdfuWire;

/* what the structural scan learns that nanopb does not tell us */
typedef struct {
	gboolean sd_req_packed;
	gsize init_offset;
	gsize init_len;
} BdfuWireScan;

static gboolean
bdfu_wire_varint(BdfuWire *w, guint64 *out)
{
	guint64 v = 0;
	for (guint shift = 0; shift < 64; shift += 7) {
		guint8 b;
		if (w->pos >= w->end)
			return FALSE;
		b = w->buf[w->pos++];
		v |= (guint64)(b & 0x7F) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return TRUE;
		}
	}
	return FALSE;
}

/* 1: a field was read, 0: end of message, -1: malformed (error set) */
static gint
bdfu_wire_next(BdfuWire *w, const gchar *msg, BdfuWireField *f, GError **error)
{
	guint64 key;
	gsize start = w->pos;

	if (w->pos >= w->end)
		return 0;
	if (!bdfu_wire_varint(w, &key) || key >> 3 == 0 || key >> 3 > G_MAXUINT32) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "init packet is not protobuf: bad field key in %s at byte %" G_GSIZE_FORMAT,
		    msg,
		    start);
		return -1;
	}
	f->tag = (guint32)(key >> 3);
	f->wire_type = (guint)(key & 7);
	f->varint = 0;
	f->value_off = w->pos;
	f->value_len = 0;
	switch (f->wire_type) {
	case WT_VARINT:
		if (!bdfu_wire_varint(w, &f->varint))
			break;
		f->value_len = w->pos - f->value_off;
		return 1;
	case WT_64BIT:
	case WT_32BIT:
		f->value_len = f->wire_type == WT_64BIT ? 8 : 4;
		if (w->end - w->pos < f->value_len)
			break;
		w->pos += f->value_len;
		return 1;
	case WT_LEN: {
		guint64 len;
		if (!bdfu_wire_varint(w, &len) || len > w->end - w->pos)
			break;
		f->value_off = w->pos;
		f->value_len = (gsize)len;
		w->pos += (gsize)len;
		return 1;
	}
	default:
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "init packet is not protobuf: wire type %u of field %u in %s at byte "
			    "%" G_GSIZE_FORMAT " does not exist",
			    f->wire_type,
			    f->tag,
			    msg,
			    start);
		return -1;
	}
	g_set_error(error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "init packet is not protobuf: field %u of %s at byte %" G_GSIZE_FORMAT
		    " runs past the end of its message",
		    f->tag,
		    msg,
		    start);
	return -1;
}

static BdfuWire
bdfu_wire_sub(const BdfuWire *parent, const BdfuWireField *f)
{
	BdfuWire w = {parent->buf, f->value_off, f->value_off + f->value_len};
	return w;
}

static gboolean
bdfu_wire_expect(const BdfuWireField *f, guint wire_type, const gchar *name, GError **error)
{
	if (f->wire_type == wire_type)
		return TRUE;
	g_set_error(error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "init packet is not a dfu.Packet: %s has wire type %u, expected %u",
		    name,
		    f->wire_type,
		    wire_type);
	return FALSE;
}

static gboolean
bdfu_wire_once(guint *count, const gchar *name, GError **error)
{
	if (++(*count) == 1)
		return TRUE;
	/* a signer never writes this, and which copy is signed would be ambiguous */
	g_set_error(
	    error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE, "init packet has %s more than once", name);
	return FALSE;
}

static gboolean
bdfu_wire_scan_hash(BdfuWire w, GError **error)
{
	BdfuWireField f;
	gint rc;
	while ((rc = bdfu_wire_next(&w, "Hash", &f, error)) > 0) {
		if (f.tag != dfu_Hash_hash_tag)
			continue;
		if (!bdfu_wire_expect(&f, WT_LEN, "Hash.hash", error))
			return FALSE;
		if (f.value_len > BDFU_HASH_MAX) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "init packet firmware hash is %" G_GSIZE_FORMAT
				    " bytes, at most %u are allowed",
				    f.value_len,
				    (guint)BDFU_HASH_MAX);
			return FALSE;
		}
	}
	return rc == 0;
}

static gboolean
bdfu_wire_scan_boot_validation(BdfuWire w, GError **error)
{
	BdfuWireField f;
	gint rc;
	while ((rc = bdfu_wire_next(&w, "BootValidation", &f, error)) > 0) {
		if (f.tag != dfu_BootValidation_bytes_tag)
			continue;
		if (!bdfu_wire_expect(&f, WT_LEN, "BootValidation.bytes", error))
			return FALSE;
		if (f.value_len > sizeof(((BdfuBootValidation *)NULL)->bytes)) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "init packet boot validation is %" G_GSIZE_FORMAT
				    " bytes, at most 64 are allowed",
				    f.value_len);
			return FALSE;
		}
	}
	return rc == 0;
}

static gboolean
bdfu_wire_scan_sd_req_packed(BdfuWire w, guint *count, GError **error)
{
	while (w.pos < w.end) {
		guint64 v;
		if (!bdfu_wire_varint(&w, &v)) {
			g_set_error_literal(
			    error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "init packet is not protobuf: packed sd_req is truncated");
			return FALSE;
		}
		(*count)++;
	}
	return TRUE;
}

static gboolean
bdfu_wire_scan_init(BdfuWire w, BdfuWireScan *scan, GError **error)
{
	BdfuWireField f;
	guint sd_req = 0, hashes = 0, validations = 0;
	gint rc;

	while ((rc = bdfu_wire_next(&w, "InitCommand", &f, error)) > 0) {
		if (f.tag == dfu_InitCommand_sd_req_tag) {
			if (f.wire_type == WT_LEN) {
				scan->sd_req_packed = TRUE;
				if (!bdfu_wire_scan_sd_req_packed(
					bdfu_wire_sub(&w, &f), &sd_req, error))
					return FALSE;
			} else if (bdfu_wire_expect(&f, WT_VARINT, "InitCommand.sd_req", error)) {
				sd_req++;
			} else {
				return FALSE;
			}
		} else if (f.tag == dfu_InitCommand_hash_tag) {
			if (!bdfu_wire_expect(&f, WT_LEN, "InitCommand.hash", error) ||
			    !bdfu_wire_once(&hashes, "InitCommand.hash", error) ||
			    !bdfu_wire_scan_hash(bdfu_wire_sub(&w, &f), error))
				return FALSE;
		} else if (f.tag == dfu_InitCommand_boot_validation_tag) {
			if (!bdfu_wire_expect(&f, WT_LEN, "InitCommand.boot_validation", error) ||
			    !bdfu_wire_scan_boot_validation(bdfu_wire_sub(&w, &f), error))
				return FALSE;
			validations++;
		}
	}
	if (rc < 0)
		return FALSE;
	if (sd_req > BDFU_INIT_SD_REQ_MAX) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "init packet lists %u SoftDevice requirements (sd_req), at most %u are "
			    "allowed",
			    sd_req,
			    (guint)BDFU_INIT_SD_REQ_MAX);
		return FALSE;
	}
	if (validations > BDFU_INIT_BOOT_VALIDATION_MAX) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "init packet has %u boot validations, at most %u are allowed",
			    validations,
			    (guint)BDFU_INIT_BOOT_VALIDATION_MAX);
		return FALSE;
	}
	return TRUE;
}

static gboolean
bdfu_wire_scan_command(BdfuWire w, BdfuWireScan *scan, GError **error)
{
	BdfuWireField f;
	guint inits = 0;
	gint rc;

	while ((rc = bdfu_wire_next(&w, "Command", &f, error)) > 0) {
		if (f.tag != dfu_Command_init_tag)
			continue;
		if (!bdfu_wire_expect(&f, WT_LEN, "Command.init", error) ||
		    !bdfu_wire_once(&inits, "Command.init", error))
			return FALSE;
		/* the value bytes of Command.init are what the signature covers (§6.3) */
		scan->init_offset = f.value_off;
		scan->init_len = f.value_len;
		if (!bdfu_wire_scan_init(bdfu_wire_sub(&w, &f), scan, error))
			return FALSE;
	}
	if (rc < 0)
		return FALSE;
	if (inits == 0) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "init packet has no InitCommand (Command.init is missing)");
		return FALSE;
	}
	return TRUE;
}

static gboolean
bdfu_wire_scan_signed(BdfuWire w, BdfuWireScan *scan, GError **error)
{
	BdfuWireField f;
	guint commands = 0, signatures = 0;
	gint rc;

	while ((rc = bdfu_wire_next(&w, "SignedCommand", &f, error)) > 0) {
		if (f.tag == dfu_SignedCommand_command_tag) {
			if (!bdfu_wire_expect(&f, WT_LEN, "SignedCommand.command", error) ||
			    !bdfu_wire_once(&commands, "SignedCommand.command", error) ||
			    !bdfu_wire_scan_command(bdfu_wire_sub(&w, &f), scan, error))
				return FALSE;
		} else if (f.tag == dfu_SignedCommand_signature_tag) {
			if (!bdfu_wire_expect(&f, WT_LEN, "SignedCommand.signature", error) ||
			    !bdfu_wire_once(&signatures, "SignedCommand.signature", error))
				return FALSE;
			if (f.value_len > BDFU_SIGNATURE_LEN) {
				g_set_error(error,
					    BDFU_ERROR,
					    BDFU_ERROR_BAD_PACKAGE,
					    "init packet signature is %" G_GSIZE_FORMAT
					    " bytes, at most %u are allowed",
					    f.value_len,
					    (guint)BDFU_SIGNATURE_LEN);
				return FALSE;
			}
		}
	}
	if (rc < 0)
		return FALSE;
	if (commands == 0) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "init packet signed_command has no command");
		return FALSE;
	}
	if (signatures == 0) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "init packet signed_command has no signature");
		return FALSE;
	}
	return TRUE;
}

static gboolean
bdfu_wire_scan_packet(const guint8 *data, gsize len, BdfuWireScan *scan, GError **error)
{
	BdfuWire w = {data, 0, len};
	BdfuWireField f, cmd = {0}, signed_cmd = {0};
	guint commands = 0, signed_commands = 0;
	gint rc;

	while ((rc = bdfu_wire_next(&w, "Packet", &f, error)) > 0) {
		if (f.tag == dfu_Packet_command_tag) {
			if (!bdfu_wire_expect(&f, WT_LEN, "Packet.command", error) ||
			    !bdfu_wire_once(&commands, "Packet.command", error))
				return FALSE;
			cmd = f;
		} else if (f.tag == dfu_Packet_signed_command_tag) {
			if (!bdfu_wire_expect(&f, WT_LEN, "Packet.signed_command", error) ||
			    !bdfu_wire_once(&signed_commands, "Packet.signed_command", error))
				return FALSE;
			signed_cmd = f;
		}
	}
	if (rc < 0)
		return FALSE;
	if (commands > 0 && signed_commands > 0) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "init packet has both command and signed_command; the bootloader "
		    "accepts exactly one");
		return FALSE;
	}
	if (commands == 0 && signed_commands == 0) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "init packet has neither command nor signed_command: not a Secure "
		    "DFU init packet");
		return FALSE;
	}
	if (commands > 0)
		return bdfu_wire_scan_command(bdfu_wire_sub(&w, &cmd), scan, error);
	return bdfu_wire_scan_signed(bdfu_wire_sub(&w, &signed_cmd), scan, error);
}

static void
bdfu_init_packet_copy_init(BdfuInitPacket *p, const dfu_InitCommand *init)
{
	p->has_fw_version = init->has_fw_version;
	p->fw_version = init->fw_version;
	p->has_hw_version = init->has_hw_version;
	p->hw_version = init->hw_version;
	p->sd_req_len = MIN(init->sd_req_count, BDFU_INIT_SD_REQ_MAX);
	memcpy(p->sd_req, init->sd_req, p->sd_req_len * sizeof(guint32));
	p->has_type = init->has_type;
	p->type = (guint32)init->type;
	p->has_sd_size = init->has_sd_size;
	p->sd_size = init->sd_size;
	p->has_bl_size = init->has_bl_size;
	p->bl_size = init->bl_size;
	p->has_app_size = init->has_app_size;
	p->app_size = init->app_size;
	p->has_hash = init->has_hash;
	if (init->has_hash) {
		p->hash_type = (guint32)init->hash.hash_type;
		p->hash_len = MIN(init->hash.hash.size, sizeof(p->hash));
		memcpy(p->hash, init->hash.hash.bytes, p->hash_len);
	}
	p->has_is_debug = init->has_is_debug;
	p->is_debug = init->is_debug;
	p->boot_validation_len = MIN(init->boot_validation_count, BDFU_INIT_BOOT_VALIDATION_MAX);
	for (guint i = 0; i < p->boot_validation_len; i++) {
		const dfu_BootValidation *bv = &init->boot_validation[i];
		p->boot_validation[i].type = (guint32)bv->type;
		p->boot_validation[i].bytes_len = MIN(bv->bytes.size, sizeof(bv->bytes.bytes));
		memcpy(
		    p->boot_validation[i].bytes, bv->bytes.bytes, p->boot_validation[i].bytes_len);
	}
}

BdfuInitPacket *
bdfu_init_packet_parse(const guint8 *data, gsize len, GError **error)
{
	g_autofree dfu_Packet *msg = NULL;
	g_autoptr(BdfuInitPacket) packet = NULL;
	const dfu_Command *cmd;
	BdfuWireScan scan = {0};
	pb_istream_t stream;

	g_return_val_if_fail(data != NULL || len == 0, NULL);

	if (len == 0) {
		g_set_error_literal(
		    error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE, "init packet is empty");
		return NULL;
	}
	if (len > BDFU_INIT_PACKET_MAX_SIZE) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "init packet is %" G_GSIZE_FORMAT " bytes, over the %u-byte limit",
			    len,
			    (guint)BDFU_INIT_PACKET_MAX_SIZE);
		return NULL;
	}
	/* our own walk first: it names the problem and finds what nanopb hides */
	if (!bdfu_wire_scan_packet(data, len, &scan, error)) {
		/* nrfutil's packets start with Packet.command or Packet.signed_command (§7.2) */
		if (data[0] != 0x0A && data[0] != 0x12)
			g_prefix_error(error,
				       "not a Secure DFU init packet (it starts with 0x%02X, not "
				       "0x0A or 0x12; SDK 11 and older use a legacy format): ",
				       data[0]);
		return NULL;
	}

	msg = g_new0(dfu_Packet, 1);
	stream = pb_istream_from_buffer(data, len);
	if (!pb_decode(&stream, dfu_Packet_fields, msg)) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "init packet is not a valid dfu.Packet: %s",
			    PB_GET_ERROR(&stream));
		return NULL;
	}

	packet = g_new0(BdfuInitPacket, 1);
	packet->is_signed = msg->has_signed_command;
	if (msg->has_signed_command) {
		const dfu_SignedCommand *sc = &msg->signed_command;
		cmd = &sc->command;
		packet->has_signature_type = TRUE;
		packet->signature_type = (guint32)sc->signature_type;
		packet->signature_len = MIN(sc->signature.size, sizeof(packet->signature));
		memcpy(packet->signature, sc->signature.bytes, packet->signature_len);
	} else {
		cmd = &msg->command;
	}
	packet->has_op_code = cmd->has_op_code;
	packet->op_code = (guint32)cmd->op_code;
	packet->has_init = cmd->has_init;
	if (!cmd->has_op_code) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "init packet command has no op_code; it must be INIT (1)");
		return NULL;
	}
	if (cmd->op_code != BDFU_OP_CODE_INIT) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "init packet command has op_code %u, not INIT (1)",
			    (guint)cmd->op_code);
		return NULL;
	}
	bdfu_init_packet_copy_init(packet, &cmd->init);
	packet->sd_req_packed = scan.sd_req_packed;
	packet->init_offset = scan.init_offset;
	packet->init_len = scan.init_len;
	return g_steal_pointer(&packet);
}

void
bdfu_init_packet_free(BdfuInitPacket *packet)
{
	g_free(packet);
}

guint64
bdfu_init_packet_get_image_size(const BdfuInitPacket *packet)
{
	g_return_val_if_fail(packet != NULL, 0);
	switch (packet->type) {
	case BDFU_FW_TYPE_APPLICATION:
	case BDFU_FW_TYPE_EXTERNAL_APPLICATION:
		return packet->app_size;
	case BDFU_FW_TYPE_SOFTDEVICE:
		return packet->sd_size;
	case BDFU_FW_TYPE_BOOTLOADER:
		return packet->bl_size;
	case BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER:
		return (guint64)packet->sd_size + packet->bl_size;
	default:
		return (guint64)packet->sd_size + packet->bl_size + packet->app_size;
	}
}

const gchar *
bdfu_fw_type_to_string(guint32 type)
{
	switch (type) {
	case BDFU_FW_TYPE_APPLICATION:
		return "application";
	case BDFU_FW_TYPE_SOFTDEVICE:
		return "softdevice";
	case BDFU_FW_TYPE_BOOTLOADER:
		return "bootloader";
	case BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER:
		return "softdevice_bootloader";
	case BDFU_FW_TYPE_EXTERNAL_APPLICATION:
		return "external_application";
	default:
		return "unknown";
	}
}

static void
bdfu_sha256(const guint8 *data, gsize len, guint8 out[32])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	gsize out_len = 32;
	/* g_checksum_update takes a gssize */
	while (len > 0) {
		gsize chunk = MIN(len, (gsize)G_MAXSSIZE);
		g_checksum_update(sum, data, (gssize)chunk);
		data += chunk;
		len -= chunk;
	}
	g_checksum_get_digest(sum, out, &out_len);
}

void
bdfu_init_packet_hash_image(const guint8 *image, gsize len, guint8 out[32])
{
	guint8 digest[32];
	g_return_if_fail(image != NULL || len == 0);
	bdfu_sha256(image != NULL ? image : (const guint8 *)"", len, digest);
	for (guint i = 0; i < 32; i++)
		out[i] = digest[31 - i];
}

BdfuHashCheck
bdfu_init_packet_check_hash(const BdfuInitPacket *packet, const guint8 *image, gsize image_len)
{
	guint8 reversed[32];
	guint8 straight[32];

	g_return_val_if_fail(packet != NULL, BDFU_HASH_CHECK_UNSUPPORTED);
	g_return_val_if_fail(image != NULL || image_len == 0, BDFU_HASH_CHECK_UNSUPPORTED);
	if (!packet->has_hash || packet->hash_type != BDFU_HASH_TYPE_SHA256 ||
	    packet->hash_len != 32)
		return BDFU_HASH_CHECK_UNSUPPORTED;
	bdfu_init_packet_hash_image(image, image_len, reversed);
	if (memcmp(reversed, packet->hash, 32) == 0)
		return BDFU_HASH_CHECK_MATCH;
	for (guint i = 0; i < 32; i++)
		straight[i] = reversed[31 - i];
	if (memcmp(straight, packet->hash, 32) == 0)
		return BDFU_HASH_CHECK_MATCH_BIG_ENDIAN;
	return BDFU_HASH_CHECK_MISMATCH;
}

BdfuSignatureCheck
bdfu_init_packet_verify(const BdfuInitPacket *packet,
			const guint8 *data,
			gsize len,
			const BdfuKey *key)
{
	g_return_val_if_fail(packet != NULL, BDFU_SIGNATURE_INVALID);
	if (!packet->is_signed)
		return BDFU_SIGNATURE_ABSENT;
	if (key == NULL)
		return BDFU_SIGNATURE_UNCHECKED;
	/* the bootloader refuses these before looking at the signature itself (§8.1) */
	if (packet->signature_type != BDFU_SIGNATURE_TYPE_ECDSA_P256_SHA256 ||
	    packet->signature_len != BDFU_SIGNATURE_LEN)
		return BDFU_SIGNATURE_INVALID;
	if (data == NULL || packet->init_offset > len ||
	    packet->init_len > len - packet->init_offset)
		return BDFU_SIGNATURE_INVALID;
	if (!bdfu_key_verify_le(
		key, data + packet->init_offset, packet->init_len, packet->signature))
		return BDFU_SIGNATURE_INVALID;
	return BDFU_SIGNATURE_VALID;
}

const gchar *
bdfu_signature_check_to_string(BdfuSignatureCheck check)
{
	switch (check) {
	case BDFU_SIGNATURE_VALID:
		return "valid";
	case BDFU_SIGNATURE_INVALID:
		return "invalid";
	case BDFU_SIGNATURE_UNCHECKED:
		return "unchecked";
	case BDFU_SIGNATURE_ABSENT:
		return "absent";
	default:
		return "unknown";
	}
}

static gboolean
bdfu_init_packet_to_pb(const BdfuInitPacket *p, dfu_InitCommand *init, GError **error)
{
	if (p->sd_req_len > BDFU_INIT_SD_REQ_MAX || p->hash_len > sizeof(p->hash) ||
	    p->boot_validation_len > BDFU_INIT_BOOT_VALIDATION_MAX) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_INVALID_ARGUMENT,
		    "init packet has more sd_req, hash or boot validation bytes than "
		    "the format allows");
		return FALSE;
	}
	init->has_fw_version = p->has_fw_version;
	init->fw_version = p->fw_version;
	init->has_hw_version = p->has_hw_version;
	init->hw_version = p->hw_version;
	init->sd_req_count = (pb_size_t)p->sd_req_len;
	memcpy(init->sd_req, p->sd_req, p->sd_req_len * sizeof(guint32));
	init->has_type = p->has_type;
	init->type = (dfu_FwType)p->type;
	init->has_sd_size = p->has_sd_size;
	init->sd_size = p->sd_size;
	init->has_bl_size = p->has_bl_size;
	init->bl_size = p->bl_size;
	init->has_app_size = p->has_app_size;
	init->app_size = p->app_size;
	init->has_hash = p->has_hash;
	init->hash.hash_type = (dfu_HashType)p->hash_type;
	init->hash.hash.size = (pb_size_t)p->hash_len;
	memcpy(init->hash.hash.bytes, p->hash, p->hash_len);
	init->has_is_debug = p->has_is_debug;
	init->is_debug = p->is_debug;
	init->boot_validation_count = (pb_size_t)p->boot_validation_len;
	for (guint i = 0; i < p->boot_validation_len; i++) {
		const BdfuBootValidation *bv = &p->boot_validation[i];
		if (bv->bytes_len > sizeof(bv->bytes)) {
			g_set_error_literal(error,
					    BDFU_ERROR,
					    BDFU_ERROR_INVALID_ARGUMENT,
					    "init packet boot validation is over 64 bytes");
			return FALSE;
		}
		init->boot_validation[i].type = (dfu_ValidationType)bv->type;
		init->boot_validation[i].bytes.size = (pb_size_t)bv->bytes_len;
		memcpy(init->boot_validation[i].bytes.bytes, bv->bytes, bv->bytes_len);
	}
	return TRUE;
}

static gboolean
bdfu_init_packet_pb_encode(const pb_msgdesc_t *fields,
			   const void *msg,
			   guint8 *buf,
			   gsize *len,
			   GError **error)
{
	pb_ostream_t stream = pb_ostream_from_buffer(buf, *len);
	if (!pb_encode(&stream, fields, msg)) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "cannot encode the init packet: %s (the limit is %u bytes)",
			    PB_GET_ERROR(&stream),
			    (guint)BDFU_INIT_PACKET_MAX_SIZE);
		return FALSE;
	}
	*len = stream.bytes_written;
	return TRUE;
}

GBytes *
bdfu_init_packet_encode(const BdfuInitPacket *packet, const BdfuKey *key, GError **error)
{
	g_autofree dfu_Packet *msg = NULL;
	g_autoptr(BdfuInitPacket) check = NULL;
	guint8 buf[BDFU_INIT_PACKET_MAX_SIZE];
	gsize len = sizeof(buf);
	dfu_Command *cmd;

	g_return_val_if_fail(packet != NULL, NULL);
	if (key != NULL && !bdfu_key_has_private(key)) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_INVALID_ARGUMENT,
		    "signing the init packet needs a private key, but this is a public "
		    "key; give the private key file (BEGIN EC PRIVATE KEY)");
		return NULL;
	}
	msg = g_new0(dfu_Packet, 1);
	cmd = key != NULL ? &msg->signed_command.command : &msg->command;
	msg->has_signed_command = key != NULL;
	msg->has_command = key == NULL;
	/* an init packet is always an INIT command, as nrfutil writes it */
	cmd->has_op_code = TRUE;
	cmd->op_code = dfu_OpCode_INIT;
	cmd->has_init = TRUE;
	if (!bdfu_init_packet_to_pb(packet, &cmd->init, error))
		return NULL;

	if (key != NULL) {
		/* sign the InitCommand bytes; nanopb encodes them the same way inside the packet */
		guint8 init_buf[BDFU_INIT_PACKET_MAX_SIZE];
		gsize init_len = sizeof(init_buf);
		if (!bdfu_init_packet_pb_encode(
			dfu_InitCommand_fields, &cmd->init, init_buf, &init_len, error))
			return NULL;
		if (!bdfu_key_sign_le(
			key, init_buf, init_len, msg->signed_command.signature.bytes, error))
			return NULL;
		msg->signed_command.signature_type = dfu_SignatureType_ECDSA_P256_SHA256;
		msg->signed_command.signature.size = BDFU_SIGNATURE_LEN;
	}
	if (!bdfu_init_packet_pb_encode(dfu_Packet_fields, msg, buf, &len, error))
		return NULL;

	/* what we hand out must be what we accept, and signed as a bootloader checks it */
	check = bdfu_init_packet_parse(buf, len, error);
	if (check == NULL) {
		g_prefix_error(error, "encoded init packet does not parse back: ");
		return NULL;
	}
	if (key != NULL && bdfu_init_packet_verify(check, buf, len, key) != BDFU_SIGNATURE_VALID) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_FAILED,
				    "encoded init packet does not verify with its own key");
		return NULL;
	}
	return g_bytes_new(buf, len);
}
