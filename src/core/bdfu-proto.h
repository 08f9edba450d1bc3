/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Secure DFU Control Point PDUs (PROTOCOL.md §2) and buttonless PDUs (§5). Pure codec. */

typedef enum {
	BDFU_OP_PROTOCOL_VERSION = 0x00,
	BDFU_OP_CREATE = 0x01,
	BDFU_OP_SET_PRN = 0x02,
	BDFU_OP_CALC_CRC = 0x03,
	BDFU_OP_EXECUTE = 0x04,
	BDFU_OP_SELECT = 0x06,
	BDFU_OP_GET_MTU = 0x07,
	BDFU_OP_WRITE = 0x08,
	BDFU_OP_PING = 0x09,
	BDFU_OP_HW_VERSION = 0x0A,
	BDFU_OP_FW_VERSION = 0x0B,
	BDFU_OP_ABORT = 0x0C,
	BDFU_OP_RESPONSE = 0x60,
} BdfuOpcode;

typedef enum {
	BDFU_OBJ_COMMAND = 1,
	BDFU_OBJ_DATA = 2,
} BdfuObjectType;

typedef enum {
	BDFU_RES_INVALID = 0x00,
	BDFU_RES_SUCCESS = 0x01,
	BDFU_RES_OP_CODE_NOT_SUPPORTED = 0x02,
	BDFU_RES_INVALID_PARAMETER = 0x03,
	BDFU_RES_INSUFFICIENT_RESOURCES = 0x04,
	BDFU_RES_INVALID_OBJECT = 0x05,
	BDFU_RES_UNSUPPORTED_TYPE = 0x07,
	BDFU_RES_OPERATION_NOT_PERMITTED = 0x08,
	BDFU_RES_OPERATION_FAILED = 0x0A,
	BDFU_RES_EXT_ERROR = 0x0B,
} BdfuResult;

typedef enum {
	BDFU_EXT_NO_ERROR = 0x00,
	BDFU_EXT_INVALID_ERROR_CODE = 0x01,
	BDFU_EXT_WRONG_COMMAND_FORMAT = 0x02,
	BDFU_EXT_UNKNOWN_COMMAND = 0x03,
	BDFU_EXT_INIT_COMMAND_INVALID = 0x04,
	BDFU_EXT_FW_VERSION_FAILURE = 0x05,
	BDFU_EXT_HW_VERSION_FAILURE = 0x06,
	BDFU_EXT_SD_VERSION_FAILURE = 0x07,
	BDFU_EXT_SIGNATURE_MISSING = 0x08,
	BDFU_EXT_WRONG_HASH_TYPE = 0x09,
	BDFU_EXT_HASH_FAILED = 0x0A,
	BDFU_EXT_WRONG_SIGNATURE_TYPE = 0x0B,
	BDFU_EXT_VERIFICATION_FAILED = 0x0C,
	BDFU_EXT_INSUFFICIENT_SPACE = 0x0D,
} BdfuExtError;

/* longest request is Create: 1 + 1 + 4 */
#define BDFU_PROTO_MAX_REQUEST 6
/* longest BLE response is Select: 3 + 12 */
#define BDFU_PROTO_MAX_RESPONSE 15

/* a decoded Control Point notification */
typedef struct {
	guint8 request_opcode;
	guint8 result; /* BdfuResult */
	guint8 ext_error; /* BdfuExtError, valid when result == BDFU_RES_EXT_ERROR */
	gboolean has_payload;
	guint32 max_size; /* Select */
	guint32 offset; /* Select, Calculate Checksum, PRN */
	guint32 crc; /* Select, Calculate Checksum, PRN */
} BdfuResponse;

/* request encoders: write into buf (at least BDFU_PROTO_MAX_REQUEST bytes), return the length */
gsize
bdfu_proto_encode_select(guint8 *buf, BdfuObjectType type);
gsize
bdfu_proto_encode_create(guint8 *buf, BdfuObjectType type, guint32 size);
gsize
bdfu_proto_encode_set_prn(guint8 *buf, guint16 prn);
gsize
bdfu_proto_encode_calc_crc(guint8 *buf);
gsize
bdfu_proto_encode_execute(guint8 *buf);
gsize
bdfu_proto_encode_abort(guint8 *buf);

