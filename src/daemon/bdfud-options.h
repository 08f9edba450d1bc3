/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "update/bdfu-update-job.h"

G_BEGIN_DECLS

/* StartUpdate's a{sv} over the defaults in `options`: "prn" q, "mtu" q, "retries" u,
 * "resume" b, "verify-boot" b, "force" b, "scan-timeout" u, "boot-timeout" u (ms),
 * "verbose" b, "adapter" s. An unknown key or a wrong type is BDFU_ERROR_INVALID_ARGUMENT. */
gboolean
bdfud_options_parse(GVariant *dict,
		    BdfuUpdateOptions *options,
		    const gchar **adapter,
		    GError **error);

G_END_DECLS
