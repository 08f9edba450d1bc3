/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli/bdfu-cli-daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bluedfu/bdfu-dbus.h"
#include "bluedfu/bdfu-error.h"

GDBusConnection *
bdfu_cli_daemon_get(BdfuCli *cli)
{
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GVariant) reply = NULL;
	gboolean has_owner = FALSE;

	if (cli->no_daemon || cli->backend != NULL || cli->sim_profile != NULL ||
	    cli->adapter != NULL)
		return NULL;
	bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
	if (bus == NULL)
		return NULL;
	reply = g_dbus_connection_call_sync(bus,
					    "org.freedesktop.DBus",
					    "/org/freedesktop/DBus",
					    "org.freedesktop.DBus",
					    "NameHasOwner",
					    g_variant_new("(s)", BDFU_DBUS_NAME),
					    G_VARIANT_TYPE("(b)"),
					    G_DBUS_CALL_FLAGS_NONE,
					    2000,
					    NULL,
					    NULL);
	if (reply != NULL)
		g_variant_get(reply, "(b)", &has_owner);
	if (!has_owner) {
		g_autoptr(GVariant) names = g_dbus_connection_call_sync(bus,
									"org.freedesktop.DBus",
									"/org/freedesktop/DBus",
									"org.freedesktop.DBus",
									"ListActivatableNames",
									NULL,
									G_VARIANT_TYPE("(as)"),
									G_DBUS_CALL_FLAGS_NONE,
									2000,
									NULL,
									NULL);
		g_autofree const gchar **list = NULL;
		if (names != NULL) {
			g_variant_get(names, "(^a&s)", &list);
			has_owner = g_strv_contains(list, BDFU_DBUS_NAME);
		}
	}
	if (!has_owner)
		return NULL;
	bdfu_dbus_error_ensure();
	return g_steal_pointer(&bus);
}

/* a sealed memfd: the daemon reads what we checked, and nothing else */
static gint
bdfu_cli_package_memfd(GBytes *zip, GError **error)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(zip, &len);
	gsize done = 0;
	gint fd = memfd_create("bluedfu-package", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		g_set_error(
		    error, BDFU_ERROR, BDFU_ERROR_FAILED, "memfd_create: %s", g_strerror(errno));
		return -1;
	}
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_FAILED,
				    "cannot copy the package: %s",
				    g_strerror(errno));
			close(fd);
			return -1;
		}
		done += (gsize)n;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return fd;
}

/* following jobs ---------------------------------------------------------------------------- */

typedef struct {
	BdfuCliRun *run;
	GDBusConnection *bus;
	GHashTable *by_path; /* job path → BdfuCliTarget* (not owned) */
	GHashTable *done;    /* job path set */
	guint pending;
	gboolean cancel_on_sigint;
} BdfuCliFollow;

static void
bdfu_cli_follow_target_done(BdfuCliFollow *follow, BdfuCliTarget *target, GVariant *props)
{
	const gchar *result = "failed", *message = "", *address = "", *error_name = "";
	gint32 exit_code = 1;

	g_variant_lookup(props, "Result", "&s", &result);
	g_variant_lookup(props, "ErrorMessage", "&s", &message);
	g_variant_lookup(props, "ErrorName", "&s", &error_name);
	g_variant_lookup(props, "Address", "&s", &address);
	g_variant_lookup(props, "ExitCode", "i", &exit_code);
	target->exit_code = exit_code;
	target->outcome = g_strdup(result);
	target->message = g_strdup(message[0] != '\0' ? message
				   : exit_code == 0   ? "application booted"
						      : result);
	if (address[0] != '\0' && target->address == NULL)
		target->address = g_strdup(address);
	bdfu_cli_target_print_result(target,
				     g_str_has_prefix(error_name, BDFU_DBUS_ERROR_PREFIX)
					 ? error_name + strlen(BDFU_DBUS_ERROR_PREFIX)
					 : NULL);
}

