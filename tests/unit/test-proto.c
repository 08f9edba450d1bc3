/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Control Point and buttonless codec: byte vectors for every encoder, every decoder edge
 * (junk is refused with the bytes named), and the texts a user sees for each result. */
#include <string.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-proto.h"

#define assert_bytes(buf, len, ...)                                                                \
	G_STMT_START                                                                               \
	{                                                                                          \
		const guint8 expected_[] = {__VA_ARGS__};                                          \
		g_assert_cmpmem((buf), (len), expected_, sizeof(expected_));                       \
	}                                                                                          \
	G_STMT_END

static void
test_encode_requests(void)
{
	guint8 buf[BDFU_PROTO_MAX_REQUEST];
	gsize len;

	len = bdfu_proto_encode_select(buf, BDFU_OBJ_COMMAND);
	assert_bytes(buf, len, 0x06, 0x01);
	len = bdfu_proto_encode_select(buf, BDFU_OBJ_DATA);
	assert_bytes(buf, len, 0x06, 0x02);
	len = bdfu_proto_encode_create(buf, BDFU_OBJ_DATA, 4096);
	assert_bytes(buf, len, 0x01, 0x02, 0x00, 0x10, 0x00, 0x00);
	len = bdfu_proto_encode_create(buf, BDFU_OBJ_COMMAND, 0x12345678);
	assert_bytes(buf, len, 0x01, 0x01, 0x78, 0x56, 0x34, 0x12);
	g_assert_cmpuint(len, ==, BDFU_PROTO_MAX_REQUEST);
	len = bdfu_proto_encode_set_prn(buf, 0);
	assert_bytes(buf, len, 0x02, 0x00, 0x00);
	len = bdfu_proto_encode_set_prn(buf, 0x1234);
	assert_bytes(buf, len, 0x02, 0x34, 0x12);
	len = bdfu_proto_encode_calc_crc(buf);
	assert_bytes(buf, len, 0x03);
	len = bdfu_proto_encode_execute(buf);
	assert_bytes(buf, len, 0x04);
	len = bdfu_proto_encode_abort(buf);
	assert_bytes(buf, len, 0x0C);
}

static void
test_encode_responses(void)
{
	guint8 buf[BDFU_PROTO_MAX_RESPONSE];
	gsize len;

	len = bdfu_proto_encode_response(buf, BDFU_OP_CREATE, BDFU_RES_SUCCESS, 0);
	assert_bytes(buf, len, 0x60, 0x01, 0x01);
	/* the extended code travels only with result 0x0B */
	len = bdfu_proto_encode_response(buf, BDFU_OP_EXECUTE, BDFU_RES_INVALID_OBJECT, 0x07);
	assert_bytes(buf, len, 0x60, 0x04, 0x05);
	len = bdfu_proto_encode_response(
	    buf, BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, BDFU_EXT_SD_VERSION_FAILURE);
	assert_bytes(buf, len, 0x60, 0x04, 0x0B, 0x07);
	len = bdfu_proto_encode_response_select(buf, 4096, 0x2000, 0xDEADBEEF);
	assert_bytes(buf,
		     len,
		     0x60,
		     0x06,
		     0x01,
		     0x00,
		     0x10,
		     0x00,
		     0x00,
		     0x00,
		     0x20,
		     0x00,
		     0x00,
		     0xEF,
		     0xBE,
		     0xAD,
		     0xDE);
	g_assert_cmpuint(len, ==, BDFU_PROTO_MAX_RESPONSE);
	len = bdfu_proto_encode_response_crc(buf, 141, 0x01020304);
	assert_bytes(buf, len, 0x60, 0x03, 0x01, 0x8D, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01);
}

