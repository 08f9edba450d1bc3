/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib-unix.h>
#include <stdio.h>

#include "bluedfu/bdfu-error.h"
#include "cli/bdfu-cli-progress.h"
#include "cli/bdfu-cli.h"
#include "cli/bdfu-cli-run.h"
#include "cli/bdfu-cli-daemon.h"
#include "core/bdfu-image.h"
#include "core/bdfu-package.h"
#include "update/bdfu-update-job.h"

void
bdfu_cli_target_free(BdfuCliTarget *target)
{
	g_clear_object(&target->job);
	g_free(target->target);
	g_free(target->progress.label);
	g_free(target->outcome);
	g_free(target->message);
	g_free(target->address);
	g_free(target);
}

void
bdfu_cli_target_event(BdfuCliTarget *target, const gchar *name, GVariant *data)
{
	BdfuCli *cli = target->run->cli;

	if (g_strcmp0(name, "found") == 0) {
		const gchar *address = NULL;
		if (g_variant_lookup(data, "address", "&s", &address)) {
			g_free(target->address);
			target->address = g_strdup(address);
		}
	}
	if (cli->json) {
		g_autoptr(cJSON) obj = bdfu_cli_variant_to_json(data);
		if (g_strcmp0(name, "log") == 0 && !cli->verbose)
			return;
		cJSON_AddStringToObject(obj, "event", name);
		cJSON_AddStringToObject(obj, "target", target->target);
		bdfu_cli_print_json(obj);
		return;
	}
	bdfu_cli_progress_event(&target->progress, name, data);
}

static void
bdfu_cli_job_event_cb(BdfuUpdateJob *job, const gchar *name, GVariant *data, gpointer user_data)
{
	bdfu_cli_target_event(user_data, name, data);
}

static void
bdfu_cli_run_next(BdfuCliRun *run);

/* prints the result line of a finished target (the caller filled outcome, exit code, message) */
void
bdfu_cli_target_print_result(BdfuCliTarget *target, const gchar *error_name)
{
	BdfuCliRun *run = target->run;

	target->finished = TRUE;
	if (run->cli->json) {
		g_autoptr(cJSON) obj = cJSON_CreateObject();
		cJSON_AddStringToObject(obj, "event", "result");
		cJSON_AddStringToObject(obj, "target", target->target);
		if (target->address != NULL)
			cJSON_AddStringToObject(obj, "address", target->address);
		cJSON_AddStringToObject(obj, "outcome", target->outcome);
		cJSON_AddNumberToObject(obj, "exit_code", target->exit_code);
		cJSON_AddStringToObject(obj, "message", target->message);
		if (error_name != NULL)
			cJSON_AddStringToObject(obj, "error", error_name);
		bdfu_cli_print_json(obj);
	} else {
		bdfu_cli_progress_clear(&target->progress);
		if (target->exit_code != 0)
			g_printerr("%s: %s\n", target->target, target->message);
		else if (run->options.enter_only)
			g_print("%s: %s\n", target->target, target->message);
	}
}

static void
bdfu_cli_job_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuCliTarget *target = user_data;
	BdfuCliRun *run = target->run;
	g_autoptr(GError) error = NULL;

	bdfu_update_job_run_finish(BDFU_UPDATE_JOB(source), res, &error);
	target->exit_code = bdfu_error_to_exit_code(error);
	target->outcome = g_strdup(run->options.enter_only && error == NULL
					 ? "in-bootloader"
					 : bdfu_update_outcome_from_error(error));
	if (error != NULL)
		target->message = g_strdup(error->message);
	else if (run->options.enter_only)
		target->message = g_strdup_printf("in DFU mode at %s",
						  bdfu_update_job_get_dfu_address(target->job));
	else
		target->message = g_strdup("application booted");
	bdfu_cli_target_print_result(target,
				     error != NULL && error->domain == BDFU_ERROR
					 ? bdfu_error_to_string((BdfuError)error->code)
					 : NULL);

	run->running--;
	bdfu_cli_run_next(run);
}