static void
bdfu_cli_follow_finish_job(BdfuCliFollow *follow, const gchar *path)
{
	BdfuCliTarget *target = g_hash_table_lookup(follow->by_path, path);
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) props = NULL;

	if (target == NULL || g_hash_table_contains(follow->done, path))
		return;
	g_hash_table_add(follow->done, g_strdup(path));
	reply = g_dbus_connection_call_sync(follow->bus,
					    BDFU_DBUS_NAME,
					    path,
					    "org.freedesktop.DBus.Properties",
					    "GetAll",
					    g_variant_new("(s)", BDFU_DBUS_JOB_IFACE),
					    G_VARIANT_TYPE("(a{sv})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    5000,
					    NULL,
					    NULL);
	if (reply != NULL) {
		g_variant_get(reply, "(@a{sv})", &props);
	} else {
		GVariantBuilder b;
		g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&b,
				      "{sv}",
				      "ErrorMessage",
				      g_variant_new_string("the job is gone from bluedfud; "
							   "`bluedfu jobs` shows its recorded "
							   "result"));
		props = g_variant_ref_sink(g_variant_builder_end(&b));
	}
	bdfu_cli_follow_target_done(follow, target, props);
	if (--follow->pending == 0)
		g_main_loop_quit(follow->run->loop);
}

static void
bdfu_cli_follow_signal_cb(GDBusConnection *bus,
			  const gchar *sender,
			  const gchar *path,
			  const gchar *iface,
			  const gchar *signal,
			  GVariant *params,
			  gpointer user_data)
{
	BdfuCliFollow *follow = user_data;

	if (g_strcmp0(signal, "Event") == 0) {
		BdfuCliTarget *target = g_hash_table_lookup(follow->by_path, path);
		const gchar *name = NULL;
		g_autoptr(GVariant) data = NULL;
		if (target == NULL || g_hash_table_contains(follow->done, path))
			return;
		g_variant_get(params, "(&s@a{sv})", &name, &data);
		bdfu_cli_target_event(target, name, data);
	} else if (g_strcmp0(signal, "JobRemoved") == 0) {
		const gchar *job = NULL;
		g_variant_get(params, "(&o&s)", &job, NULL);
		bdfu_cli_follow_finish_job(follow, job);
	} else if (g_strcmp0(signal, "NameOwnerChanged") == 0) {
		const gchar *name = NULL, *new_owner = NULL;
		g_variant_get(params, "(&s&s&s)", &name, NULL, &new_owner);
		if (g_strcmp0(name, BDFU_DBUS_NAME) == 0 && new_owner[0] == '\0') {
			g_printerr("bluedfu: bluedfud left the bus; its jobs resume when it "
				   "starts again (`bluedfu jobs`)\n");
			g_main_loop_quit(follow->run->loop);
		}
	}
}

static gboolean
bdfu_cli_follow_sigint_cb(gpointer user_data)
{
	BdfuCliFollow *follow = user_data;
	GHashTableIter iter;
	gpointer path;

	if (!follow->cancel_on_sigint) {
		g_main_loop_quit(follow->run->loop);
		return G_SOURCE_REMOVE;
	}
	g_hash_table_iter_init(&iter, follow->by_path);
	while (g_hash_table_iter_next(&iter, &path, NULL))
		g_dbus_connection_call(follow->bus,
				       BDFU_DBUS_NAME,
				       path,
				       BDFU_DBUS_JOB_IFACE,
				       "Cancel",
				       NULL,
				       NULL,
				       G_DBUS_CALL_FLAGS_NONE,
				       -1,
				       NULL,
				       NULL,
				       NULL);
	return G_SOURCE_CONTINUE;
}

static guint
bdfu_cli_follow_subscribe(BdfuCliFollow *follow, const gchar *iface, const gchar *member)
{
	return g_dbus_connection_signal_subscribe(
	    follow->bus,
	    g_strcmp0(iface, "org.freedesktop.DBus") == 0 ? "org.freedesktop.DBus" : BDFU_DBUS_NAME,
	    iface,
	    member,
	    NULL,
	    NULL,
	    G_DBUS_SIGNAL_FLAGS_NONE,
	    bdfu_cli_follow_signal_cb,
	    follow,
	    NULL);
}

/* runs the loop until every job in follow->by_path has finished */
static void
bdfu_cli_follow_run(BdfuCliFollow *follow, const gchar *const *paths)
{
	guint sigint = g_unix_signal_add(SIGINT, bdfu_cli_follow_sigint_cb, follow);

	/* a job may have ended before we looked */
	for (guint i = 0; paths[i] != NULL; i++) {
		g_autoptr(GVariant) reply =
		    g_dbus_connection_call_sync(follow->bus,
						BDFU_DBUS_NAME,
						paths[i],
						"org.freedesktop.DBus.Properties",
						"Get",
						g_variant_new("(ss)", BDFU_DBUS_JOB_IFACE, "State"),
						G_VARIANT_TYPE("(v)"),
						G_DBUS_CALL_FLAGS_NONE,
						5000,
						NULL,
						NULL);
		g_autoptr(GVariant) state = NULL;
		if (reply == NULL)
			continue;
		g_variant_get(reply, "(v)", &state);
		if (g_strcmp0(g_variant_get_string(state, NULL), "finished") == 0)
			bdfu_cli_follow_finish_job(follow, paths[i]);
	}
	if (follow->pending > 0)
		g_main_loop_run(follow->run->loop);
	g_source_remove(sigint);
}

