/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cjson/cJSON.h>
#include <gio/gio.h>

#include "backend/bdfu-backend.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

/* options every verb takes (they may stand before or after the verb) */
typedef struct {
	gchar *backend;	    /* "bluez" (default) or "sim" */
	gchar *adapter;	    /* "hci0" */
	gchar *sim_profile; /* GKeyFile of simulated devices */
	gboolean sim_realtime;
	gboolean json;
	gint verbose;
	gboolean quiet;
	gboolean no_daemon;
	gboolean is_tty;
} BdfuCli;

typedef struct {
	const gchar *name;
	const gchar *args;	  /* "PACKAGE TARGET..." for help */
	const gchar *summary;
	int (*run)(BdfuCli *cli, int argc, char **argv);
} BdfuCliVerb;

/* the verbs */
int
bdfu_cli_inspect(BdfuCli *cli, int argc, char **argv);
int
bdfu_cli_doctor(BdfuCli *cli, int argc, char **argv);
int
bdfu_cli_scan(BdfuCli *cli, int argc, char **argv);
int
bdfu_cli_update(BdfuCli *cli, int argc, char **argv);
int
bdfu_cli_enter_bootloader(BdfuCli *cli, int argc, char **argv);
int
bdfu_cli_pkg(BdfuCli *cli, int argc, char **argv);
int
bdfu_cli_keys_main(BdfuCli *cli, int argc, char **argv);
int
bdfu_cli_jobs(BdfuCli *cli, int argc, char **argv);
int
bdfu_cli_watch(BdfuCli *cli, int argc, char **argv);
int
bdfu_cli_cancel(BdfuCli *cli, int argc, char **argv);

/* shared helpers */
BdfuBackend *
bdfu_cli_get_backend(BdfuCli *cli, GError **error);
/* parse verb options with the global ones; prints usage errors; FALSE → exit 2 */
gboolean
bdfu_cli_parse(BdfuCli *cli,
	       const gchar *verb,
	       const gchar *parameter_string,
	       const gchar *summary,
	       const GOptionEntry *entries,
	       int *argc,
	       char ***argv);
/* prints an error the way every verb does (JSON or human) and returns its exit code */
int
bdfu_cli_fail(BdfuCli *cli, const GError *error);
void
bdfu_cli_print_json(cJSON *object);
cJSON *
bdfu_cli_variant_to_json(GVariant *value);
/* "0x9D S132 5.0.0" for each sd_req entry, as a JSON array of strings */
cJSON *
bdfu_cli_sd_req_named(const guint32 *sd_req, guint len);

G_END_DECLS
