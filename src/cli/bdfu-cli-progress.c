/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cli/bdfu-cli-progress.h"

/* human output of one job's events: a redrawn bar on a terminal, plain lines otherwise */

static gchar *
bdfu_format_bytes(gdouble bytes)
{
	if (bytes >= 1024 * 1024)
		return g_strdup_printf("%.1f MiB", bytes / (1024 * 1024));
	if (bytes >= 1024)
		return g_strdup_printf("%.1f KiB", bytes / 1024);
	return g_strdup_printf("%.0f B", bytes);
}

static gdouble
bdfu_vardict_double(GVariant *data, const gchar *key)
{
	g_autoptr(GVariant) value = g_variant_lookup_value(data, key, NULL);
	if (value == NULL)
		return 0;
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_DOUBLE))
		return g_variant_get_double(value);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
		return (gdouble)g_variant_get_uint64(value);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32))
		return g_variant_get_uint32(value);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT16))
		return g_variant_get_uint16(value);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_INT16))
		return g_variant_get_int16(value);
	return 0;
}

static const gchar *
bdfu_vardict_string(GVariant *data, const gchar *key)
{
	const gchar *str = NULL;
	if (!g_variant_lookup(data, key, "&s", &str))
		return "";
	return str;
}

void
bdfu_cli_progress_clear(BdfuCliProgress *progress)
{
	if (progress->bar_shown) {
		fprintf(stdout, "\r\033[K");
		fflush(stdout);
		progress->bar_shown = FALSE;
	}
}

static void
bdfu_cli_progress_bar(BdfuCliProgress *progress, GVariant *data)
{
	gdouble percent = bdfu_vardict_double(data, "percent");
	gdouble speed = bdfu_vardict_double(data, "speed");
	gdouble eta = bdfu_vardict_double(data, "eta");
	gdouble bytes = bdfu_vardict_double(data, "bytes");
	gdouble total = bdfu_vardict_double(data, "total");
	g_autofree gchar *done_str = bdfu_format_bytes(bytes);
	g_autofree gchar *total_str = bdfu_format_bytes(total);
	g_autofree gchar *speed_str = bdfu_format_bytes(speed);
	const guint width = 24;
	guint filled = (guint)(percent * width / 100.0);
	gchar bar[32];

	for (guint i = 0; i < width; i++)
		bar[i] = i < filled ? '#' : '-';
	bar[width] = '\0';
	fprintf(stdout,
		"\r\033[K%s [%s] %5.1f%% part %.0f/%.0f %s/%s %s/s",
		progress->label,
		bar,
		percent,
		bdfu_vardict_double(data, "part"),
		bdfu_vardict_double(data, "parts"),
		done_str,
		total_str,
		speed_str);
	if (eta > 0)
		fprintf(stdout, " ETA %u:%02u", (guint)eta / 60, (guint)eta % 60);
	fflush(stdout);
	progress->bar_shown = TRUE;
}

void
bdfu_cli_progress_event(BdfuCliProgress *progress, const gchar *name, GVariant *data)
{
	if (g_strcmp0(name, "progress") == 0) {
		gdouble percent = bdfu_vardict_double(data, "percent");
		if (progress->quiet)
			return;
		if (progress->tty) {
			bdfu_cli_progress_bar(progress, data);
			return;
		}
		/* plain output: a line every 10 % */
		if ((guint)percent / 10 != progress->last_decile || percent >= 100) {
			if ((guint)percent / 10 == progress->last_decile && progress->printed_100)
				return;
			progress->last_decile = (guint)percent / 10;
			progress->printed_100 = percent >= 100;
			fprintf(stdout, "%s: %.0f%% (part %.0f/%.0f)\n", progress->label, percent,
				bdfu_vardict_double(data, "part"), bdfu_vardict_double(data, "parts"));
			fflush(stdout);
		}
		return;
	}
	if (progress->quiet && g_strcmp0(name, "finding") != 0)
		return;
	bdfu_cli_progress_clear(progress);
	if (g_strcmp0(name, "found") == 0) {
		fprintf(stdout, "%s: found %s \"%s\" (%s, %.0f dBm)\n", progress->label,
			bdfu_vardict_string(data, "address"), bdfu_vardict_string(data, "name"),
			bdfu_vardict_string(data, "mode"), bdfu_vardict_double(data, "rssi"));
	} else if (g_strcmp0(name, "part-start") == 0) {
		g_autofree gchar *size = bdfu_format_bytes(bdfu_vardict_double(data, "size"));
		fprintf(stdout, "%s: part %.0f/%.0f %s, %s\n", progress->label,
			bdfu_vardict_double(data, "part"), bdfu_vardict_double(data, "parts"),
			bdfu_vardict_string(data, "type"), size);
		progress->last_decile = G_MAXUINT;
		progress->printed_100 = FALSE;
	} else if (g_strcmp0(name, "part-done") == 0) {
		fprintf(stdout, "%s: part %.0f/%.0f %s accepted by the device\n", progress->label,
			bdfu_vardict_double(data, "part"), bdfu_vardict_double(data, "parts"),
			bdfu_vardict_string(data, "type"));
	} else if (g_strcmp0(name, "connected") == 0) {
		if (progress->verbose)
			fprintf(stdout, "%s: connected to %s, MTU %.0f\n", progress->label,
				bdfu_vardict_string(data, "address"), bdfu_vardict_double(data, "mtu"));
	} else if (g_strcmp0(name, "resumed") == 0 || g_strcmp0(name, "retry") == 0 ||
		   g_strcmp0(name, "link-lost") == 0 || g_strcmp0(name, "entering-bootloader") == 0 ||
		   g_strcmp0(name, "rebooting") == 0 || g_strcmp0(name, "log") == 0) {
		if (g_strcmp0(name, "log") == 0 && !progress->verbose)
			return;
		fprintf(stdout, "%s: %s\n", progress->label, bdfu_vardict_string(data, "message"));
	} else if (g_strcmp0(name, "app-booted") == 0) {
		const gchar *rev = bdfu_vardict_string(data, "fw_revision");
		fprintf(stdout, "%s: application booted at %s%s%s\n", progress->label,
			bdfu_vardict_string(data, "address"), *rev ? ", firmware revision " : "",
			rev);
	} else if (g_strcmp0(name, "finding") == 0) {
		if (!progress->show_findings)
			return;
		fprintf(stderr, "%s %s (%s): %s\n  fix: %s\n", bdfu_vardict_string(data, "severity"),
			bdfu_vardict_string(data, "id"), bdfu_vardict_string(data, "part"),
			bdfu_vardict_string(data, "message"), bdfu_vardict_string(data, "fix"));
	}
	fflush(stdout);
}