static void
bdfu_cli_follow_init(BdfuCliFollow *follow, BdfuCliRun *run, GDBusConnection *bus, guint ids[3])
{
	follow->run = run;
	follow->bus = bus;
	follow->by_path = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	follow->done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	run->loop = g_main_loop_new(NULL, FALSE);
	ids[0] = bdfu_cli_follow_subscribe(follow, BDFU_DBUS_JOB_IFACE, "Event");
	ids[1] = bdfu_cli_follow_subscribe(follow, BDFU_DBUS_MANAGER_IFACE, "JobRemoved");
	ids[2] = bdfu_cli_follow_subscribe(follow, "org.freedesktop.DBus", "NameOwnerChanged");
}

static void
bdfu_cli_follow_clear(BdfuCliFollow *follow, guint ids[3])
{
	for (guint i = 0; i < 3; i++)
		g_dbus_connection_signal_unsubscribe(follow->bus, ids[i]);
	g_clear_pointer(&follow->by_path, g_hash_table_unref);
	g_clear_pointer(&follow->done, g_hash_table_unref);
	g_clear_pointer(&follow->run->loop, g_main_loop_unref);
}

static BdfuCliTarget *
bdfu_cli_follow_add(BdfuCliFollow *follow, const gchar *path, const gchar *label, guint n_jobs)
{
	BdfuCli *cli = follow->run->cli;
	BdfuCliTarget *target = g_new0(BdfuCliTarget, 1);
	target->run = follow->run;
	target->target = g_strdup(label);
	target->progress.label = g_strdup(label);
	target->progress.tty = cli->is_tty && n_jobs == 1;
	target->progress.quiet = cli->quiet;
	target->progress.verbose = cli->verbose > 0;
	target->progress.last_decile = G_MAXUINT;
	g_ptr_array_add(follow->run->targets, target);
	g_hash_table_insert(follow->by_path, g_strdup(path), target);
	follow->pending++;
	return target;
}

static gchar *
bdfu_cli_job_get_string(GDBusConnection *bus, const gchar *path, const gchar *property)
{
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_sync(bus,
					BDFU_DBUS_NAME,
					path,
					"org.freedesktop.DBus.Properties",
					"Get",
					g_variant_new("(ss)", BDFU_DBUS_JOB_IFACE, property),
					G_VARIANT_TYPE("(v)"),
					G_DBUS_CALL_FLAGS_NONE,
					5000,
					NULL,
					NULL);
	g_autoptr(GVariant) value = NULL;
	if (reply == NULL)
		return NULL;
	g_variant_get(reply, "(v)", &value);
	return g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)
		   ? g_variant_dup_string(value, NULL)
		   : NULL;
}

static int
bdfu_cli_follow_exit_code(BdfuCliRun *run)
{
	int rc = 0;
	bdfu_cli_print_summary(run);
	for (guint i = 0; i < run->targets->len; i++) {
		BdfuCliTarget *target = g_ptr_array_index(run->targets, i);
		if (!target->finished && rc == 0)
			rc = 1;
		if (target->exit_code != 0 && rc == 0)
			rc = target->exit_code;
	}
	return rc;
}

