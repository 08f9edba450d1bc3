/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bluedfu/bdfu-error.h"
#include "cli/bdfu-cli.h"

typedef struct {
	GMainLoop *loop;
	GPtrArray *devices;
	GError *error;
} BdfuCliScan;

static void
bdfu_cli_scan_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuCliScan *scan = user_data;
	scan->devices = bdfu_backend_scan_finish(BDFU_BACKEND(source), res, &scan->error);
	g_main_loop_quit(scan->loop);
}

int
bdfu_cli_scan(BdfuCli *cli, int argc, char **argv)
{
	gint timeout = 5;
	gboolean all = FALSE;
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = NULL;
	BdfuScanFilter filter = {0};
	BdfuCliScan scan = {0};
	const GOptionEntry entries[] = {
	    {"timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "Seconds to listen (default 5)", "S"},
	    {"all", 'a', 0, G_OPTION_ARG_NONE, &all,
	     "Also list devices that offer no DFU service", NULL},
	    {NULL}};
	int rc = 0;

	if (!bdfu_cli_parse(cli, "scan", "",
			    "List devices in DFU mode or offering buttonless DFU, strongest first.",
			    entries, &argc, &argv))
		return 2;
	if (argc != 1 || timeout < 1 || timeout > 600) {
		g_printerr("bluedfu scan: takes no arguments; --timeout 1..600\n");
		return 2;
	}
	backend = bdfu_cli_get_backend(cli, &error);
	if (backend == NULL)
		return bdfu_cli_fail(cli, error);

	filter.all = all;
	scan.loop = g_main_loop_new(NULL, FALSE);
	bdfu_backend_scan_async(backend, &filter, (guint)timeout * 1000, NULL, bdfu_cli_scan_cb,
				&scan);
	g_main_loop_run(scan.loop);
	g_main_loop_unref(scan.loop);
	/* StopDiscovery is on its way before we exit */
	bdfu_backend_flush(backend);
	if (scan.devices == NULL) {
		rc = bdfu_cli_fail(cli, scan.error);
		g_error_free(scan.error);
		return rc;
	}
	if (!cli->json && scan.devices->len > 0)
		g_print("%-17s %5s  %-22s %s\n", "ADDRESS", "RSSI", "MODE", "NAME");
	for (guint i = 0; i < scan.devices->len; i++) {
		BdfuDeviceInfo *info = g_ptr_array_index(scan.devices, i);
		if (cli->json) {
			g_autoptr(cJSON) obj = cJSON_CreateObject();
			cJSON_AddStringToObject(obj, "event", "found");
			cJSON_AddStringToObject(obj, "address", info->address);
			cJSON_AddStringToObject(obj, "name", info->name != NULL ? info->name : "");
			if (info->rssi != 0)
				cJSON_AddNumberToObject(obj, "rssi", info->rssi);
			else
				cJSON_AddNullToObject(obj, "rssi");
			cJSON_AddStringToObject(obj, "mode", bdfu_device_mode_to_string(info->mode));
			cJSON_AddBoolToObject(obj, "bonded", info->bonded);
			cJSON_AddStringToObject(obj, "adapter",
						info->adapter != NULL ? info->adapter : "");
			bdfu_cli_print_json(obj);
		} else {
			g_autofree gchar *rssi = info->rssi != 0 ? g_strdup_printf("%d", info->rssi)
								   : g_strdup("?");
			g_print("%-17s %5s  %-22s %s\n", info->address, rssi,
				bdfu_device_mode_to_string(info->mode),
				info->name != NULL ? info->name : "");
		}
	}
	if (!cli->json && scan.devices->len == 0 && !cli->quiet)
		g_print("No device offering DFU was seen in %d s%s.\n", timeout,
			all ? "" : " (--all lists every device)");
	g_ptr_array_unref(scan.devices);
	return 0;
}