static void
bdfu_cli_run_next(BdfuCliRun *run)
{
	while (run->running < run->parallel && run->next < run->targets->len) {
		BdfuCliTarget *target = g_ptr_array_index(run->targets, run->next++);
		target->job = bdfu_update_job_new(run->backend, run->zip, target->target, &run->options);
		g_signal_connect(target->job, "event", G_CALLBACK(bdfu_cli_job_event_cb), target);
		run->running++;
		bdfu_update_job_run_async(target->job, run->cancellable, bdfu_cli_job_done_cb, target);
	}
	if (run->running == 0 && run->next >= run->targets->len)
		g_main_loop_quit(run->loop);
}

static gboolean
bdfu_cli_sigint_cb(gpointer user_data)
{
	BdfuCliRun *run = user_data;
	g_cancellable_cancel(run->cancellable);
	return G_SOURCE_CONTINUE;
}

static gboolean
bdfu_cli_is_glob(const gchar *target)
{
	return strpbrk(target, "*?[") != NULL;
}

/* a glob becomes every matching device seen during one scan */
static gboolean
bdfu_cli_expand_glob(BdfuCliRun *run, const gchar *glob, GPtrArray *out, GError **error);

static void
bdfu_cli_scan_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GAsyncResult **result = user_data;
	*result = g_object_ref(res);
}

static gboolean
bdfu_cli_expand_glob(BdfuCliRun *run, const gchar *glob, GPtrArray *out, GError **error)
{
	BdfuScanFilter filter = {0};
	GAsyncResult *res = NULL;
	g_autoptr(GPtrArray) devices = NULL;

	filter.name_glob = (gchar *)glob;
	bdfu_backend_scan_async(run->backend,
				&filter,
				run->options.scan_timeout_ms,
				run->cancellable,
				bdfu_cli_scan_done_cb,
				&res);
	while (res == NULL)
		g_main_context_iteration(NULL, TRUE);
	devices = bdfu_backend_scan_finish(run->backend, res, error);
	g_object_unref(res);
	if (devices == NULL)
		return FALSE;
	if (devices->len == 0) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_NOT_FOUND,
			    "no device matching '%s' was seen advertising within %u s",
			    glob,
			    run->options.scan_timeout_ms / 1000);
		return FALSE;
	}
	for (guint i = 0; i < devices->len; i++) {
		BdfuDeviceInfo *info = g_ptr_array_index(devices, i);
		g_ptr_array_add(out, g_strdup(info->address));
	}
	return TRUE;
}

void
bdfu_cli_print_summary(BdfuCliRun *run)
{
	guint ok = 0;
	if (run->cli->json || run->targets->len < 2)
		return;
	g_print("\n%-24s %-18s %-17s %s\n", "TARGET", "ADDRESS", "OUTCOME", "MESSAGE");
	for (guint i = 0; i < run->targets->len; i++) {
		BdfuCliTarget *target = g_ptr_array_index(run->targets, i);
		g_autofree gchar *first_line = g_strdup(target->message != NULL ? target->message : "");
		gchar *nl = strchr(first_line, '\n');
		if (nl != NULL)
			*nl = '\0';
		g_print("%-24s %-18s %-17s %s\n", target->target,
			target->address != NULL ? target->address : "-",
			target->outcome != NULL ? target->outcome : "not run", first_line);
		if (target->exit_code == 0 && target->finished)
			ok++;
	}
	g_print("%u of %u devices updated\n", ok, run->targets->len);
}

static int
bdfu_cli_run_clear(BdfuCliRun *run, int rc)
{
	g_clear_pointer(&run->targets, g_ptr_array_unref);
	if (run->backend != NULL)
		bdfu_backend_flush(run->backend);
	g_clear_object(&run->backend);
	g_clear_object(&run->cancellable);
	g_clear_pointer(&run->loop, g_main_loop_unref);
	return rc;
}

