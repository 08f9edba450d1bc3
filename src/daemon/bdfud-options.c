/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/bdfud-options.h"

#include "bluedfu/bdfu-error.h"

static gboolean
bdfud_options_type_error(const gchar *key, GVariant *value, const gchar *want, GError **error)
{
	g_set_error(error,
		    BDFU_ERROR,
		    BDFU_ERROR_INVALID_ARGUMENT,
		    "option '%s' must be of type '%s', not '%s'",
		    key,
		    want,
		    g_variant_get_type_string(value));
	return FALSE;
}

gboolean
bdfud_options_parse(GVariant *dict,
		    BdfuUpdateOptions *options,
		    const gchar **adapter,
		    GError **error)
{
	GVariantIter iter;
	const gchar *key;
	GVariant *value;

	g_variant_iter_init(&iter, dict);
	while (g_variant_iter_loop(&iter, "{&sv}", &key, &value)) {
		const gchar *type = g_variant_get_type_string(value);
		if (g_strcmp0(key, "prn") == 0 || g_strcmp0(key, "mtu") == 0) {
			guint16 v;
			if (g_strcmp0(type, "q") != 0)
				return bdfud_options_type_error(key, value, "q", error);
			v = g_variant_get_uint16(value);
			if (key[0] == 'p') {
				options->prn = v;
			} else {
				if (v != 0 && (v < 23 || v > 517)) {
					g_set_error(error,
						    BDFU_ERROR,
						    BDFU_ERROR_INVALID_ARGUMENT,
						    "mtu must be 23..517 (or 0 for the link's)");
					return FALSE;
				}
				options->mtu = v;
			}
		} else if (g_strcmp0(key, "retries") == 0 || g_strcmp0(key, "scan-timeout") == 0 ||
			   g_strcmp0(key, "boot-timeout") == 0) {
			guint32 v;
			if (g_strcmp0(type, "u") != 0)
				return bdfud_options_type_error(key, value, "u", error);
			v = g_variant_get_uint32(value);
			if (key[0] == 'r') {
				options->retries = MIN(v, 100u);
			} else if (v < 1000 || v > 600000) {
				g_set_error(error,
					    BDFU_ERROR,
					    BDFU_ERROR_INVALID_ARGUMENT,
					    "%s must be 1000..600000 ms",
					    key);
				return FALSE;
			} else if (key[0] == 's') {
				options->scan_timeout_ms = v;
			} else {
				options->boot_timeout_ms = v;
			}
		} else if (g_strcmp0(key, "resume") == 0 || g_strcmp0(key, "verify-boot") == 0 ||
			   g_strcmp0(key, "force") == 0 || g_strcmp0(key, "verbose") == 0) {
			gboolean v;
			if (g_strcmp0(type, "b") != 0)
				return bdfud_options_type_error(key, value, "b", error);
			v = g_variant_get_boolean(value);
			if (key[0] == 'r')
				options->resume = v;
			else if (key[0] == 'f')
				options->force = v;
			else if (g_strcmp0(key, "verbose") == 0)
				options->verbose = v;
			else
				options->verify_boot = v;
		} else if (g_strcmp0(key, "adapter") == 0) {
			if (g_strcmp0(type, "s") != 0)
				return bdfud_options_type_error(key, value, "s", error);
			/* the pointer must outlive the iteration: take it from the dict */
			g_variant_lookup(dict, "adapter", "&s", adapter);
		} else {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "unknown option '%s'",
				    key);
			return FALSE;
		}
	}
	return TRUE;
}