static void
test_decode_roundtrip(void)
{
	guint8 buf[BDFU_PROTO_MAX_RESPONSE];
	BdfuResponse r;
	g_autoptr(GError) error = NULL;
	gsize len;

	len = bdfu_proto_encode_response_select(buf, 512, 141, 0xCAFEF00D);
	g_assert_true(bdfu_proto_decode_response(buf, len, &r, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(r.request_opcode, ==, BDFU_OP_SELECT);
	g_assert_cmpuint(r.result, ==, BDFU_RES_SUCCESS);
	g_assert_true(r.has_payload);
	g_assert_cmpuint(r.max_size, ==, 512);
	g_assert_cmpuint(r.offset, ==, 141);
	g_assert_cmpuint(r.crc, ==, 0xCAFEF00D);

	/* a PRN notification is a checksum response */
	len = bdfu_proto_encode_response_crc(buf, 8192, 0x89ABCDEF);
	g_assert_true(bdfu_proto_decode_response(buf, len, &r, &error));
	g_assert_cmpuint(r.request_opcode, ==, BDFU_OP_CALC_CRC);
	g_assert_cmpuint(r.offset, ==, 8192);
	g_assert_cmpuint(r.crc, ==, 0x89ABCDEF);
	g_assert_cmpuint(r.max_size, ==, 0);

	len = bdfu_proto_encode_response(buf, BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
	g_assert_true(bdfu_proto_decode_response(buf, len, &r, &error));
	g_assert_false(r.has_payload);
	g_assert_cmpuint(r.request_opcode, ==, BDFU_OP_EXECUTE);

	len = bdfu_proto_encode_response(
	    buf, BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, BDFU_EXT_HW_VERSION_FAILURE);
	g_assert_true(bdfu_proto_decode_response(buf, len, &r, &error));
	g_assert_cmpuint(r.result, ==, BDFU_RES_EXT_ERROR);
	g_assert_cmpuint(r.ext_error, ==, BDFU_EXT_HW_VERSION_FAILURE);

	/* a PRN that carries a failed Packet write: 60 03 <err> */
	{
		const guint8 prn_err[] = {0x60, 0x03, 0x08};
		g_assert_true(bdfu_proto_decode_response(prn_err, sizeof(prn_err), &r, &error));
		g_assert_cmpuint(r.result, ==, BDFU_RES_OPERATION_NOT_PERMITTED);
	}
	/* SDK 15.0-15.2 answer optional requests with the bare header; serial ones add a payload */
	{
		const guint8 bare[] = {0x60, 0x00, 0x01};
		const guint8 ping[] = {0x60, 0x09, 0x01, 0x42};
		g_assert_true(bdfu_proto_decode_response(bare, sizeof(bare), &r, &error));
		g_assert_false(r.has_payload);
		g_assert_true(bdfu_proto_decode_response(ping, sizeof(ping), &r, &error));
		g_assert_true(r.has_payload);
	}
	/* unknown opcodes are answered with an error on real bootloaders */
	{
		const guint8 unknown[] = {0x60, 0x05, 0x02};
		g_assert_true(bdfu_proto_decode_response(unknown, sizeof(unknown), &r, &error));
		g_assert_cmpuint(r.result, ==, BDFU_RES_OP_CODE_NOT_SUPPORTED);
	}
	g_assert_no_error(error);
}

typedef struct {
	const gchar *name;
	guint8 bytes[20];
	gsize len;
	const gchar *message;
} JunkCase;

static void
test_decode_junk(void)
{
	const JunkCase cases[] = {
	    {"empty",
	     {0},
	     0,
	     "malformed Control Point notification from the device [(empty)]: shorter than the "
	     "3-byte response header"},
	    {"short",
	     {0x60, 0x06},
	     2,
	     "malformed Control Point notification from the device [60 06]: shorter than the "
	     "3-byte response header"},
	    {"not 0x60",
	     {0x61, 0x06, 0x01},
	     3,
	     "malformed Control Point notification from the device [61 06 01]: starts with 0x61, "
	     "not the response code 0x60"},
	    {"unknown result",
	     {0x60, 0x04, 0x06},
	     3,
	     "malformed Control Point notification from the device [60 04 06]: result code 0x06 "
	     "is not part of the protocol"},
	    {"unknown result 0x09",
	     {0x60, 0x04, 0x09},
	     3,
	     "malformed Control Point notification from the device [60 04 09]: result code 0x09 "
	     "is not part of the protocol"},
	    {"select short",
	     {0x60, 0x06, 0x01, 0x00, 0x10, 0x00, 0x00},
	     7,
	     "malformed Control Point notification from the device [60 06 01 00 10 00 00]: a "
	     "Select response carries 12 payload bytes, got 4"},
	    {"select long",
	     {0x60, 0x06, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA},
	     16,
	     "malformed Control Point notification from the device [60 06 01 00 00 00 00 00 00 "
	     "00 00 00 00 00 00 AA]: a Select response carries 12 payload bytes, got 13"},
	    {"select bare",
	     {0x60, 0x06, 0x01},
	     3,
	     "malformed Control Point notification from the device [60 06 01]: a Select "
	     "response carries 12 payload bytes, got 0"},
	    {"crc short",
	     {0x60, 0x03, 0x01, 1, 2, 3, 4, 5, 6, 7},
	     10,
	     "malformed Control Point notification from the device [60 03 01 01 02 03 04 05 06 "
	     "07]: a Calculate Checksum response carries 8 payload bytes, got 7"},
	    {"ext without code",
	     {0x60, 0x04, 0x0B},
	     3,
	     "malformed Control Point notification from the device [60 04 0B]: an extended "
	     "error needs exactly 1 code byte, got 0"},
	    {"ext with extra",
	     {0x60, 0x04, 0x0B, 0x07, 0x00},
	     5,
	     "malformed Control Point notification from the device [60 04 0B 07 00]: an "
	     "extended error needs exactly 1 code byte, got 2"},
	    {"error with payload",
	     {0x60, 0x01, 0x04, 0x00},
	     4,
	     "malformed Control Point notification from the device [60 01 04 00]: an error "
	     "response carries no payload, got 1 bytes"},
	    {"create with payload",
	     {0x60, 0x01, 0x01, 0x00},
	     4,
	     "malformed Control Point notification from the device [60 01 01 00]: a Create "
	     "response carries 0 payload bytes, got 1"},
	    {"success for no request",
	     {0x60, 0x42, 0x01},
	     3,
	     "malformed Control Point notification from the device [60 42 01]: answers opcode "
	     "0x42, which no request uses"},
	    {"answers a response",
	     {0x60, 0x60, 0x02},
	     3,
	     "malformed Control Point notification from the device [60 60 02]: answers opcode "
	     "0x60, which no request uses"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		BdfuResponse r = {.request_opcode = 0x77};
		g_autoptr(GError) error = NULL;
		g_test_message("case %s", cases[i].name);
		g_assert_false(
		    bdfu_proto_decode_response(cases[i].bytes, cases[i].len, &r, &error));
		g_assert_error(error, BDFU_ERROR, BDFU_ERROR_PROTOCOL);
		g_assert_cmpstr(error->message, ==, cases[i].message);
		/* out-params stay untouched on failure */
		g_assert_cmpuint(r.request_opcode, ==, 0x77);
	}
}

static void
test_decode_junk_long(void)
{
	guint8 buf[1000];
	BdfuResponse r;
	g_autoptr(GError) error = NULL;
	memset(buf, 0xAB, sizeof(buf));
	g_assert_false(bdfu_proto_decode_response(buf, sizeof(buf), &r, &error));
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_PROTOCOL);
	/* the hex dump is capped */
	g_assert_nonnull(strstr(error->message, "AB AB ... (1000 bytes)"));
	g_assert_cmpuint(strlen(error->message), <, 300);
}

static void
test_names(void)
{
	g_assert_cmpstr(bdfu_proto_opcode_to_string(BDFU_OP_CREATE), ==, "Create");
	g_assert_cmpstr(bdfu_proto_opcode_to_string(BDFU_OP_SELECT), ==, "Select");
	g_assert_cmpstr(bdfu_proto_opcode_to_string(BDFU_OP_CALC_CRC), ==, "Calculate Checksum");
	g_assert_cmpstr(bdfu_proto_opcode_to_string(BDFU_OP_EXECUTE), ==, "Execute");
	g_assert_cmpstr(bdfu_proto_opcode_to_string(BDFU_OP_SET_PRN), ==, "Set PRN");
	g_assert_cmpstr(bdfu_proto_opcode_to_string(BDFU_OP_ABORT), ==, "Abort");
	g_assert_cmpstr(bdfu_proto_opcode_to_string(0x05), ==, "Unknown opcode");
	g_assert_cmpstr(bdfu_proto_opcode_to_string(0xEE), ==, "Unknown opcode");
	for (guint op = 0; op < 256; op++)
		g_assert_nonnull(bdfu_proto_opcode_to_string((guint8)op));

	g_assert_cmpstr(bdfu_proto_result_to_string(BDFU_RES_SUCCESS, 0), ==, "SUCCESS");
	g_assert_cmpstr(bdfu_proto_result_to_string(BDFU_RES_INSUFFICIENT_RESOURCES, 0),
			==,
			"INSUFFICIENT_RESOURCES");
	g_assert_cmpstr(bdfu_proto_result_to_string(BDFU_RES_OPERATION_NOT_PERMITTED, 0),
			==,
			"OPERATION_NOT_PERMITTED");
	/* ext_error matters only with 0x0B */
	g_assert_cmpstr(
	    bdfu_proto_result_to_string(BDFU_RES_INVALID_OBJECT, 0x07), ==, "INVALID_OBJECT");
	g_assert_cmpstr(
	    bdfu_proto_result_to_string(BDFU_RES_EXT_ERROR, 0x07), ==, "SD_VERSION_FAILURE");
	g_assert_cmpstr(
	    bdfu_proto_result_to_string(BDFU_RES_EXT_ERROR, 0x0C), ==, "VERIFICATION_FAILED");
	g_assert_cmpstr(
	    bdfu_proto_result_to_string(BDFU_RES_EXT_ERROR, 0x0E), ==, "UNKNOWN_EXT_ERROR");
	g_assert_cmpstr(bdfu_proto_result_to_string(0x06, 0), ==, "UNKNOWN_RESULT");
}

/* every result and every extended error has a name, a message and a remedy for every request */
static void
test_texts_complete(void)
{
	const guint8 results[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x08, 0x0A, 0x06, 0xFF};
	for (guint op = 0; op <= 0x0D; op++) {
		for (guint i = 0; i < G_N_ELEMENTS(results); i++) {
			const gchar *msg = bdfu_proto_result_to_message((guint8)op, results[i], 0);
			const gchar *rem = bdfu_proto_result_to_remedy((guint8)op, results[i], 0);
			g_assert_nonnull(msg);
			g_assert_nonnull(rem);
			g_assert_cmpuint(strlen(msg), >, 20);
			g_assert_cmpuint(strlen(rem), >, 10);
		}
		for (guint ext = 0; ext <= 0x10; ext++) {
			const gchar *msg = bdfu_proto_result_to_message(
			    (guint8)op, BDFU_RES_EXT_ERROR, (guint8)ext);
			const gchar *rem = bdfu_proto_result_to_remedy(
			    (guint8)op, BDFU_RES_EXT_ERROR, (guint8)ext);
			g_assert_nonnull(msg);
			g_assert_nonnull(rem);
			g_assert_cmpuint(strlen(msg), >, 20);
			g_assert_cmpuint(strlen(rem), >, 10);
			g_assert_nonnull(
			    bdfu_proto_result_to_string(BDFU_RES_EXT_ERROR, (guint8)ext));
		}
	}
}

static void
test_texts_per_opcode(void)
{
	/* INSUFFICIENT_RESOURCES means "object too big" at Create and "image does not fit" at
	 * the init Execute (PROTOCOL.md §2.3, §8.1 rule 10) */
	g_assert_nonnull(
	    strstr(bdfu_proto_result_to_message(BDFU_OP_CREATE, BDFU_RES_INSUFFICIENT_RESOURCES, 0),
		   "256 bytes"));
	g_assert_nonnull(strstr(
	    bdfu_proto_result_to_message(BDFU_OP_EXECUTE, BDFU_RES_INSUFFICIENT_RESOURCES, 0),
	    "does not fit"));
	/* a wrong key is plain INVALID_OBJECT at Execute */
	g_assert_nonnull(
	    strstr(bdfu_proto_result_to_message(BDFU_OP_EXECUTE, BDFU_RES_INVALID_OBJECT, 0),
		   "signature"));
	g_assert_nonnull(strstr(
	    bdfu_proto_result_to_remedy(BDFU_OP_EXECUTE, BDFU_RES_INVALID_OBJECT, 0), "--key"));
	g_assert_null(strstr(
	    bdfu_proto_result_to_message(BDFU_OP_SELECT, BDFU_RES_INVALID_OBJECT, 0), "signature"));
	/* OPERATION_NOT_PERMITTED: no init at Create, incomplete object at Execute */
	g_assert_nonnull(strstr(
	    bdfu_proto_result_to_message(BDFU_OP_CREATE, BDFU_RES_OPERATION_NOT_PERMITTED, 0),
	    "init packet"));
	g_assert_nonnull(strstr(
	    bdfu_proto_result_to_message(BDFU_OP_EXECUTE, BDFU_RES_OPERATION_NOT_PERMITTED, 0),
	    "not received all bytes"));
	/* optional requests the reduced BLE protocol leaves out */
	g_assert_nonnull(
	    strstr(bdfu_proto_result_to_message(BDFU_OP_PING, BDFU_RES_OP_CODE_NOT_SUPPORTED, 0),
		   "does not offer this request"));
	g_assert_nonnull(
	    strstr(bdfu_proto_result_to_message(BDFU_OP_CREATE, BDFU_RES_OP_CODE_NOT_SUPPORTED, 0),
		   "not a bootloader this tool can update"));
	g_assert_cmpstr(
	    bdfu_proto_result_to_message(BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, 0x07),
	    ==,
	    "the package needs a different SoftDevice than the one on the device (sd_req)");
	g_assert_cmpstr(bdfu_proto_result_to_remedy(BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, 0x07),
			==,
			"build the package with --sd-req set to the device's SoftDevice FWID, or "
			"send a SoftDevice+bootloader update first");
	g_assert_nonnull(
	    strstr(bdfu_proto_result_to_remedy(BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, 0x06),
		   "--hw-version"));
	g_assert_nonnull(
	    strstr(bdfu_proto_result_to_remedy(BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, 0x05),
		   "higher --application-version"));
	g_assert_nonnull(strstr(
	    bdfu_proto_result_to_remedy(BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, 0x08), "--key-file"));
}

static void
test_error_codes(void)
{
	/* init-packet validation: the target refused the package */
	for (guint ext = 0x02; ext <= 0x0D; ext++) {
		gint want = BDFU_ERROR_REJECTED;
		if (ext == BDFU_EXT_HASH_FAILED || ext == BDFU_EXT_VERIFICATION_FAILED)
			want = BDFU_ERROR_TRANSFER_FAILED;
		g_assert_cmpint(bdfu_proto_result_to_error_code(
				    BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, (guint8)ext),
				==,
				want);
	}
	g_assert_cmpint(
	    bdfu_proto_result_to_error_code(BDFU_OP_EXECUTE, BDFU_RES_INVALID_OBJECT, 0),
	    ==,
	    BDFU_ERROR_REJECTED);
	g_assert_cmpint(
	    bdfu_proto_result_to_error_code(BDFU_OP_EXECUTE, BDFU_RES_INSUFFICIENT_RESOURCES, 0),
	    ==,
	    BDFU_ERROR_REJECTED);
	g_assert_cmpint(
	    bdfu_proto_result_to_error_code(BDFU_OP_EXECUTE, BDFU_RES_OPERATION_FAILED, 0),
	    ==,
	    BDFU_ERROR_REJECTED);
	/* data, CRC and flash trouble */
	g_assert_cmpint(
	    bdfu_proto_result_to_error_code(BDFU_OP_EXECUTE, BDFU_RES_OPERATION_NOT_PERMITTED, 0),
	    ==,
	    BDFU_ERROR_TRANSFER_FAILED);
	g_assert_cmpint(
	    bdfu_proto_result_to_error_code(BDFU_OP_CALC_CRC, BDFU_RES_INVALID_PARAMETER, 0),
	    ==,
	    BDFU_ERROR_TRANSFER_FAILED);
	g_assert_cmpint(
	    bdfu_proto_result_to_error_code(BDFU_OP_CREATE, BDFU_RES_OPERATION_FAILED, 0),
	    ==,
	    BDFU_ERROR_TRANSFER_FAILED);
	/* answers that make no sense */
	g_assert_cmpint(
	    bdfu_proto_result_to_error_code(BDFU_OP_CREATE, 0x06, 0), ==, BDFU_ERROR_PROTOCOL);
	g_assert_cmpint(bdfu_proto_result_to_error_code(BDFU_OP_CREATE, BDFU_RES_INVALID, 0),
			==,
			BDFU_ERROR_PROTOCOL);
	g_assert_cmpint(
	    bdfu_proto_result_to_error_code(BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, BDFU_EXT_NO_ERROR),
	    ==,
	    BDFU_ERROR_PROTOCOL);
	g_assert_cmpint(bdfu_proto_result_to_error_code(BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, 0x0E),
			==,
			BDFU_ERROR_PROTOCOL);
	g_assert_cmpint(bdfu_proto_result_to_error_code(BDFU_OP_SELECT, BDFU_RES_INVALID_OBJECT, 0),
			==,
			BDFU_ERROR_PROTOCOL);
	g_assert_cmpint(
	    bdfu_proto_result_to_error_code(BDFU_OP_CREATE, BDFU_RES_OP_CODE_NOT_SUPPORTED, 0),
	    ==,
	    BDFU_ERROR_NOT_SUPPORTED);
}

static void
test_error_message(void)
{
	g_autoptr(GError) error =
	    bdfu_proto_result_to_error(BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, 0x07);
	g_autoptr(GError) error2 =
	    bdfu_proto_result_to_error(BDFU_OP_CREATE, BDFU_RES_INSUFFICIENT_RESOURCES, 0);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_REJECTED);
	g_assert_cmpstr(error->message,
			==,
			"Execute failed: SD_VERSION_FAILURE: the package needs a different "
			"SoftDevice than the one on the device (sd_req)\n"
			"build the package with --sd-req set to the device's SoftDevice FWID, or "
			"send a SoftDevice+bootloader update first");
	g_assert_error(error2, BDFU_ERROR, BDFU_ERROR_REJECTED);
	g_assert_true(g_str_has_prefix(error2->message, "Create failed: INSUFFICIENT_RESOURCES: "));
	g_assert_nonnull(strchr(error2->message, '\n'));
}

static void
test_describe_request(void)
{
	guint8 buf[BDFU_PROTO_MAX_REQUEST];
	gchar *s;

	s = bdfu_proto_describe_request(buf, bdfu_proto_encode_create(buf, BDFU_OBJ_DATA, 4096));
	g_assert_cmpstr(s, ==, "Create data 4096");
	g_free(s);
	s = bdfu_proto_describe_request(buf, bdfu_proto_encode_create(buf, BDFU_OBJ_COMMAND, 141));
	g_assert_cmpstr(s, ==, "Create command 141");
	g_free(s);
	s = bdfu_proto_describe_request(buf, bdfu_proto_encode_create(buf, 7, 1));
	g_assert_cmpstr(s, ==, "Create type 0x07 1");
	g_free(s);
	s = bdfu_proto_describe_request(buf, bdfu_proto_encode_select(buf, BDFU_OBJ_COMMAND));
	g_assert_cmpstr(s, ==, "Select command");
	g_free(s);
	s = bdfu_proto_describe_request(buf, bdfu_proto_encode_select(buf, BDFU_OBJ_DATA));
	g_assert_cmpstr(s, ==, "Select data");
	g_free(s);
	s = bdfu_proto_describe_request(buf, bdfu_proto_encode_set_prn(buf, 12));
	g_assert_cmpstr(s, ==, "Set PRN 12");
	g_free(s);
	s = bdfu_proto_describe_request(buf, bdfu_proto_encode_calc_crc(buf));
	g_assert_cmpstr(s, ==, "Calculate Checksum");
	g_free(s);
	s = bdfu_proto_describe_request(buf, bdfu_proto_encode_execute(buf));
	g_assert_cmpstr(s, ==, "Execute");
	g_free(s);
	s = bdfu_proto_describe_request(buf, bdfu_proto_encode_abort(buf));
	g_assert_cmpstr(s, ==, "Abort");
	g_free(s);

	/* malformed requests are shown as bytes */
	{
		const guint8 short_create[] = {0x01, 0x02, 0x00};
		const guint8 unknown[] = {0x42, 0x01};
		const guint8 ping[] = {0x09, 0x07};
		s = bdfu_proto_describe_request(short_create, sizeof(short_create));
		g_assert_cmpstr(s, ==, "Create [01 02 00]");
		g_free(s);
		s = bdfu_proto_describe_request(unknown, sizeof(unknown));
		g_assert_cmpstr(s, ==, "unknown request [42 01]");
		g_free(s);
		s = bdfu_proto_describe_request(ping, sizeof(ping));
		g_assert_cmpstr(s, ==, "Ping [09 07]");
		g_free(s);
		s = bdfu_proto_describe_request(NULL, 0);
		g_assert_cmpstr(s, ==, "empty request");
		g_free(s);
	}
}

static void
test_describe_response(void)
{
	guint8 buf[BDFU_PROTO_MAX_RESPONSE];
	gchar *s;

	s = bdfu_proto_describe_response(buf, bdfu_proto_encode_response_select(buf, 4096, 0, 0));
	g_assert_cmpstr(s, ==, "Response Select: SUCCESS max_size=4096 offset=0 crc=0x00000000");
	g_free(s);
	s = bdfu_proto_describe_response(buf,
					 bdfu_proto_encode_response_crc(buf, 8192, 0xABCDEF01));
	g_assert_cmpstr(s, ==, "Response Calculate Checksum: SUCCESS offset=8192 crc=0xABCDEF01");
	g_free(s);
	s = bdfu_proto_describe_response(
	    buf, bdfu_proto_encode_response(buf, BDFU_OP_CREATE, BDFU_RES_SUCCESS, 0));
	g_assert_cmpstr(s, ==, "Response Create: SUCCESS");
	g_free(s);
	s = bdfu_proto_describe_response(
	    buf,
	    bdfu_proto_encode_response(buf, BDFU_OP_CREATE, BDFU_RES_INSUFFICIENT_RESOURCES, 0));
	g_assert_cmpstr(s, ==, "Response Create: INSUFFICIENT_RESOURCES");
	g_free(s);
	s = bdfu_proto_describe_response(
	    buf, bdfu_proto_encode_response(buf, BDFU_OP_EXECUTE, BDFU_RES_EXT_ERROR, 0x07));
	g_assert_cmpstr(s, ==, "Response Execute: EXT_ERROR SD_VERSION_FAILURE");
	g_free(s);
	{
		const guint8 ping[] = {0x60, 0x09, 0x01, 0x42};
		const guint8 junk[] = {0x13, 0x37};
		s = bdfu_proto_describe_response(ping, sizeof(ping));
		g_assert_cmpstr(s, ==, "Response Ping: SUCCESS [42]");
		g_free(s);
		s = bdfu_proto_describe_response(junk, sizeof(junk));
		g_assert_cmpstr(s,
				==,
				"malformed Control Point notification from the device [13 37]: "
				"shorter than the 3-byte response header");
		g_free(s);
		s = bdfu_proto_describe_response(NULL, 0);
		g_assert_nonnull(strstr(s, "(empty)"));
		g_free(s);
	}
}

static void
test_buttonless(void)
{
	guint8 buf[2 + BDFU_BUTTONLESS_NAME_MAX];
	gsize len;
	guint8 op = 0xEE, res = 0xEE;

	len = bdfu_proto_encode_buttonless_enter(buf);
	assert_bytes(buf, len, 0x01);
	len = bdfu_proto_encode_buttonless_set_name(buf, "Dfu12345");
	assert_bytes(buf, len, 0x02, 0x08, 'D', 'f', 'u', '1', '2', '3', '4', '5');
	len = bdfu_proto_encode_buttonless_set_name(buf, "ABCDEFGHIJKLMNOPQRST");
	g_assert_cmpuint(len, ==, 22);
	g_assert_cmpuint(buf[1], ==, 20);
	g_assert_cmpuint(
	    bdfu_proto_encode_buttonless_set_name(buf, "ABCDEFGHIJKLMNOPQRSTU"), ==, 0);
	g_assert_cmpuint(bdfu_proto_encode_buttonless_set_name(buf, ""), ==, 0);
	g_assert_cmpuint(bdfu_proto_encode_buttonless_set_name(buf, NULL), ==, 0);

	{
		const guint8 ok[] = {0x20, 0x01, 0x01};
		const guint8 not_bonded[] = {0x20, 0x01, 0x07};
		const guint8 bad_name[] = {0x20, 0x02, 0x05};
		g_autoptr(GError) error = NULL;
		g_assert_true(bdfu_proto_decode_buttonless_response(ok, 3, &op, &res, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(op, ==, BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER);
		g_assert_cmpuint(res, ==, BDFU_BUTTONLESS_RES_SUCCESS);
		g_assert_true(
		    bdfu_proto_decode_buttonless_response(not_bonded, 3, &op, &res, &error));
		g_assert_cmpstr(bdfu_proto_buttonless_result_to_string(res), ==, "NOT_BONDED");
		g_assert_true(
		    bdfu_proto_decode_buttonless_response(bad_name, 3, &op, &res, &error));
		g_assert_cmpuint(op, ==, BDFU_BUTTONLESS_OP_SET_NAME);
		g_assert_cmpstr(
		    bdfu_proto_buttonless_result_to_string(res), ==, "INVALID_ADV_NAME");
	}
	{
		const struct {
			guint8 bytes[4];
			gsize len;
			const gchar *message;
		} junk[] = {
		    {{0x20, 0x01}, 2, "[20 01]: a buttonless response is exactly 3 bytes"},
		    {{0x20, 0x01, 0x01, 0x00},
		     4,
		     "[20 01 01 00]: a buttonless response is exactly 3 bytes"},
		    {{0x60, 0x01, 0x01},
		     3,
		     "[60 01 01]: it does not start with the response code 0x20"},
		    {{0x20, 0x01, 0x03},
		     3,
		     "[20 01 03]: its result code is not part of the buttonless protocol"},
		    {{0x20, 0x09, 0x01},
		     3,
		     "[20 09 01]: it reports success for a request that does not exist"},
		};
		for (guint i = 0; i < G_N_ELEMENTS(junk); i++) {
			g_autoptr(GError) error = NULL;
			g_autofree gchar *want = g_strdup_printf(
			    "malformed buttonless indication from the device %s", junk[i].message);
			op = res = 0xEE;
			g_assert_false(bdfu_proto_decode_buttonless_response(
			    junk[i].bytes, junk[i].len, &op, &res, &error));
			g_assert_error(error, BDFU_ERROR, BDFU_ERROR_PROTOCOL);
			g_assert_cmpstr(error->message, ==, want);
			g_assert_cmpuint(op, ==, 0xEE);
			g_assert_cmpuint(res, ==, 0xEE);
		}
	}
	g_assert_cmpstr(bdfu_proto_buttonless_result_to_string(0x01), ==, "SUCCESS");
	g_assert_cmpstr(bdfu_proto_buttonless_result_to_string(0x02), ==, "OP_CODE_NOT_SUPPORTED");
	g_assert_cmpstr(bdfu_proto_buttonless_result_to_string(0x04), ==, "OPERATION_FAILED");
	g_assert_cmpstr(bdfu_proto_buttonless_result_to_string(0x06), ==, "BUSY");
	g_assert_cmpstr(bdfu_proto_buttonless_result_to_string(0x99), ==, "UNKNOWN");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/proto/encode/requests", test_encode_requests);
	g_test_add_func("/proto/encode/responses", test_encode_responses);
	g_test_add_func("/proto/decode/roundtrip", test_decode_roundtrip);
	g_test_add_func("/proto/decode/junk", test_decode_junk);
	g_test_add_func("/proto/decode/junk-long", test_decode_junk_long);
	g_test_add_func("/proto/text/names", test_names);
	g_test_add_func("/proto/text/complete", test_texts_complete);
	g_test_add_func("/proto/text/per-opcode", test_texts_per_opcode);
	g_test_add_func("/proto/error/codes", test_error_codes);
	g_test_add_func("/proto/error/message", test_error_message);
	g_test_add_func("/proto/describe/request", test_describe_request);
	g_test_add_func("/proto/describe/response", test_describe_response);
	g_test_add_func("/proto/buttonless", test_buttonless);
	return g_test_run();
}