int
bdfu_cli_daemon_update(BdfuCli *cli,
		       BdfuCliRun *run,
		       GDBusConnection *bus,
		       char **targets,
		       guint n_targets)
{
	BdfuCliFollow follow = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
	g_autoptr(GVariant) reply = NULL;
	g_autofree const gchar **paths = NULL;
	GVariantBuilder options;
	guint ids[3];
	gint fd;
	int rc;

	fd = bdfu_cli_package_memfd(run->zip, &error);
	if (fd < 0)
		return bdfu_cli_fail(cli, error);
	g_unix_fd_list_append(fds, fd, NULL);
	close(fd);

	g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&options, "{sv}", "prn", g_variant_new_uint16(run->options.prn));
	g_variant_builder_add(&options, "{sv}", "mtu", g_variant_new_uint16(run->options.mtu));
	g_variant_builder_add(
	    &options, "{sv}", "retries", g_variant_new_uint32(run->options.retries));
	g_variant_builder_add(
	    &options, "{sv}", "resume", g_variant_new_boolean(run->options.resume));
	g_variant_builder_add(
	    &options, "{sv}", "verify-boot", g_variant_new_boolean(run->options.verify_boot));
	g_variant_builder_add(&options, "{sv}", "force", g_variant_new_boolean(run->options.force));
	g_variant_builder_add(
	    &options, "{sv}", "scan-timeout", g_variant_new_uint32(run->options.scan_timeout_ms));
	g_variant_builder_add(
	    &options, "{sv}", "boot-timeout", g_variant_new_uint32(run->options.boot_timeout_ms));
	g_variant_builder_add(
	    &options, "{sv}", "verbose", g_variant_new_boolean(run->options.verbose));

	run->cli = cli;
	run->targets = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_cli_target_free);
	bdfu_cli_follow_init(&follow, run, bus, ids);
	follow.cancel_on_sigint = TRUE;
	reply = g_dbus_connection_call_with_unix_fd_list_sync(
	    bus,
	    BDFU_DBUS_NAME,
	    BDFU_DBUS_PATH,
	    BDFU_DBUS_MANAGER_IFACE,
	    "StartUpdate",
	    g_variant_new("(h^as@a{sv})", 0, targets, g_variant_builder_end(&options)),
	    G_VARIANT_TYPE("(ao)"),
	    G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
	    /* globs are expanded by a scan in the daemon */
	    (gint)run->options.scan_timeout_ms + 130000,
	    fds,
	    NULL,
	    NULL,
	    &error);
	if (reply == NULL) {
		g_dbus_error_strip_remote_error(error);
		bdfu_cli_follow_clear(&follow, ids);
		g_clear_pointer(&run->targets, g_ptr_array_unref);
		return bdfu_cli_fail(cli, error);
	}
	g_variant_get(reply, "(^a&o)", &paths);
	for (guint i = 0; paths[i] != NULL; i++) {
		g_autofree gchar *label = bdfu_cli_job_get_string(bus, paths[i], "Target");
		BdfuCliTarget *target = bdfu_cli_follow_add(&follow,
							    paths[i],
							    label != NULL ? label : paths[i],
							    g_strv_length((gchar **)paths));
		if (cli->json) {
			g_autoptr(cJSON) obj = cJSON_CreateObject();
			cJSON_AddStringToObject(obj, "event", "queued");
			cJSON_AddStringToObject(obj, "target", target->target);
			cJSON_AddStringToObject(obj, "job", paths[i]);
			bdfu_cli_print_json(obj);
		} else if (!cli->quiet) {
			g_print("%s: queued in bluedfud as %s\n", target->target, paths[i]);
		}
	}
	bdfu_cli_follow_run(&follow, paths);
	rc = bdfu_cli_follow_exit_code(run);
	if (rc == 0 && !cli->json && !cli->quiet && run->targets->len == 1)
		g_print("Done: the application is running.\n");
	bdfu_cli_follow_clear(&follow, ids);
	g_clear_pointer(&run->targets, g_ptr_array_unref);
	return rc;
}

/* jobs, watch, cancel -------------------------------------------------------------------------- */

static GDBusConnection *
bdfu_cli_daemon_require(BdfuCli *cli)
{
	GDBusConnection *bus;
	gboolean saved = cli->no_daemon;
	cli->no_daemon = FALSE;
	bus = bdfu_cli_daemon_get(cli);
	cli->no_daemon = saved;
	if (bus == NULL) {
		g_autoptr(GError) error = g_error_new_literal(
		    BDFU_ERROR,
		    BDFU_ERROR_FAILED,
		    "bluedfud is not running on the system bus.\nFix: `systemctl start bluedfud`, "
		    "or run updates in-process (they are, when no daemon is there)");
		bdfu_cli_fail(cli, error);
	}
	return bus;
}

static gchar *
bdfu_cli_job_path(const gchar *arg)
{
	guint64 id = 0;
	if (g_str_has_prefix(arg, BDFU_DBUS_JOB_PREFIX))
		return g_strdup(arg);
	if (!g_ascii_string_to_unsigned(arg, 10, 1, G_MAXUINT32, &id, NULL))
		return NULL;
	return g_strdup_printf(BDFU_DBUS_JOB_PREFIX "%" G_GUINT64_FORMAT, id);
}