/* response encoders, used by the target model: buf at least BDFU_PROTO_MAX_RESPONSE bytes */
gsize
bdfu_proto_encode_response(guint8 *buf, guint8 request_opcode, guint8 result, guint8 ext_error);
gsize
bdfu_proto_encode_response_select(guint8 *buf, guint32 max_size, guint32 offset, guint32 crc);
gsize
bdfu_proto_encode_response_crc(guint8 *buf, guint32 offset, guint32 crc);

/* decodes a notification; junk (wrong header, short payload for the opcode) is a
 * BDFU_ERROR_PROTOCOL error naming the bytes */
gboolean
bdfu_proto_decode_response(const guint8 *buf, gsize len, BdfuResponse *response, GError **error);

/* "Select", "Create", ... */
const gchar *
bdfu_proto_opcode_to_string(guint8 opcode);
/* "INSUFFICIENT_RESOURCES", ... and "SD_VERSION_FAILURE" for extended errors */
const gchar *
bdfu_proto_result_to_string(guint8 result, guint8 ext_error);
/* one sentence, what the target meant, in the user's terms */
const gchar *
bdfu_proto_result_to_message(guint8 request_opcode, guint8 result, guint8 ext_error);
/* one sentence, what to do about it */
const gchar *
bdfu_proto_result_to_remedy(guint8 request_opcode, guint8 result, guint8 ext_error);
/* the BdfuError a failed result maps to: REJECTED for init-packet validation, TRANSFER_FAILED
 * for data problems, PROTOCOL for impossible answers, NOT_SUPPORTED for OP_CODE_NOT_SUPPORTED
 * (BDFU_ERROR_FAILED for SUCCESS, which is not a failure) */
gint
bdfu_proto_result_to_error_code(guint8 request_opcode, guint8 result, guint8 ext_error);
/* a GError with message "<Opcode> failed: <RESULT>: <message>" + remedy on a second line */
GError *
bdfu_proto_result_to_error(guint8 request_opcode, guint8 result, guint8 ext_error);
/* "Create data 4096", "Select command", "Response Select: SUCCESS max_size=4096 offset=0
 * crc=0x00000000", for -v logs; any bytes are accepted (junk is described, with its hex);
 * the returned string is newly allocated */
gchar *
bdfu_proto_describe_request(const guint8 *buf, gsize len);
gchar *
bdfu_proto_describe_response(const guint8 *buf, gsize len);

/* buttonless service (8EC90003/8EC90004), PROTOCOL.md §5 */
typedef enum {
	BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER = 0x01,
	BDFU_BUTTONLESS_OP_SET_NAME = 0x02,
	BDFU_BUTTONLESS_OP_RESPONSE = 0x20,
} BdfuButtonlessOpcode;

typedef enum {
	BDFU_BUTTONLESS_RES_SUCCESS = 0x01,
	BDFU_BUTTONLESS_RES_OP_CODE_NOT_SUPPORTED = 0x02,
	BDFU_BUTTONLESS_RES_OPERATION_FAILED = 0x04,
	BDFU_BUTTONLESS_RES_INVALID_ADV_NAME = 0x05,
	BDFU_BUTTONLESS_RES_BUSY = 0x06,
	BDFU_BUTTONLESS_RES_NOT_BONDED = 0x07,
} BdfuButtonlessResult;

#define BDFU_BUTTONLESS_NAME_MAX 20

gsize
bdfu_proto_encode_buttonless_enter(guint8 *buf);
/* buf at least 2 + BDFU_BUTTONLESS_NAME_MAX; returns 0 if the name is empty or too long */
gsize
bdfu_proto_encode_buttonless_set_name(guint8 *buf, const gchar *name);
gboolean
bdfu_proto_decode_buttonless_response(const guint8 *buf,
				      gsize len,
				      guint8 *request_opcode,
				      guint8 *result,
				      GError **error);
const gchar *
bdfu_proto_buttonless_result_to_string(guint8 result);

G_END_DECLS
