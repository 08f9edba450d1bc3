/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bluedfud"

#include <glib-unix.h>
#include <locale.h>

#include "bluedfu/bdfu-dbus.h"
#include "bluedfu/bdfu-error.h"
#include "daemon/bdfud-config.h"
#include "daemon/bdfud-manager.h"

typedef struct {
	GMainLoop *loop;
	GDBusConnection *bus;
	BdfudManager *manager;
	int rc;
} BdfudMain;

static void
bdfud_name_acquired_cb(GDBusConnection *bus, const gchar *name, gpointer user_data)
{
	g_message("owning %s", name);
}

static void
bdfud_name_lost_cb(GDBusConnection *bus, const gchar *name, gpointer user_data)
{
	BdfudMain *m = user_data;
	g_printerr("bluedfud: lost or could not own %s on the bus (another bluedfud running, or "
		   "the D-Bus policy in /usr/share/dbus-1/system.d does not allow it)\n",
		   name);
	m->rc = 1;
	g_main_loop_quit(m->loop);
}

static gboolean
bdfud_signal_cb(gpointer user_data)
{
	BdfudMain *m = user_data;
	/* jobs stay journaled: the next start resumes them */
	if (bdfud_manager_is_busy(m->manager))
		g_message("stopping with jobs in progress; they resume at the next start");
	g_main_loop_quit(m->loop);
	return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
	BdfudMain m = {0};
	BdfudConfig config;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *backend = NULL;
	g_autofree gchar *sim_profile = NULL;
	g_autofree gchar *state_dir = NULL;
	gboolean session = FALSE, sim_realtime = FALSE, no_polkit = FALSE, version = FALSE;
	gint max_parallel = 0;
	guint owner_id;
	const GOptionEntry entries[] = {
	    {"config",
	     'c',
	     0,
	     G_OPTION_ARG_FILENAME,
	     &config_path,
	     "Configuration file (default /etc/bluedfu/bluedfu.conf)",
	     "FILE"},
	    {"session",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &session,
	     "Own the name on the session bus (for tests)",
	     NULL},
	    {"backend", 0, 0, G_OPTION_ARG_STRING, &backend, "bluez (default) or sim", "NAME"},
	    {"sim-profile",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &sim_profile,
	     "Simulated devices, with --backend sim",
	     "FILE"},
	    {"sim-realtime",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &sim_realtime,
	     "Run the simulation in real time",
	     NULL},
	    {"state-directory",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &state_dir,
	     "Where jobs are journaled (default /var/lib/bluedfu)",
	     "DIR"},
	    {"max-parallel",
	     'j',
	     0,
	     G_OPTION_ARG_INT,
	     &max_parallel,
	     "Connections at once per adapter",
	     "N"},
	    {"no-polkit",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &no_polkit,
	     "Do not ask polkit (only for tests on a private bus)",
	     NULL},
	    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL},
	    {NULL}};

	setlocale(LC_ALL, "");
	context = g_option_context_new("- the bluedfu firmware update daemon");
	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_description(context, "See bluedfud(8).");
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("bluedfud: %s\n", error->message);
		return 2;
	}
	if (version) {
		g_print("bluedfud %s\n", BDFU_VERSION);
		return 0;
	}
	bdfud_config_init(&config);
	if (!bdfud_config_load(
		&config, config_path != NULL ? config_path : "/etc/bluedfu/bluedfu.conf", &error)) {
		g_printerr("bluedfud: %s\n", error->message);
		bdfud_config_clear(&config);
		return 2;
	}
	if (backend != NULL) {
		if (g_strcmp0(backend, "bluez") != 0 && g_strcmp0(backend, "sim") != 0) {
			g_printerr("bluedfud: --backend must be bluez or sim\n");
			bdfud_config_clear(&config);
			return 2;
		}
		g_free(config.backend);
		config.backend = g_steal_pointer(&backend);
	}
	if (sim_profile != NULL) {
		g_free(config.sim_profile);
		config.sim_profile = g_steal_pointer(&sim_profile);
	}
	if (state_dir != NULL) {
		g_free(config.state_dir);
		config.state_dir = g_steal_pointer(&state_dir);
	}
	if (sim_realtime)
		config.sim_realtime = TRUE;
	if (no_polkit)
		config.polkit = FALSE;
	if (max_parallel > 0)
		config.max_parallel = (guint)MIN(max_parallel, 32);

	m.bus = g_bus_get_sync(session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, &error);
	if (m.bus == NULL) {
		g_printerr("bluedfud: cannot connect to the %s bus: %s\n",
			   session ? "session" : "system",
			   error->message);
		bdfud_config_clear(&config);
		return 1;
	}
	m.manager = bdfud_manager_new(m.bus, &config, &error);
	if (m.manager == NULL || !bdfud_manager_start(m.manager, &error)) {
		g_printerr("bluedfud: %s\n", error->message);
		g_clear_object(&m.manager);
		g_object_unref(m.bus);
		bdfud_config_clear(&config);
		return 1;
	}
	m.loop = g_main_loop_new(NULL, FALSE);
	owner_id = g_bus_own_name_on_connection(m.bus,
						BDFU_DBUS_NAME,
						G_BUS_NAME_OWNER_FLAGS_NONE,
						bdfud_name_acquired_cb,
						bdfud_name_lost_cb,
						&m,
						NULL);
	g_unix_signal_add(SIGTERM, bdfud_signal_cb, &m);
	g_unix_signal_add(SIGINT, bdfud_signal_cb, &m);
	g_main_loop_run(m.loop);

	g_bus_unown_name(owner_id);
	g_clear_object(&m.manager);
	g_dbus_connection_flush_sync(m.bus, NULL, NULL);
	g_object_unref(m.bus);
	g_main_loop_unref(m.loop);
	bdfud_config_clear(&config);
	return m.rc;
}