static int
bdfu_cli_run_targets(BdfuCli *cli, BdfuCliRun *run, char **targets, guint n_targets)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) expanded = g_ptr_array_new_with_free_func(g_free);
	guint source_id;
	int rc = 0;

	run->cli = cli;
	run->cancellable = g_cancellable_new();
	run->loop = g_main_loop_new(NULL, FALSE);
	run->targets = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_cli_target_free);
	run->backend = bdfu_cli_get_backend(cli, &error);
	if (run->backend == NULL)
		return bdfu_cli_run_clear(run, bdfu_cli_fail(cli, error));
	for (guint i = 0; i < n_targets; i++) {
		if (bdfu_cli_is_glob(targets[i])) {
			if (!bdfu_cli_expand_glob(run, targets[i], expanded, &error))
				return bdfu_cli_run_clear(run, bdfu_cli_fail(cli, error));
		} else {
			g_ptr_array_add(expanded, g_strdup(targets[i]));
		}
	}
	for (guint i = 0; i < expanded->len; i++) {
		BdfuCliTarget *target = g_new0(BdfuCliTarget, 1);
		target->run = run;
		target->target = g_strdup(g_ptr_array_index(expanded, i));
		target->progress.label = g_strdup(target->target);
		target->progress.tty = cli->is_tty && expanded->len == 1;
		target->progress.quiet = cli->quiet;
		target->progress.verbose = cli->verbose > 0;
		target->progress.last_decile = G_MAXUINT;
		/* findings are printed once, before the run */
		target->progress.show_findings = FALSE;
		g_ptr_array_add(run->targets, target);
	}
	source_id = g_unix_signal_add(SIGINT, bdfu_cli_sigint_cb, run);
	bdfu_cli_run_next(run);
	if (run->running > 0)
		g_main_loop_run(run->loop);
	g_source_remove(source_id);

	bdfu_cli_print_summary(run);
	for (guint i = 0; i < run->targets->len; i++) {
		BdfuCliTarget *target = g_ptr_array_index(run->targets, i);
		if (target->exit_code != 0 && rc == 0)
			rc = target->exit_code;
	}
	if (!cli->json && rc == 0 && run->targets->len == 1 && !run->options.enter_only &&
	    !cli->quiet)
		g_print("Done: the application is running.\n");
	return bdfu_cli_run_clear(run, rc);
}

/* checks the package once, up front: exit 3 before touching any device */
static gboolean
bdfu_cli_precheck(BdfuCli *cli, GBytes *zip, gboolean force, GError **error)
{
	g_autoptr(BdfuPackage) package = bdfu_package_new_from_bytes(zip, NULL, error);
	if (package == NULL)
		return FALSE;
	if (!bdfu_package_check_sendable(package, error))
		return FALSE;
	if (cli->json || cli->quiet)
		return TRUE;
	for (guint i = 0; i < package->parts->len; i++) {
		BdfuPackagePart *part = g_ptr_array_index(package->parts, i);
		g_autoptr(GPtrArray) findings =
		    g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_finding_free);
		gsize len = 0;
		const guint8 *bin = g_bytes_get_data(part->bin, &len);
		bdfu_image_check(part->init, bin, len, findings);
		for (guint j = 0; j < findings->len; j++) {
			BdfuFinding *finding = g_ptr_array_index(findings, j);
			if (finding->severity == BDFU_SEVERITY_INFO)
				continue;
			g_printerr("%s %s (%s): %s\n  fix: %s\n",
				   finding->severity == BDFU_SEVERITY_ERROR ? "ERROR" : "warning",
				   finding->id, bdfu_part_type_to_string(part->type),
				   finding->message, finding->fix);
		}
	}
	return TRUE;
}

