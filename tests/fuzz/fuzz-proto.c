/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "core/bdfu-link.h"
#include "core/bdfu-proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	BdfuResponse response;
	guint8 opcode = 0, result = 0;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) button_error = NULL;
	g_autofree gchar *request = NULL;
	g_autofree gchar *reply = NULL;

	if (size > 4096)
		return 0;
	if (bdfu_proto_decode_response(data, size, &response, &error)) {
		g_autoptr(GError) failure = NULL;
		/* every decodable answer has a name, a message and a remedy */
		g_assert_nonnull(bdfu_proto_result_to_string(response.result, response.ext_error));
		g_assert_nonnull(bdfu_proto_result_to_message(
		    response.request_opcode, response.result, response.ext_error));
		g_assert_nonnull(bdfu_proto_result_to_remedy(
		    response.request_opcode, response.result, response.ext_error));
		failure = bdfu_proto_result_to_error(
		    response.request_opcode, response.result, response.ext_error);
		g_assert_nonnull(failure);
	} else {
		g_assert_nonnull(error);
	}
	if (bdfu_proto_decode_buttonless_response(data, size, &opcode, &result, &button_error))
		g_assert_nonnull(bdfu_proto_buttonless_result_to_string(result));
	else
		g_assert_nonnull(button_error);
	/* the link's fault syntax is text from users and simulation profiles */
	{
		g_autofree gchar *text = g_strndup((const gchar *)data, size);
		g_autoptr(GError) fault_error = NULL;
		BdfuFault fault;
		if (!bdfu_fault_parse(text, &fault, &fault_error))
			g_assert_nonnull(fault_error);
	}
	request = bdfu_proto_describe_request(data, size);
	reply = bdfu_proto_describe_response(data, size);
	g_assert_nonnull(request);
	g_assert_nonnull(reply);
	return 0;
}
