/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/bdfud-config.h"

#include <string.h>

#include "bluedfu/bdfu-error.h"

void
bdfud_config_init(BdfudConfig *config)
{
	memset(config, 0, sizeof(*config));
	config->backend = g_strdup("bluez");
	config->max_parallel = 4;
	config->state_dir = g_strdup("/var/lib/bluedfu");
	config->polkit = TRUE;
	config->linger_ms = 10000;
	config->max_results = 500;
	config->max_package = 64 * 1024 * 1024;
	bdfu_update_options_init(&config->update);
}

void
bdfud_config_clear(BdfudConfig *config)
{
	g_free(config->backend);
	g_free(config->sim_profile);
	g_strfreev(config->adapters);
	g_free(config->state_dir);
	memset(config, 0, sizeof(*config));
}

static const gchar *const daemon_keys[] = {"backend",
					   "sim-profile",
					   "sim-realtime",
					   "adapters",
					   "max-parallel",
					   "state-directory",
					   "polkit",
					   "job-linger",
					   "max-results",
					   "max-package-size",
					   NULL};
static const gchar *const update_keys[] = {"prn",
					   "retries",
					   "resume",
					   "verify-boot",
					   "scan-timeout",
					   "boot-timeout",
					   "response-timeout",
					   NULL};

static gboolean
bdfud_config_check_keys(GKeyFile *kf, const gchar *path, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		const gchar *const *known = NULL;
		g_auto(GStrv) keys = NULL;
		if (g_strcmp0(groups[i], "daemon") == 0)
			known = daemon_keys;
		else if (g_strcmp0(groups[i], "update") == 0)
			known = update_keys;
		if (known == NULL) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "%s: unknown group [%s] (known: [daemon], [update])",
				    path,
				    groups[i]);
			return FALSE;
		}
		keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (guint j = 0; keys != NULL && keys[j] != NULL; j++) {
			if (!g_strv_contains(known, keys[j])) {
				g_set_error(error,
					    BDFU_ERROR,
					    BDFU_ERROR_INVALID_ARGUMENT,
					    "%s: unknown key '%s' in [%s]",
					    path,
					    keys[j],
					    groups[i]);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* reads an unsigned key in [min, max]; absent keeps *value */
static gboolean
bdfud_config_get_uint(GKeyFile *kf,
		      const gchar *path,
		      const gchar *group,
		      const gchar *key,
		      guint64 min,
		      guint64 max,
		      guint64 *value,
		      GError **error)
{
	g_autoptr(GError) error_local = NULL;
	guint64 v;
	if (!g_key_file_has_key(kf, group, key, NULL))
		return TRUE;
	v = g_key_file_get_uint64(kf, group, key, &error_local);
	if (error_local != NULL || v < min || v > max) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "%s: [%s] %s must be a number from %" G_GUINT64_FORMAT
			    " to %" G_GUINT64_FORMAT,
			    path,
			    group,
			    key,
			    min,
			    max);
		return FALSE;
	}
	*value = v;
	return TRUE;
}

static gboolean
bdfud_config_get_bool(GKeyFile *kf,
		      const gchar *path,
		      const gchar *group,
		      const gchar *key,
		      gboolean *value,
		      GError **error)
{
	g_autoptr(GError) error_local = NULL;
	gboolean v;
	if (!g_key_file_has_key(kf, group, key, NULL))
		return TRUE;
	v = g_key_file_get_boolean(kf, group, key, &error_local);
	if (error_local != NULL) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "%s: [%s] %s must be true or false",
			    path,
			    group,
			    key);
		return FALSE;
	}
	*value = v;
	return TRUE;
}

gboolean
bdfud_config_load(BdfudConfig *config, const gchar *path, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error_local = NULL;
	guint64 v;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error_local)) {
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return TRUE;
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "%s: %s",
			    path,
			    error_local->message);
		return FALSE;
	}
	if (!bdfud_config_check_keys(kf, path, error))
		return FALSE;
	if (g_key_file_has_key(kf, "daemon", "backend", NULL)) {
		g_autofree gchar *backend = g_key_file_get_string(kf, "daemon", "backend", NULL);
		if (g_strcmp0(backend, "bluez") != 0 && g_strcmp0(backend, "sim") != 0) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "%s: [daemon] backend must be bluez or sim",
				    path);
			return FALSE;
		}
		g_free(config->backend);
		config->backend = g_steal_pointer(&backend);
	}
	if (g_key_file_has_key(kf, "daemon", "sim-profile", NULL)) {
		g_free(config->sim_profile);
		config->sim_profile = g_key_file_get_string(kf, "daemon", "sim-profile", NULL);
	}
	if (g_key_file_has_key(kf, "daemon", "state-directory", NULL)) {
		g_free(config->state_dir);
		config->state_dir = g_key_file_get_string(kf, "daemon", "state-directory", NULL);
	}
	if (g_key_file_has_key(kf, "daemon", "adapters", NULL)) {
		g_strfreev(config->adapters);
		config->adapters = g_key_file_get_string_list(kf, "daemon", "adapters", NULL, NULL);
	}
	if (!bdfud_config_get_bool(
		kf, path, "daemon", "sim-realtime", &config->sim_realtime, error) ||
	    !bdfud_config_get_bool(kf, path, "daemon", "polkit", &config->polkit, error))
		return FALSE;

	v = config->max_parallel;
	if (!bdfud_config_get_uint(kf, path, "daemon", "max-parallel", 1, 32, &v, error))
		return FALSE;
	config->max_parallel = (guint)v;
	v = config->linger_ms / 1000;
	if (!bdfud_config_get_uint(kf, path, "daemon", "job-linger", 0, 3600, &v, error))
		return FALSE;
	config->linger_ms = (guint)v * 1000;
	v = config->max_results;
	if (!bdfud_config_get_uint(kf, path, "daemon", "max-results", 1, 100000, &v, error))
		return FALSE;
	config->max_results = (guint)v;
	v = config->max_package;
	if (!bdfud_config_get_uint(
		kf, path, "daemon", "max-package-size", 1024, 256 * 1024 * 1024, &v, error))
		return FALSE;
	config->max_package = (gsize)v;

	v = config->update.prn;
	if (!bdfud_config_get_uint(kf, path, "update", "prn", 0, 0xFFFF, &v, error))
		return FALSE;
	config->update.prn = (guint16)v;
	v = config->update.retries;
	if (!bdfud_config_get_uint(kf, path, "update", "retries", 0, 100, &v, error))
		return FALSE;
	config->update.retries = (guint)v;
	v = config->update.scan_timeout_ms / 1000;
	if (!bdfud_config_get_uint(kf, path, "update", "scan-timeout", 1, 600, &v, error))
		return FALSE;
	config->update.scan_timeout_ms = (guint)v * 1000;
	v = config->update.boot_timeout_ms / 1000;
	if (!bdfud_config_get_uint(kf, path, "update", "boot-timeout", 1, 600, &v, error))
		return FALSE;
	config->update.boot_timeout_ms = (guint)v * 1000;
	v = config->update.response_timeout_ms / 1000;
	if (!bdfud_config_get_uint(kf, path, "update", "response-timeout", 1, 600, &v, error))
		return FALSE;
	config->update.response_timeout_ms = (guint)v * 1000;
	return bdfud_config_get_bool(kf, path, "update", "resume", &config->update.resume, error) &&
	       bdfud_config_get_bool(
		   kf, path, "update", "verify-boot", &config->update.verify_boot, error);
}
