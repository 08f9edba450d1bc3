/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "backend/bluez/bdfu-bluez-backend.h"
#include "backend/sim/bdfu-sim-backend.h"
#include "bluedfu/bdfu-error.h"
#include "cli/bdfu-cli.h"

gboolean
bdfu_cli_parse(BdfuCli *cli,
	       const gchar *verb,
	       const gchar *parameter_string,
	       const gchar *summary,
	       const GOptionEntry *entries,
	       int *argc,
	       char ***argv)
{
	const GOptionEntry global_entries[] = {
	    {"backend", 0, 0, G_OPTION_ARG_STRING, &cli->backend,
	     "Where devices come from: bluez (default) or sim", "bluez|sim"},
	    {"adapter", 0, 0, G_OPTION_ARG_STRING, &cli->adapter, "Bluetooth adapter", "hciN"},
	    {"sim-profile", 0, 0, G_OPTION_ARG_FILENAME, &cli->sim_profile,
	     "Simulated devices (GKeyFile, see bluedfu(1))", "FILE"},
	    {"sim-realtime", 0, 0, G_OPTION_ARG_NONE, &cli->sim_realtime,
	     "Run the simulation in real time", NULL},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &cli->json, "One JSON object per line", NULL},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &cli->verbose,
	     "Show every Control Point request and response", NULL},
	    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &cli->quiet, "Only errors and the result", NULL},
	    {"no-daemon", 0, 0, G_OPTION_ARG_NONE, &cli->no_daemon,
	     "Run in this process even when bluedfud is on the bus", NULL},
	    {NULL}};
	g_autofree gchar *param = g_strdup_printf("%s%s%s", verb, *parameter_string ? " " : "",
						  parameter_string);
	g_autoptr(GOptionContext) context = g_option_context_new(param);
	g_autoptr(GError) error = NULL;

	g_option_context_set_summary(context, summary);
	g_option_context_add_main_entries(context, global_entries, NULL);
	if (entries != NULL)
		g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_description(context, "See bluedfu(1) for exit codes and examples.");
	if (!g_option_context_parse(context, argc, argv, &error)) {
		g_printerr("bluedfu %s: %s\nTry 'bluedfu %s --help'.\n", verb, error->message, verb);
		return FALSE;
	}
	if (cli->backend != NULL && g_strcmp0(cli->backend, "bluez") != 0 &&
	    g_strcmp0(cli->backend, "sim") != 0) {
		g_printerr("bluedfu %s: unknown backend '%s' (bluez or sim)\n", verb, cli->backend);
		return FALSE;
	}
	return TRUE;
}

BdfuBackend *
bdfu_cli_get_backend(BdfuCli *cli, GError **error)
{
	if (g_strcmp0(cli->backend, "sim") == 0)
		return bdfu_sim_backend_new(cli->sim_profile, cli->sim_realtime, error);
	if (cli->sim_profile != NULL) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "--sim-profile needs --backend sim");
		return NULL;
	}
	return bdfu_bluez_backend_new(cli->adapter, error);
}

void
bdfu_cli_print_json(cJSON *object)
{
	g_autofree gchar *text = cJSON_PrintUnformatted(object);
	fprintf(stdout, "%s\n", text);
	fflush(stdout);
}

int
bdfu_cli_fail(BdfuCli *cli, const GError *error)
{
	int code = bdfu_error_to_exit_code(error);
	if (cli->json) {
		g_autoptr(cJSON) obj = cJSON_CreateObject();
		cJSON_AddStringToObject(obj, "event", "error");
		cJSON_AddStringToObject(obj,
					"error",
					error->domain == BDFU_ERROR
					    ? bdfu_error_to_string((BdfuError)error->code)
					    : "Failed");
		cJSON_AddStringToObject(obj, "message", error->message);
		cJSON_AddNumberToObject(obj, "exit_code", code);
		bdfu_cli_print_json(obj);
	} else {
		g_printerr("bluedfu: %s\n", error->message);
	}
	return code;
}

cJSON *
bdfu_cli_variant_to_json(GVariant *value)
{
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_VARIANT)) {
		g_autoptr(GVariant) inner = g_variant_get_variant(value);
		return bdfu_cli_variant_to_json(inner);
	}
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
		return cJSON_CreateBool(g_variant_get_boolean(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
		return cJSON_CreateString(g_variant_get_string(value, NULL));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_DOUBLE))
		return cJSON_CreateNumber(g_variant_get_double(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_INT16))
		return cJSON_CreateNumber(g_variant_get_int16(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT16))
		return cJSON_CreateNumber(g_variant_get_uint16(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_INT32))
		return cJSON_CreateNumber(g_variant_get_int32(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32))
		return cJSON_CreateNumber(g_variant_get_uint32(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_INT64))
		return cJSON_CreateNumber((double)g_variant_get_int64(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
		return cJSON_CreateNumber((double)g_variant_get_uint64(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_BYTE))
		return cJSON_CreateNumber(g_variant_get_byte(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_VARDICT)) {
		cJSON *obj = cJSON_CreateObject();
		GVariantIter iter;
		const gchar *key;
		GVariant *child;
		g_variant_iter_init(&iter, value);
		while (g_variant_iter_next(&iter, "{&sv}", &key, &child)) {
			cJSON_AddItemToObject(obj, key, bdfu_cli_variant_to_json(child));
			g_variant_unref(child);
		}
		return obj;
	}
	if (g_variant_is_container(value)) {
		cJSON *arr = cJSON_CreateArray();
		GVariantIter iter;
		GVariant *child;
		g_variant_iter_init(&iter, value);
		while ((child = g_variant_iter_next_value(&iter)) != NULL) {
			cJSON_AddItemToArray(arr, bdfu_cli_variant_to_json(child));
			g_variant_unref(child);
		}
		return arr;
	}
	return cJSON_CreateNull();
}
