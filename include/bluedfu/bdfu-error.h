/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BDFU_ERROR (bdfu_error_quark())

/**
 * BdfuError:
 *
 * The one error domain of bluedfu. Values are stable: they travel over D-Bus as
 * `io.github.bluedfu.Error.<Name>` and map to the CLI's documented exit codes.
 */
typedef enum {
	BDFU_ERROR_FAILED = 0,		    /* exit 1: anything not listed below */
	BDFU_ERROR_INVALID_ARGUMENT = 1,    /* exit 2: usage */
	BDFU_ERROR_BAD_PACKAGE = 2,	    /* exit 3: corrupt, hostile or inconsistent package */
	BDFU_ERROR_UNSUPPORTED_PACKAGE = 3, /* exit 3: well-formed but not updatable (legacy DFU) */
	BDFU_ERROR_NOT_FOUND = 4,	    /* exit 4: device not found */
	BDFU_ERROR_CONNECTION_FAILED = 5,   /* exit 5 */
	BDFU_ERROR_REJECTED = 6,	    /* exit 6: the target refused the package */
	BDFU_ERROR_TRANSFER_FAILED = 7,	    /* exit 7: link or data trouble after retries */
	BDFU_ERROR_APP_DID_NOT_BOOT = 8,    /* exit 8: transferred, but the app never ran */
	BDFU_ERROR_CANCELLED = 9,	    /* exit 9 */
	BDFU_ERROR_PROTOCOL = 10,	    /* exit 7: the device sent something malformed */
	BDFU_ERROR_TIMEOUT = 11,	    /* exit 7: the device stopped answering */
	BDFU_ERROR_NOT_AUTHORIZED = 12,	    /* exit 1 */
	BDFU_ERROR_NOT_SUPPORTED = 13,	    /* exit 1 */
	BDFU_ERROR_LAST
} BdfuError;

GQuark
bdfu_error_quark(void);
const gchar *
bdfu_error_to_string(BdfuError code);
int
bdfu_error_code_to_exit_code(BdfuError code);
int
bdfu_error_to_exit_code(const GError *error);

G_END_DECLS
