/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/bdfu-proto.h"

#include <string.h>

#include "bluedfu/bdfu-error.h"

/* hex dumps in error messages stop here so hostile input cannot blow up a log line */
#define BDFU_PROTO_HEX_MAX 32

static void
bdfu_proto_put_u32(guint8 *p, guint32 v)
{
	p[0] = (guint8)v;
	p[1] = (guint8)(v >> 8);
	p[2] = (guint8)(v >> 16);
	p[3] = (guint8)(v >> 24);
}

static guint32
bdfu_proto_get_u32(const guint8 *p)
{
	return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

static gchar *
bdfu_proto_hex(const guint8 *buf, gsize len)
{
	GString *str = g_string_new(NULL);
	for (gsize i = 0; i < len && i < BDFU_PROTO_HEX_MAX; i++)
		g_string_append_printf(str, i == 0 ? "%02X" : " %02X", buf[i]);
	if (len > BDFU_PROTO_HEX_MAX)
		g_string_append_printf(str, " ... (%" G_GSIZE_FORMAT " bytes)", len);
	if (len == 0)
		g_string_append(str, "(empty)");
	return g_string_free(str, FALSE);
}

/* request encoders ------------------------------------------------------------------------- */

gsize
bdfu_proto_encode_select(guint8 *buf, BdfuObjectType type)
{
	buf[0] = BDFU_OP_SELECT;
	buf[1] = (guint8)type;
	return 2;
}

gsize
bdfu_proto_encode_create(guint8 *buf, BdfuObjectType type, guint32 size)
{
	buf[0] = BDFU_OP_CREATE;
	buf[1] = (guint8)type;
	bdfu_proto_put_u32(buf + 2, size);
	return 6;
}

gsize
bdfu_proto_encode_set_prn(guint8 *buf, guint16 prn)
{
	buf[0] = BDFU_OP_SET_PRN;
	buf[1] = (guint8)prn;
	buf[2] = (guint8)(prn >> 8);
	return 3;
}

gsize
bdfu_proto_encode_calc_crc(guint8 *buf)
{
	buf[0] = BDFU_OP_CALC_CRC;
	return 1;
}

gsize
bdfu_proto_encode_execute(guint8 *buf)
{
	buf[0] = BDFU_OP_EXECUTE;
	return 1;
}

gsize
bdfu_proto_encode_abort(guint8 *buf)
{
	buf[0] = BDFU_OP_ABORT;
	return 1;
}

/* response encoders ------------------------------------------------------------------------ */

gsize
bdfu_proto_encode_response(guint8 *buf, guint8 request_opcode, guint8 result, guint8 ext_error)
{
	buf[0] = BDFU_OP_RESPONSE;
	buf[1] = request_opcode;
	buf[2] = result;
	if (result != BDFU_RES_EXT_ERROR)
		return 3;
	buf[3] = ext_error;
	return 4;
}

gsize
bdfu_proto_encode_response_select(guint8 *buf, guint32 max_size, guint32 offset, guint32 crc)
{
	bdfu_proto_encode_response(buf, BDFU_OP_SELECT, BDFU_RES_SUCCESS, 0);
	bdfu_proto_put_u32(buf + 3, max_size);
	bdfu_proto_put_u32(buf + 7, offset);
	bdfu_proto_put_u32(buf + 11, crc);
	return 15;
}

gsize
bdfu_proto_encode_response_crc(guint8 *buf, guint32 offset, guint32 crc)
{
	bdfu_proto_encode_response(buf, BDFU_OP_CALC_CRC, BDFU_RES_SUCCESS, 0);
	bdfu_proto_put_u32(buf + 3, offset);
	bdfu_proto_put_u32(buf + 7, crc);
	return 11;
}

/* decoder ---------------------------------------------------------------------------------- */

static gboolean
bdfu_proto_result_is_known(guint8 result)
{
	switch (result) {
	case BDFU_RES_INVALID:
	case BDFU_RES_SUCCESS:
	case BDFU_RES_OP_CODE_NOT_SUPPORTED:
	case BDFU_RES_INVALID_PARAMETER:
	case BDFU_RES_INSUFFICIENT_RESOURCES:
	case BDFU_RES_INVALID_OBJECT:
	case BDFU_RES_UNSUPPORTED_TYPE:
	case BDFU_RES_OPERATION_NOT_PERMITTED:
	case BDFU_RES_OPERATION_FAILED:
	case BDFU_RES_EXT_ERROR:
		return TRUE;
	default:
		return FALSE;
	}
}

static gboolean
bdfu_proto_opcode_is_known(guint8 opcode)
{
	return opcode <= BDFU_OP_ABORT && opcode != 0x05;
}

static gboolean
bdfu_proto_junk(const guint8 *buf, gsize len, GError **error, const gchar *why)
{
	g_autofree gchar *hex = bdfu_proto_hex(buf, len);
	g_set_error(error,
		    BDFU_ERROR,
		    BDFU_ERROR_PROTOCOL,
		    "malformed Control Point notification from the device [%s]: %s",
		    hex,
		    why);
	return FALSE;
}

/* exact length of a SUCCESS response, 0 when the payload is optional (requests whose payload
 * SDK 15.0-15.2 BLE bootloaders leave out) */
static gsize
bdfu_proto_success_len(guint8 opcode)
{
	switch (opcode) {
	case BDFU_OP_SELECT:
		return 15;
	case BDFU_OP_CALC_CRC:
		return 11;
	case BDFU_OP_CREATE:
	case BDFU_OP_SET_PRN:
	case BDFU_OP_EXECUTE:
	case BDFU_OP_ABORT:
	case BDFU_OP_WRITE:
		return 3;
	default:
		return 0;
	}
}

gboolean
bdfu_proto_decode_response(const guint8 *buf, gsize len, BdfuResponse *response, GError **error)
{
	BdfuResponse r = {0};
	g_autofree gchar *why = NULL;

	g_return_val_if_fail(buf != NULL || len == 0, FALSE);
	g_return_val_if_fail(response != NULL, FALSE);

	if (len < 3)
		return bdfu_proto_junk(buf, len, error, "shorter than the 3-byte response header");
	if (buf[0] != BDFU_OP_RESPONSE) {
		why = g_strdup_printf("starts with 0x%02X, not the response code 0x60", buf[0]);
		return bdfu_proto_junk(buf, len, error, why);
	}
	r.request_opcode = buf[1];
	r.result = buf[2];
	if (!bdfu_proto_result_is_known(r.result)) {
		why = g_strdup_printf("result code 0x%02X is not part of the protocol", r.result);
		return bdfu_proto_junk(buf, len, error, why);
	}
	if (r.request_opcode == BDFU_OP_RESPONSE ||
	    (r.result == BDFU_RES_SUCCESS && !bdfu_proto_opcode_is_known(r.request_opcode))) {
		why = g_strdup_printf("answers opcode 0x%02X, which no request uses",
				      r.request_opcode);
		return bdfu_proto_junk(buf, len, error, why);
	}
	if (r.result == BDFU_RES_EXT_ERROR) {
		if (len != 4) {
			why = g_strdup_printf(
			    "an extended error needs exactly 1 code byte, got %" G_GSIZE_FORMAT,
			    len - 3);
			return bdfu_proto_junk(buf, len, error, why);
		}
		r.ext_error = buf[3];
	} else if (r.result != BDFU_RES_SUCCESS) {
		if (len != 3) {
			why = g_strdup_printf(
			    "an error response carries no payload, got %" G_GSIZE_FORMAT " bytes",
			    len - 3);
			return bdfu_proto_junk(buf, len, error, why);
		}
	} else {
		gsize want = bdfu_proto_success_len(r.request_opcode);
		if (want != 0 && len != want) {
			why = g_strdup_printf("a %s response carries %" G_GSIZE_FORMAT
					      " payload bytes, got %" G_GSIZE_FORMAT,
					      bdfu_proto_opcode_to_string(r.request_opcode),
					      want - 3,
					      len - 3);
			return bdfu_proto_junk(buf, len, error, why);
		}
		r.has_payload = len > 3;
		if (r.request_opcode == BDFU_OP_SELECT) {
			r.max_size = bdfu_proto_get_u32(buf + 3);
			r.offset = bdfu_proto_get_u32(buf + 7);
			r.crc = bdfu_proto_get_u32(buf + 11);
		} else if (r.request_opcode == BDFU_OP_CALC_CRC) {
			r.offset = bdfu_proto_get_u32(buf + 3);
			r.crc = bdfu_proto_get_u32(buf + 7);
		}
	}
	*response = r;
	return TRUE;
}

/* names ------------------------------------------------------------------------------------ */

const gchar *
bdfu_proto_opcode_to_string(guint8 opcode)
{
	switch (opcode) {
	case BDFU_OP_PROTOCOL_VERSION:
		return "Protocol Version";
	case BDFU_OP_CREATE:
		return "Create";
	case BDFU_OP_SET_PRN:
		return "Set PRN";
	case BDFU_OP_CALC_CRC:
		return "Calculate Checksum";
	case BDFU_OP_EXECUTE:
		return "Execute";
	case BDFU_OP_SELECT:
		return "Select";
	case BDFU_OP_GET_MTU:
		return "Get MTU";
	case BDFU_OP_WRITE:
		return "Write";
	case BDFU_OP_PING:
		return "Ping";
	case BDFU_OP_HW_VERSION:
		return "Hardware Version";
	case BDFU_OP_FW_VERSION:
		return "Firmware Version";
	case BDFU_OP_ABORT:
		return "Abort";
	case BDFU_OP_RESPONSE:
		return "Response";
	default:
		return "Unknown opcode";
	}
}

static const gchar *
bdfu_proto_ext_error_to_string(guint8 ext_error)
{
	switch (ext_error) {
	case BDFU_EXT_NO_ERROR:
		return "NO_ERROR";
	case BDFU_EXT_INVALID_ERROR_CODE:
		return "INVALID_ERROR_CODE";
	case BDFU_EXT_WRONG_COMMAND_FORMAT:
		return "WRONG_COMMAND_FORMAT";
	case BDFU_EXT_UNKNOWN_COMMAND:
		return "UNKNOWN_COMMAND";
	case BDFU_EXT_INIT_COMMAND_INVALID:
		return "INIT_COMMAND_INVALID";
	case BDFU_EXT_FW_VERSION_FAILURE:
		return "FW_VERSION_FAILURE";
	case BDFU_EXT_HW_VERSION_FAILURE:
		return "HW_VERSION_FAILURE";
	case BDFU_EXT_SD_VERSION_FAILURE:
		return "SD_VERSION_FAILURE";
	case BDFU_EXT_SIGNATURE_MISSING:
		return "SIGNATURE_MISSING";
	case BDFU_EXT_WRONG_HASH_TYPE:
		return "WRONG_HASH_TYPE";
	case BDFU_EXT_HASH_FAILED:
		return "HASH_FAILED";
	case BDFU_EXT_WRONG_SIGNATURE_TYPE:
		return "WRONG_SIGNATURE_TYPE";
	case BDFU_EXT_VERIFICATION_FAILED:
		return "VERIFICATION_FAILED";
	case BDFU_EXT_INSUFFICIENT_SPACE:
		return "INSUFFICIENT_SPACE";
	default:
		return "UNKNOWN_EXT_ERROR";
	}
}

const gchar *
bdfu_proto_result_to_string(guint8 result, guint8 ext_error)
{
	switch (result) {
	case BDFU_RES_INVALID:
		return "INVALID";
	case BDFU_RES_SUCCESS:
		return "SUCCESS";
	case BDFU_RES_OP_CODE_NOT_SUPPORTED:
		return "OP_CODE_NOT_SUPPORTED";
	case BDFU_RES_INVALID_PARAMETER:
		return "INVALID_PARAMETER";
	case BDFU_RES_INSUFFICIENT_RESOURCES:
		return "INSUFFICIENT_RESOURCES";
	case BDFU_RES_INVALID_OBJECT:
		return "INVALID_OBJECT";
	case BDFU_RES_UNSUPPORTED_TYPE:
		return "UNSUPPORTED_TYPE";
	case BDFU_RES_OPERATION_NOT_PERMITTED:
		return "OPERATION_NOT_PERMITTED";
	case BDFU_RES_OPERATION_FAILED:
		return "OPERATION_FAILED";
	case BDFU_RES_EXT_ERROR:
		return bdfu_proto_ext_error_to_string(ext_error);
	default:
		return "UNKNOWN_RESULT";
	}
}

/* messages, remedies and error codes ------------------------------------------------------- */

typedef struct {
	const gchar *message;
	const gchar *remedy;
	gint code;
} BdfuProtoText;

static const BdfuProtoText bdfu_proto_text_junk = {
    "the device answered with a result code that is not part of the Secure DFU protocol",
    "check that the device runs a Nordic Secure DFU bootloader (nRF5 SDK 12 to 17.1) and "
    "report the exchange shown by -v",
    BDFU_ERROR_PROTOCOL,
};

static const BdfuProtoText bdfu_proto_text_retry = {
    "the device could not finish the operation (a flash or settings write failed inside it)",
    "retry the update; if it fails again, power-cycle the device and retry",
    BDFU_ERROR_TRANSFER_FAILED,
};

/* a result for a given request opcode; PROTOCOL.md §2.3 says where each one is produced */
static BdfuProtoText
bdfu_proto_text_result(guint8 op, guint8 result)
{
	BdfuProtoText t = bdfu_proto_text_junk;
	switch (result) {
	case BDFU_RES_SUCCESS:
		t.message = "the device accepted the request";
		t.remedy = "nothing to do";
		t.code = BDFU_ERROR_FAILED;
		return t;
	case BDFU_RES_INVALID:
		t.message =
		    "the device answered INVALID, a code Secure DFU bootloaders do not send";
		return t;
	case BDFU_RES_OP_CODE_NOT_SUPPORTED:
		if (op == BDFU_OP_PROTOCOL_VERSION || op == BDFU_OP_GET_MTU || op == BDFU_OP_PING ||
		    op == BDFU_OP_HW_VERSION || op == BDFU_OP_FW_VERSION || op == BDFU_OP_ABORT) {
			t.message =
			    "the device's bootloader does not offer this request over BLE "
			    "(SDK 12-14 and the reduced protocol of SDK 15.3+ leave it out)";
			t.remedy =
			    "do not rely on this request; the update itself does not need it";
		} else {
			t.message =
			    "the device does not implement this Secure DFU request, so it is "
			    "not a bootloader this tool can update";
			t.remedy = "check that the device runs a Nordic Secure DFU bootloader "
				   "(SDK 12 to 17.1), not a legacy (SDK 11 or older) or custom one";
		}
		t.code = BDFU_ERROR_NOT_SUPPORTED;
		return t;
	case BDFU_RES_INVALID_PARAMETER:
		t.code = BDFU_ERROR_TRANSFER_FAILED;
		t.remedy = "retry the update; if it fails again, report the exchange shown by -v";
		if (op == BDFU_OP_CREATE)
			t.message =
			    "the device refused the object size (zero, or not a multiple of "
			    "the 4096-byte flash page for an object that is not the last one)";
		else if (op == BDFU_OP_CALC_CRC)
			t.message =
			    "the device refused a Packet write that went past the end of the "
			    "object it had created";
		else if (op == BDFU_OP_SET_PRN || op == BDFU_OP_SELECT)
			t.message =
			    "the device refused the request's parameters (SDK 12-14 "
			    "bootloaders also answer this to a request of the wrong length)";
		else
			t.message = "the device refused the request as malformed or unknown (SDK "
				    "12-14 bootloaders answer unknown requests this way)";
		return t;
	case BDFU_RES_INSUFFICIENT_RESOURCES:
		t.code = BDFU_ERROR_REJECTED;
		if (op == BDFU_OP_CREATE) {
			t.message = "the object is larger than the device accepts: an init packet "
				    "over 256 bytes (512 from SDK 15.3) or a data object over 4096 "
				    "bytes";
			t.remedy =
			    "build the package with a smaller init packet (fewer sd_req "
			    "entries, no boot-validation signature) for this older bootloader";
		} else if (op == BDFU_OP_EXECUTE) {
			t.message =
			    "the firmware image does not fit in the device's flash (between "
			    "the SoftDevice and the bootloader, or bl_size larger than the "
			    "bootloader area); the old application may already be erased";
			t.remedy =
			    "build a smaller image, and check that the package was built for "
			    "this chip and SoftDevice (an application must not contain the "
			    "SoftDevice or the MBR)";
		} else {
			t.message = "the device ran out of memory or flash for this request";
			t.remedy = "retry the update after power-cycling the device";
		}
		return t;
	case BDFU_RES_INVALID_OBJECT:
		if (op == BDFU_OP_EXECUTE) {
			t.message =
			    "the device rejected the package: the init packet is malformed, "
			    "its signature does not verify with the bootloader's key, or the "
			    "received image failed the device's checks (a SoftDevice of a new "
			    "major version needs the bootloader in the same image)";
			t.remedy =
			    "sign the package with the private key that matches the "
			    "bootloader's public key (check it with bluedfu inspect PACKAGE "
			    "--key PUB.pem), and send a new-major SoftDevice together with a "
			    "bootloader";
			t.code = BDFU_ERROR_REJECTED;
		} else {
			t.message =
			    "the device does not know the object type of this request, or no "
			    "valid object has been selected";
			t.remedy =
			    "restart the update; if it fails again, report the exchange shown "
			    "by -v";
			t.code = BDFU_ERROR_PROTOCOL;
		}
		return t;
	case BDFU_RES_UNSUPPORTED_TYPE:
		t.message = "the device does not support this object type";
		t.remedy = "check that the device runs a Nordic Secure DFU bootloader (SDK 12 to "
			   "17.1)";
		t.code = BDFU_ERROR_PROTOCOL;
		return t;
	case BDFU_RES_OPERATION_NOT_PERMITTED:
		t.code = BDFU_ERROR_TRANSFER_FAILED;
		t.remedy = "restart the update so the init packet is sent and executed again";
		if (op == BDFU_OP_CREATE)
			t.message =
			    "the device refuses a data object now: it holds no accepted init "
			    "packet, or the object would run past the image size the init "
			    "packet announced";
		else if (op == BDFU_OP_EXECUTE) {
			t.message = "the device has not received all bytes of the object, so it "
				    "cannot execute it (or the object was already executed)";
			t.remedy = "retry the update; lost packets are resent from the last "
				   "verified offset";
		} else if (op == BDFU_OP_CALC_CRC)
			t.message = "the device received firmware bytes before it accepted an init "
				    "packet";
		else
			t.message = "the device does not allow this request in its current state";
		return t;
	case BDFU_RES_OPERATION_FAILED:
		if (op == BDFU_OP_EXECUTE) {
			t.message =
			    "the device could not process the init packet: the signature is "
			    "not 64 bytes, hashing or the settings write failed, or (SDK 12) "
			    "the package breaks one of the bootloader's rules";
			t.remedy = "check the package with bluedfu doctor PACKAGE (signature, "
				   "hw_version, sd_req, version), fix what it reports and retry";
			t.code = BDFU_ERROR_REJECTED;
			return t;
		}
		return bdfu_proto_text_retry;
	default:
		return bdfu_proto_text_junk;
	}
}

/* extended errors (§2.4); the bootloader raises them while validating the init packet (§8.1),
 * except VERIFICATION_FAILED which comes with the final data Execute */
static BdfuProtoText
bdfu_proto_text_ext(guint8 ext_error)
{
	BdfuProtoText t = {NULL, NULL, BDFU_ERROR_REJECTED};
	switch (ext_error) {
	case BDFU_EXT_NO_ERROR:
		t.message =
		    "the device reported an extended error without a code (a bootloader bug)";
		t.remedy = "retry the update; if it fails again, report the exchange shown by -v";
		t.code = BDFU_ERROR_PROTOCOL;
		return t;
	case BDFU_EXT_INVALID_ERROR_CODE:
		t.message = "the device reported an invalid error code (a development build of the "
			    "bootloader)";
		t.remedy = "update the bootloader to a release build, or report the exchange "
			   "shown by -v";
		t.code = BDFU_ERROR_PROTOCOL;
		return t;
	case BDFU_EXT_WRONG_COMMAND_FORMAT:
		t.message = "the init packet's command has a format the bootloader does not accept";
		t.remedy = "rebuild the package with nrfutil pkg generate or bluedfu pkg generate";
		return t;
	case BDFU_EXT_UNKNOWN_COMMAND:
		t.message = "the bootloader does not accept this init packet: it is unsigned "
			    "(SDK 13-14 answer unsigned packages this way) or holds an unknown "
			    "command";
		t.remedy = "sign the package with the private key that matches the bootloader's "
			   "public key (pkg generate --key-file)";
		return t;
	case BDFU_EXT_INIT_COMMAND_INVALID:
		t.message = "the init packet lacks a required field (hw_version, fw_version or the "
			    "image size) or has a firmware type this bootloader does not support";
		t.remedy = "rebuild the package with --hw-version and --application-version (or "
			   "--bootloader-version) set, using a type the bootloader supports";
		return t;
	case BDFU_EXT_FW_VERSION_FAILURE:
		t.message = "the package's firmware version is lower than the one on the device (a "
			    "bootloader must be strictly newer than the installed one)";
		t.remedy = "build the package with a higher --application-version (or "
			   "--bootloader-version for a bootloader update)";
		return t;
	case BDFU_EXT_HW_VERSION_FAILURE:
		t.message = "the package is for different hardware: its hw_version differs from "
			    "the bootloader's (NRF_DFU_HW_VERSION)";
		t.remedy = "build the package with --hw-version set to the device's hardware "
			   "version (52 for nRF52 in Nordic's examples)";
		return t;
	case BDFU_EXT_SD_VERSION_FAILURE:
		t.message = "the package needs a different SoftDevice than the one on the device "
			    "(sd_req)";
		t.remedy =
		    "build the package with --sd-req set to the device's SoftDevice FWID, or "
		    "send a SoftDevice+bootloader update first";
		return t;
	case BDFU_EXT_SIGNATURE_MISSING:
		t.message = "the package is not signed, but the bootloader requires a signature";
		t.remedy = "sign the package with the private key that matches the bootloader's "
			   "public key (pkg generate --key-file)";
		return t;
	case BDFU_EXT_WRONG_HASH_TYPE:
		t.message = "the init packet's firmware hash is not SHA-256, the only kind the "
			    "bootloader accepts";
		t.remedy = "rebuild the package with nrfutil pkg generate or bluedfu pkg generate, "
			   "which use SHA-256";
		return t;
	case BDFU_EXT_HASH_FAILED:
		t.message = "the device could not compute the firmware hash";
		t.remedy = "retry the update; if it fails again, power-cycle the device and retry";
		t.code = BDFU_ERROR_TRANSFER_FAILED;
		return t;
	case BDFU_EXT_WRONG_SIGNATURE_TYPE:
		t.message = "the init packet's signature is not ECDSA P-256 with SHA-256, the only "
			    "kind the bootloader accepts";
		t.remedy = "sign the package with an ECDSA P-256 key (pkg generate --key-file)";
		return t;
	case BDFU_EXT_VERIFICATION_FAILED:
		t.message = "the firmware the device received does not match the hash in the init "
			    "packet";
		t.remedy = "check that the package's .bin and .dat belong together (bluedfu "
			   "inspect PACKAGE), then retry the update";
		t.code = BDFU_ERROR_TRANSFER_FAILED;
		return t;
	case BDFU_EXT_INSUFFICIENT_SPACE:
		t.message = "the firmware image does not fit in the device's free flash";
		t.remedy = "build a smaller image, and check that the package was built for this "
			   "chip and SoftDevice";
		return t;
	default:
		t.message = "the device reported an extended error code this tool does not know";
		t.remedy = "check that the device runs a Nordic Secure DFU bootloader (SDK 12 to "
			   "17.1) and report the exchange shown by -v";
		t.code = BDFU_ERROR_PROTOCOL;
		return t;
	}
}

static BdfuProtoText
bdfu_proto_text(guint8 request_opcode, guint8 result, guint8 ext_error)
{
	if (result == BDFU_RES_EXT_ERROR)
		return bdfu_proto_text_ext(ext_error);
	return bdfu_proto_text_result(request_opcode, result);
}

const gchar *
bdfu_proto_result_to_message(guint8 request_opcode, guint8 result, guint8 ext_error)
{
	return bdfu_proto_text(request_opcode, result, ext_error).message;
}

const gchar *
bdfu_proto_result_to_remedy(guint8 request_opcode, guint8 result, guint8 ext_error)
{
	return bdfu_proto_text(request_opcode, result, ext_error).remedy;
}

gint
bdfu_proto_result_to_error_code(guint8 request_opcode, guint8 result, guint8 ext_error)
{
	return bdfu_proto_text(request_opcode, result, ext_error).code;
}

GError *
bdfu_proto_result_to_error(guint8 request_opcode, guint8 result, guint8 ext_error)
{
	BdfuProtoText t = bdfu_proto_text(request_opcode, result, ext_error);
	return g_error_new(BDFU_ERROR,
			   t.code,
			   "%s failed: %s: %s\n%s",
			   bdfu_proto_opcode_to_string(request_opcode),
			   bdfu_proto_result_to_string(result, ext_error),
			   t.message,
			   t.remedy);
}

/* descriptions for -v ---------------------------------------------------------------------- */

static const gchar *
bdfu_proto_type_to_string(guint8 type)
{
	switch (type) {
	case BDFU_OBJ_COMMAND:
		return "command";
	case BDFU_OBJ_DATA:
		return "data";
	default:
		return NULL;
	}
}

static gchar *
bdfu_proto_describe_type(guint8 type)
{
	const gchar *name = bdfu_proto_type_to_string(type);
	if (name != NULL)
		return g_strdup(name);
	return g_strdup_printf("type 0x%02X", type);
}

gchar *
bdfu_proto_describe_request(const guint8 *buf, gsize len)
{
	g_autofree gchar *hex = NULL;
	g_autofree gchar *type = NULL;
	const gchar *name;

	if (buf == NULL || len == 0)
		return g_strdup("empty request");
	name = bdfu_proto_opcode_to_string(buf[0]);
	switch (buf[0]) {
	case BDFU_OP_CREATE:
		if (len != 6)
			break;
		type = bdfu_proto_describe_type(buf[1]);
		return g_strdup_printf("Create %s %u", type, bdfu_proto_get_u32(buf + 2));
	case BDFU_OP_SELECT:
		if (len != 2)
			break;
		type = bdfu_proto_describe_type(buf[1]);
		return g_strdup_printf("Select %s", type);
	case BDFU_OP_SET_PRN:
		if (len != 3)
			break;
		return g_strdup_printf("Set PRN %u", (guint)buf[1] | ((guint)buf[2] << 8));
	case BDFU_OP_CALC_CRC:
	case BDFU_OP_EXECUTE:
	case BDFU_OP_ABORT:
	case BDFU_OP_PROTOCOL_VERSION:
	case BDFU_OP_GET_MTU:
	case BDFU_OP_HW_VERSION:
		if (len != 1)
			break;
		return g_strdup(name);
	default:
		break;
	}
	hex = bdfu_proto_hex(buf, len);
	if (!bdfu_proto_opcode_is_known(buf[0]))
		return g_strdup_printf("unknown request [%s]", hex);
	return g_strdup_printf("%s [%s]", name, hex);
}

gchar *
bdfu_proto_describe_response(const guint8 *buf, gsize len)
{
	BdfuResponse r;
	g_autoptr(GError) error = NULL;
	const gchar *op;
	const gchar *res;

	if (!bdfu_proto_decode_response(buf, len, &r, &error))
		return g_strdup(error->message);
	op = bdfu_proto_opcode_to_string(r.request_opcode);
	res = bdfu_proto_result_to_string(r.result, r.ext_error);
	if (r.result == BDFU_RES_SUCCESS && r.request_opcode == BDFU_OP_SELECT)
		return g_strdup_printf("Response %s: %s max_size=%u offset=%u crc=0x%08X",
				       op,
				       res,
				       r.max_size,
				       r.offset,
				       r.crc);
	if (r.result == BDFU_RES_SUCCESS && r.request_opcode == BDFU_OP_CALC_CRC)
		return g_strdup_printf(
		    "Response %s: %s offset=%u crc=0x%08X", op, res, r.offset, r.crc);
	if (r.has_payload) {
		g_autofree gchar *hex = bdfu_proto_hex(buf + 3, len - 3);
		return g_strdup_printf("Response %s: %s [%s]", op, res, hex);
	}
	if (r.result == BDFU_RES_EXT_ERROR)
		return g_strdup_printf("Response %s: EXT_ERROR %s", op, res);
	return g_strdup_printf("Response %s: %s", op, res);
}

/* buttonless (§5) -------------------------------------------------------------------------- */

gsize
bdfu_proto_encode_buttonless_enter(guint8 *buf)
{
	buf[0] = BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER;
	return 1;
}

gsize
bdfu_proto_encode_buttonless_set_name(guint8 *buf, const gchar *name)
{
	gsize len = name != NULL ? strlen(name) : 0;
	if (len == 0 || len > BDFU_BUTTONLESS_NAME_MAX)
		return 0;
	buf[0] = BDFU_BUTTONLESS_OP_SET_NAME;
	buf[1] = (guint8)len;
	memcpy(buf + 2, name, len);
	return 2 + len;
}

gboolean
bdfu_proto_decode_buttonless_response(const guint8 *buf,
				      gsize len,
				      guint8 *request_opcode,
				      guint8 *result,
				      GError **error)
{
	g_autofree gchar *hex = NULL;
	const gchar *why = NULL;

	g_return_val_if_fail(buf != NULL || len == 0, FALSE);
	if (len != 3)
		why = "a buttonless response is exactly 3 bytes";
	else if (buf[0] != BDFU_BUTTONLESS_OP_RESPONSE)
		why = "it does not start with the response code 0x20";
	else if (g_strcmp0(bdfu_proto_buttonless_result_to_string(buf[2]), "UNKNOWN") == 0)
		why = "its result code is not part of the buttonless protocol";
	else if (buf[2] == BDFU_BUTTONLESS_RES_SUCCESS &&
		 buf[1] != BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER &&
		 buf[1] != BDFU_BUTTONLESS_OP_SET_NAME)
		why = "it reports success for a request that does not exist";
	if (why != NULL) {
		hex = bdfu_proto_hex(buf, len);
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_PROTOCOL,
			    "malformed buttonless indication from the device [%s]: %s",
			    hex,
			    why);
		return FALSE;
	}
	if (request_opcode != NULL)
		*request_opcode = buf[1];
	if (result != NULL)
		*result = buf[2];
	return TRUE;
}

const gchar *
bdfu_proto_buttonless_result_to_string(guint8 result)
{
	switch (result) {
	case BDFU_BUTTONLESS_RES_SUCCESS:
		return "SUCCESS";
	case BDFU_BUTTONLESS_RES_OP_CODE_NOT_SUPPORTED:
		return "OP_CODE_NOT_SUPPORTED";
	case BDFU_BUTTONLESS_RES_OPERATION_FAILED:
		return "OPERATION_FAILED";
	case BDFU_BUTTONLESS_RES_INVALID_ADV_NAME:
		return "INVALID_ADV_NAME";
	case BDFU_BUTTONLESS_RES_BUSY:
		return "BUSY";
	case BDFU_BUTTONLESS_RES_NOT_BONDED:
		return "NOT_BONDED";
	default:
		return "UNKNOWN";
	}
}