static void
bdfu_cli_print_job(BdfuCli *cli, const gchar *path, GVariant *props)
{
	const gchar *target = "", *address = "", *state = "", *result = "";
	guint32 id = 0, part = 0, parts = 0;
	guint64 sent = 0, total = 0;

	g_variant_lookup(props, "Id", "u", &id);
	g_variant_lookup(props, "Target", "&s", &target);
	g_variant_lookup(props, "Address", "&s", &address);
	g_variant_lookup(props, "State", "&s", &state);
	g_variant_lookup(props, "Result", "&s", &result);
	g_variant_lookup(props, "Part", "u", &part);
	g_variant_lookup(props, "Parts", "u", &parts);
	g_variant_lookup(props, "BytesSent", "t", &sent);
	g_variant_lookup(props, "BytesTotal", "t", &total);
	if (cli->json) {
		g_autoptr(cJSON) obj = bdfu_cli_variant_to_json(props);
		cJSON_AddStringToObject(obj, "event", "job");
		cJSON_AddStringToObject(obj, "path", path);
		bdfu_cli_print_json(obj);
		return;
	}
	g_print("%-5u %-24s %-18s %-9s %u/%-4u %5.1f%%  %s\n",
		id,
		target,
		address[0] != '\0' ? address : "-",
		state,
		part,
		parts,
		total > 0 ? 100.0 * (gdouble)sent / (gdouble)total : 0.0,
		result);
}

int
bdfu_cli_jobs(BdfuCli *cli, int argc, char **argv)
{
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GVariant) jobs = NULL;
	g_autoptr(GVariant) results = NULL;
	g_autoptr(GVariantIter) iter = NULL;
	const gchar *path;
	gint last = 10;
	const GOptionEntry entries[] = {{"results",
					 'n',
					 0,
					 G_OPTION_ARG_INT,
					 &last,
					 "Show the last N recorded results (default 10, 0 = none)",
					 "N"},
					{NULL}};
	g_autoptr(GError) error = NULL;

	if (!bdfu_cli_parse(cli,
			    "jobs",
			    "",
			    "List the jobs of bluedfud and its recent results.",
			    entries,
			    &argc,
			    &argv))
		return 2;
	if (argc != 1 || last < 0) {
		g_printerr("bluedfu jobs: takes no arguments\n");
		return 2;
	}
	bus = bdfu_cli_daemon_require(cli);
	if (bus == NULL)
		return 1;
	jobs = g_dbus_connection_call_sync(bus,
					   BDFU_DBUS_NAME,
					   BDFU_DBUS_PATH,
					   BDFU_DBUS_MANAGER_IFACE,
					   "ListJobs",
					   NULL,
					   G_VARIANT_TYPE("(ao)"),
					   G_DBUS_CALL_FLAGS_NONE,
					   10000,
					   NULL,
					   &error);
	if (jobs == NULL) {
		g_dbus_error_strip_remote_error(error);
		return bdfu_cli_fail(cli, error);
	}
	if (!cli->json)
		g_print("%-5s %-24s %-18s %-9s %-6s %6s  %s\n",
			"JOB",
			"TARGET",
			"ADDRESS",
			"STATE",
			"PART",
			"DONE",
			"RESULT");
	g_variant_get(jobs, "(ao)", &iter);
	while (g_variant_iter_next(iter, "&o", &path)) {
		g_autoptr(GVariant) reply =
		    g_dbus_connection_call_sync(bus,
						BDFU_DBUS_NAME,
						path,
						"org.freedesktop.DBus.Properties",
						"GetAll",
						g_variant_new("(s)", BDFU_DBUS_JOB_IFACE),
						G_VARIANT_TYPE("(a{sv})"),
						G_DBUS_CALL_FLAGS_NONE,
						5000,
						NULL,
						NULL);
		g_autoptr(GVariant) props = NULL;
		if (reply == NULL)
			continue;
		g_variant_get(reply, "(@a{sv})", &props);
		bdfu_cli_print_job(cli, path, props);
	}
	if (last == 0)
		return 0;
	results = g_dbus_connection_call_sync(bus,
					      BDFU_DBUS_NAME,
					      BDFU_DBUS_PATH,
					      BDFU_DBUS_MANAGER_IFACE,
					      "ListResults",
					      NULL,
					      G_VARIANT_TYPE("(aa{sv})"),
					      G_DBUS_CALL_FLAGS_NONE,
					      10000,
					      NULL,
					      &error);
	if (results != NULL) {
		g_autoptr(GVariant) list = g_variant_get_child_value(results, 0);
		gsize n = g_variant_n_children(list);
		if (!cli->json && n > 0)
			g_print("\n%-5s %-24s %-18s %-17s %s\n",
				"JOB",
				"TARGET",
				"ADDRESS",
				"RESULT",
				"MESSAGE");
		for (gsize i = n > (gsize)last ? n - (gsize)last : 0; i < n; i++) {
			g_autoptr(GVariant) r = g_variant_get_child_value(list, i);
			const gchar *target = "", *address = "", *result = "", *message = "";
			guint32 id = 0;
			g_autofree gchar *first_line = NULL;
			if (cli->json) {
				g_autoptr(cJSON) obj = bdfu_cli_variant_to_json(r);
				cJSON_AddStringToObject(obj, "event", "recorded-result");
				bdfu_cli_print_json(obj);
				continue;
			}
			g_variant_lookup(r, "id", "u", &id);
			g_variant_lookup(r, "target", "&s", &target);
			g_variant_lookup(r, "address", "&s", &address);
			g_variant_lookup(r, "result", "&s", &result);
			g_variant_lookup(r, "message", "&s", &message);
			first_line = g_strndup(message, strcspn(message, "\n"));
			g_print("%-5u %-24s %-18s %-17s %s\n",
				id,
				target,
				address[0] != '\0' ? address : "-",
				result,
				first_line);
		}
	}
	return 0;
}