int
bdfu_cli_update(BdfuCli *cli, int argc, char **argv)
{
	BdfuCliRun run = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	gint prn = 12, mtu = 0, retries = 3, parallel = 1, timeout = 10, boot_timeout = 20;
	gboolean no_resume = FALSE, no_verify_boot = FALSE, force = FALSE;
	const GOptionEntry entries[] = {
	    {"prn", 0, 0, G_OPTION_ARG_INT, &prn,
	     "Packet receipt notification every N packets, 0 = off (default 12)", "N"},
	    {"mtu", 0, 0, G_OPTION_ARG_INT, &mtu, "Cap the ATT MTU used (23..517)", "N"},
	    {"retries", 0, 0, G_OPTION_ARG_INT, &retries,
	     "Reconnect and resume up to N times per image (default 3)", "N"},
	    {"no-resume", 0, 0, G_OPTION_ARG_NONE, &no_resume,
	     "Start every image from the beginning", NULL},
	    {"parallel", 'j', 0, G_OPTION_ARG_INT, &parallel,
	     "Update up to N devices at once (default 1)", "N"},
	    {"no-verify-boot", 0, 0, G_OPTION_ARG_NONE, &no_verify_boot,
	     "Do not wait to see the application start", NULL},
	    {"force", 0, 0, G_OPTION_ARG_NONE, &force,
	     "Send a package even when its hash or sizes are inconsistent", NULL},
	    {"timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
	     "Seconds to find a device (default 10)", "S"},
	    {"boot-timeout", 0, 0, G_OPTION_ARG_INT, &boot_timeout,
	     "Seconds to see the application start (default 20)", "S"},
	    {NULL}};

	if (!bdfu_cli_parse(cli, "update", "PACKAGE TARGET...",
			    "Update devices with a DFU package. TARGET is an address, a name or a "
			    "name glob ('Sensor-*').",
			    entries, &argc, &argv))
		return 2;
	if (argc < 3) {
		g_printerr("bluedfu update: expected PACKAGE and at least one TARGET\n"
			   "Try 'bluedfu update --help'.\n");
		return 2;
	}
	if (prn < 0 || prn > 0xFFFF || (mtu != 0 && (mtu < 23 || mtu > 517)) || retries < 0 ||
	    parallel < 1 || parallel > 64 || timeout < 1 || boot_timeout < 1) {
		g_printerr("bluedfu update: --prn 0..65535, --mtu 23..517, --parallel 1..64, "
			   "timeouts >= 1\n");
		return 2;
	}
	if (!g_file_get_contents(argv[1], &contents, &len, &error)) {
		g_autoptr(GError) wrapped = g_error_new(BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE,
							"cannot read the package: %s", error->message);
		return bdfu_cli_fail(cli, wrapped);
	}
	if (len > BDFU_CLI_MAX_PACKAGE) {
		g_autoptr(GError) wrapped = g_error_new(BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE,
							"%s is %" G_GSIZE_FORMAT " bytes: over the %u MiB "
							"limit for a DFU package", argv[1], len,
							BDFU_CLI_MAX_PACKAGE / (1024 * 1024));
		return bdfu_cli_fail(cli, wrapped);
	}
	run.zip = g_bytes_new_take(g_steal_pointer(&contents), len);
	if (!bdfu_cli_precheck(cli, run.zip, force, &error)) {
		g_bytes_unref(run.zip);
		return bdfu_cli_fail(cli, error);
	}
	bdfu_update_options_init(&run.options);
	run.options.prn = (guint16)prn;
	run.options.mtu = (guint16)mtu;
	run.options.retries = (guint)retries;
	run.options.resume = !no_resume;
	run.options.verify_boot = !no_verify_boot;
	run.options.force = force;
	run.options.scan_timeout_ms = (guint)timeout * 1000;
	run.options.boot_timeout_ms = (guint)boot_timeout * 1000;
	run.options.verbose = cli->verbose > 0;
	run.parallel = (guint)parallel;
	run.verb = "update";

	g_autoptr(GDBusConnection) daemon = bdfu_cli_daemon_get(cli);
	int rc = daemon != NULL
		     ? bdfu_cli_daemon_update(cli, &run, daemon, argv + 2, (guint)argc - 2)
		     : bdfu_cli_run_targets(cli, &run, argv + 2, (guint)argc - 2);
	g_bytes_unref(run.zip);
	return rc;
}

int
bdfu_cli_enter_bootloader(BdfuCli *cli, int argc, char **argv)
{
	BdfuCliRun run = {0};
	gint timeout = 10;
	const GOptionEntry entries[] = {
	    {"timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
	     "Seconds to find the device (default 10)", "S"},
	    {NULL}};

	if (!bdfu_cli_parse(cli, "enter-bootloader", "TARGET",
			    "Ask a device's application to restart into its DFU bootloader "
			    "(buttonless DFU), and show where the bootloader advertises.",
			    entries, &argc, &argv))
		return 2;
	if (argc != 2 || timeout < 1) {
		g_printerr("bluedfu enter-bootloader: expected one TARGET\n"
			   "Try 'bluedfu enter-bootloader --help'.\n");
		return 2;
	}
	bdfu_update_options_init(&run.options);
	run.options.enter_only = TRUE;
	run.options.scan_timeout_ms = (guint)timeout * 1000;
	run.options.verbose = cli->verbose > 0;
	run.parallel = 1;
	run.verb = "enter-bootloader";
	return bdfu_cli_run_targets(cli, &run, argv + 1, 1);
}
