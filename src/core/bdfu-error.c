/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bluedfu/bdfu-error.h"

G_DEFINE_QUARK(bdfu-error-quark, bdfu_error)

static const gchar *const error_names[] = {
    [BDFU_ERROR_FAILED] = "Failed",
    [BDFU_ERROR_INVALID_ARGUMENT] = "InvalidArgument",
    [BDFU_ERROR_BAD_PACKAGE] = "BadPackage",
    [BDFU_ERROR_UNSUPPORTED_PACKAGE] = "UnsupportedPackage",
    [BDFU_ERROR_NOT_FOUND] = "NotFound",
    [BDFU_ERROR_CONNECTION_FAILED] = "ConnectionFailed",
    [BDFU_ERROR_REJECTED] = "Rejected",
    [BDFU_ERROR_TRANSFER_FAILED] = "TransferFailed",
    [BDFU_ERROR_APP_DID_NOT_BOOT] = "AppDidNotBoot",
    [BDFU_ERROR_CANCELLED] = "Cancelled",
    [BDFU_ERROR_PROTOCOL] = "Protocol",
    [BDFU_ERROR_TIMEOUT] = "Timeout",
    [BDFU_ERROR_NOT_AUTHORIZED] = "NotAuthorized",
    [BDFU_ERROR_NOT_SUPPORTED] = "NotSupported",
};
G_STATIC_ASSERT(G_N_ELEMENTS(error_names) == BDFU_ERROR_LAST);

const gchar *
bdfu_error_to_string(BdfuError code)
{
	if ((guint)code >= BDFU_ERROR_LAST)
		return "Failed";
	return error_names[code];
}

int
bdfu_error_code_to_exit_code(BdfuError code)
{
	switch (code) {
	case BDFU_ERROR_INVALID_ARGUMENT:
		return 2;
	case BDFU_ERROR_BAD_PACKAGE:
	case BDFU_ERROR_UNSUPPORTED_PACKAGE:
		return 3;
	case BDFU_ERROR_NOT_FOUND:
		return 4;
	case BDFU_ERROR_CONNECTION_FAILED:
		return 5;
	case BDFU_ERROR_REJECTED:
		return 6;
	case BDFU_ERROR_TRANSFER_FAILED:
	case BDFU_ERROR_PROTOCOL:
	case BDFU_ERROR_TIMEOUT:
		return 7;
	case BDFU_ERROR_APP_DID_NOT_BOOT:
		return 8;
	case BDFU_ERROR_CANCELLED:
		return 9;
	default:
		return 1;
	}
}

int
bdfu_error_to_exit_code(const GError *error)
{
	if (error == NULL)
		return 0;
	if (error->domain == G_OPTION_ERROR)
		return 2;
	if (error->domain != BDFU_ERROR)
		return 1;
	return bdfu_error_code_to_exit_code((BdfuError)error->code);
}