int
bdfu_cli_watch(BdfuCli *cli, int argc, char **argv)
{
	BdfuCliRun run = {0};
	BdfuCliFollow follow = {0};
	g_autoptr(GDBusConnection) bus = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *label = NULL;
	const gchar *paths[2] = {NULL, NULL};
	guint ids[3];
	int rc;

	if (!bdfu_cli_parse(cli,
			    "watch",
			    "JOB",
			    "Follow a job of bluedfud until it ends; exits with its exit code.",
			    NULL,
			    &argc,
			    &argv))
		return 2;
	if (argc != 2 || (path = bdfu_cli_job_path(argv[1])) == NULL) {
		g_printerr("bluedfu watch: expected one JOB (its number or object path)\n");
		return 2;
	}
	bus = bdfu_cli_daemon_require(cli);
	if (bus == NULL)
		return 1;
	label = bdfu_cli_job_get_string(bus, path, "Target");
	if (label == NULL) {
		g_autoptr(GError) error = g_error_new(BDFU_ERROR,
						      BDFU_ERROR_NOT_FOUND,
						      "no job %s in bluedfud (`bluedfu jobs` lists "
						      "them and the recorded results)",
						      argv[1]);
		return bdfu_cli_fail(cli, error);
	}
	run.cli = cli;
	run.targets = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_cli_target_free);
	bdfu_cli_follow_init(&follow, &run, bus, ids);
	bdfu_cli_follow_add(&follow, path, label, 1);
	paths[0] = path;
	bdfu_cli_follow_run(&follow, paths);
	rc = bdfu_cli_follow_exit_code(&run);
	bdfu_cli_follow_clear(&follow, ids);
	g_clear_pointer(&run.targets, g_ptr_array_unref);
	return rc;
}

int
bdfu_cli_cancel(BdfuCli *cli, int argc, char **argv)
{
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree gchar *path = NULL;

	if (!bdfu_cli_parse(cli, "cancel", "JOB", "Cancel a job of bluedfud.", NULL, &argc, &argv))
		return 2;
	if (argc != 2 || (path = bdfu_cli_job_path(argv[1])) == NULL) {
		g_printerr("bluedfu cancel: expected one JOB (its number or object path)\n");
		return 2;
	}
	bus = bdfu_cli_daemon_require(cli);
	if (bus == NULL)
		return 1;
	reply = g_dbus_connection_call_sync(bus,
					    BDFU_DBUS_NAME,
					    path,
					    BDFU_DBUS_JOB_IFACE,
					    "Cancel",
					    NULL,
					    NULL,
					    G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
					    130000,
					    NULL,
					    &error);
	if (reply == NULL) {
		if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
		    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD)) {
			g_clear_error(&error);
			error = g_error_new(
			    BDFU_ERROR, BDFU_ERROR_NOT_FOUND, "no job %s in bluedfud", argv[1]);
		}
		g_dbus_error_strip_remote_error(error);
		return bdfu_cli_fail(cli, error);
	}
	if (!cli->quiet && !cli->json)
		g_print("%s: cancel requested\n", path);
	return 0;
}
