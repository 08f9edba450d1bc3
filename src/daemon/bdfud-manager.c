/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bluedfud"

#include "daemon/bdfud-manager.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/bluez/bdfu-bluez-backend.h"
#include "backend/sim/bdfu-sim-backend.h"
#include "bluedfu/bdfu-dbus.h"
#include "bluedfu/bdfu-error.h"
#include "core/bdfu-package.h"
#include "daemon/bdfud-introspect.h"
#include "daemon/bdfud-job.h"
#include "daemon/bdfud-options.h"
#include "daemon/bdfud-polkit.h"

typedef struct {
	gchar *adapter;
	BdfuBackend *backend;
	GQueue waiting;	     /* BdfudJob*, not owned */
	GHashTable *running; /* BdfudJob* set, not owned */
} BdfudQueue;

struct _BdfudManager {
	GObject parent_instance;
	GDBusConnection *bus;
	const BdfudConfig *config;
	BdfudJournal *journal;
	GPtrArray *queues; /* BdfudQueue*, the first is the default */
	GHashTable *jobs;  /* id → BdfudJob* (owned) */
	guint registration_id;
};

G_DEFINE_TYPE(BdfudManager, bdfud_manager, G_TYPE_OBJECT)

static void
bdfud_queue_free(BdfudQueue *queue)
{
	g_free(queue->adapter);
	g_clear_object(&queue->backend);
	g_queue_clear(&queue->waiting);
	g_clear_pointer(&queue->running, g_hash_table_unref);
	g_free(queue);
}

static BdfudQueue *
bdfud_manager_find_queue(BdfudManager *self, const gchar *adapter)
{
	if (adapter == NULL || adapter[0] == '\0')
		return g_ptr_array_index(self->queues, 0);
	for (guint i = 0; i < self->queues->len; i++) {
		BdfudQueue *queue = g_ptr_array_index(self->queues, i);
		if (g_strcmp0(queue->adapter, adapter) == 0)
			return queue;
	}
	return NULL;
}

/* queue --------------------------------------------------------------------------------------- */

static void
bdfud_manager_run_queue(BdfudManager *self, BdfudQueue *queue)
{
	while (g_hash_table_size(queue->running) < self->config->max_parallel &&
	       !g_queue_is_empty(&queue->waiting)) {
		BdfudJob *job = g_queue_pop_head(&queue->waiting);
		gboolean resumed = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(job), "resumed"));
		g_hash_table_add(queue->running, job);
		bdfud_job_start(job, queue->backend, resumed);
	}
}

typedef struct {
	BdfudManager *manager;
	guint id;
} BdfudLinger;

static gboolean
bdfud_manager_linger_done_cb(gpointer user_data)
{
	BdfudLinger *linger = user_data;
	BdfudJob *job = g_hash_table_lookup(linger->manager->jobs, GUINT_TO_POINTER(linger->id));
	if (job != NULL) {
		bdfud_job_unexport(job);
		g_hash_table_remove(linger->manager->jobs, GUINT_TO_POINTER(linger->id));
	}
	g_object_unref(linger->manager);
	g_free(linger);
	return G_SOURCE_REMOVE;
}

static void
bdfud_manager_job_finished_cb(BdfudJob *job, gpointer user_data)
{
	BdfudManager *self = user_data;
	BdfudQueue *queue = bdfud_manager_find_queue(self, bdfud_job_get_adapter(job));
	BdfudLinger *linger = g_new0(BdfudLinger, 1);

	if (queue != NULL) {
		g_queue_remove(&queue->waiting, job);
		g_hash_table_remove(queue->running, job);
	}
	g_dbus_connection_emit_signal(
	    self->bus,
	    NULL,
	    BDFU_DBUS_PATH,
	    BDFU_DBUS_MANAGER_IFACE,
	    "JobRemoved",
	    g_variant_new("(os)", bdfud_job_get_path(job), bdfud_job_get_result(job)),
	    NULL);
	/* late watchers can still read the Result for a while */
	linger->manager = g_object_ref(self);
	linger->id = bdfud_job_get_id(job);
	g_timeout_add(self->config->linger_ms, bdfud_manager_linger_done_cb, linger);
	if (queue != NULL)
		bdfud_manager_run_queue(self, queue);
}

static void
bdfud_manager_cancel_auth_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	BdfudJob *job = g_object_get_data(G_OBJECT(invocation), "bdfud-job");
	g_autoptr(GError) error = NULL;

	if (!bdfud_polkit_check_finish(res, &error)) {
		g_dbus_method_invocation_return_gerror(invocation, error);
		return;
	}
	bdfud_job_cancel(job);
	g_dbus_method_invocation_return_value(invocation, NULL);
}

static void
bdfud_manager_job_cancel_requested_cb(BdfudJob *job,
				      GDBusMethodInvocation *invocation,
				      gpointer user_data)
{
	BdfudManager *self = user_data;
	if (!self->config->polkit) {
		bdfud_job_cancel(job);
		g_dbus_method_invocation_return_value(invocation, NULL);
		return;
	}
	g_object_set_data_full(
	    G_OBJECT(invocation), "bdfud-job", g_object_ref(job), g_object_unref);
	bdfud_polkit_check_async(self->bus,
				 g_dbus_method_invocation_get_sender(invocation),
				 BDFU_POLKIT_ACTION_UPDATE,
				 NULL,
				 bdfud_manager_cancel_auth_cb,
				 g_object_ref(invocation));
}

/* takes `entry`; queues the job behind the others of its adapter */
static BdfudJob *
bdfud_manager_add_job(BdfudManager *self,
		      BdfudJournalEntry *entry,
		      GBytes *zip,
		      const BdfuPackage *package,
		      gboolean resumed,
		      GError **error)
{
	BdfudQueue *queue = bdfud_manager_find_queue(self, entry->adapter);
	guint64 total = 0;
	BdfudJob *job;

	for (guint i = 0; i < package->parts->len; i++) {
		BdfuPackagePart *part = g_ptr_array_index(package->parts, i);
		total += g_bytes_get_size(part->bin);
	}
	if (queue == NULL) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_NOT_FOUND,
			    "bluedfud does not manage adapter %s",
			    entry->adapter);
		bdfud_journal_entry_free(entry);
		return NULL;
	}
	g_free(entry->adapter);
	entry->adapter = g_strdup(queue->adapter);
	job = bdfud_job_new(self->bus, self->journal, entry, zip, package->parts->len, total);
	if (!bdfud_job_export(job, error)) {
		g_object_unref(job);
		return NULL;
	}
	g_object_set_data(G_OBJECT(job), "resumed", GINT_TO_POINTER(resumed));
	g_signal_connect(job, "finished", G_CALLBACK(bdfud_manager_job_finished_cb), self);
	g_signal_connect(
	    job, "cancel-requested", G_CALLBACK(bdfud_manager_job_cancel_requested_cb), self);
	g_hash_table_insert(self->jobs, GUINT_TO_POINTER(bdfud_job_get_id(job)), job);
	g_dbus_connection_emit_signal(self->bus,
				      NULL,
				      BDFU_DBUS_PATH,
				      BDFU_DBUS_MANAGER_IFACE,
				      "JobAdded",
				      g_variant_new("(o)", bdfud_job_get_path(job)),
				      NULL);
	g_queue_push_tail(&queue->waiting, job);
	return job;
}

/* StartUpdate ---------------------------------------------------------------------------------- */

typedef struct {
	BdfudManager *manager;
	GDBusMethodInvocation *invocation;
	gint fd;
	gchar **targets;
	GVariant *options;
	BdfudQueue *queue;
	BdfuUpdateOptions update;
	GBytes *zip;
	BdfuPackage *package;
	gchar *digest;
	GPtrArray *expanded; /* gchar* targets after glob expansion */
	guint scans_pending;
	GError *error;
} BdfudStartRequest;

static void
bdfud_start_request_free(BdfudStartRequest *req)
{
	if (req->fd >= 0)
		close(req->fd);
	g_object_unref(req->manager);
	g_object_unref(req->invocation);
	g_strfreev(req->targets);
	g_clear_pointer(&req->options, g_variant_unref);
	g_clear_pointer(&req->zip, g_bytes_unref);
	g_clear_pointer(&req->package, bdfu_package_free);
	g_clear_pointer(&req->expanded, g_ptr_array_unref);
	g_clear_error(&req->error);
	g_free(req->digest);
	g_free(req);
}

static void
bdfud_start_request_fail(BdfudStartRequest *req, GError *error)
{
	g_dbus_method_invocation_return_gerror(req->invocation, error);
	g_error_free(error);
	bdfud_start_request_free(req);
}

/* reads the client's package from its descriptor, within the size cap */
static GBytes *
bdfud_read_package_fd(gint fd, gsize max, GError **error)
{
	struct stat st;
	g_autofree guint8 *buf = NULL;
	gsize done = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "the package must be passed as a regular file or a memfd");
		return NULL;
	}
	if ((guint64)st.st_size > max) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "the package is %" G_GUINT64_FORMAT " bytes: over the %" G_GSIZE_FORMAT
			    " byte limit (max-package-size)",
			    (guint64)st.st_size,
			    max);
		return NULL;
	}
	buf = g_malloc(MAX(st.st_size, 1));
	while (done < (gsize)st.st_size) {
		ssize_t n = pread(fd, buf + done, (gsize)st.st_size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "cannot read the package descriptor: %s",
				    n < 0 ? g_strerror(errno) : "it is shorter than it says");
			return NULL;
		}
		done += (gsize)n;
	}
	return g_bytes_new_take(g_steal_pointer(&buf), done);
}

static void
bdfud_start_request_create_jobs(BdfudStartRequest *req)
{
	BdfudManager *self = req->manager;
	GVariantBuilder paths;
	GError *error = NULL;

	if (req->error != NULL) {
		bdfud_start_request_fail(req, g_steal_pointer(&req->error));
		return;
	}
	if (!bdfud_journal_store_package(self->journal, req->digest, req->zip, &error)) {
		bdfud_start_request_fail(req, error);
		return;
	}
	g_variant_builder_init(&paths, G_VARIANT_TYPE("ao"));
	for (guint i = 0; i < req->expanded->len; i++) {
		BdfudJournalEntry *entry = g_new0(BdfudJournalEntry, 1);
		BdfudJob *job;
		entry->id = bdfud_journal_next_id(self->journal);
		entry->target = g_strdup(g_ptr_array_index(req->expanded, i));
		entry->digest = g_strdup(req->digest);
		entry->adapter = g_strdup(req->queue->adapter);
		entry->options = req->update;
		job = bdfud_manager_add_job(self, entry, req->zip, req->package, FALSE, &error);
		if (job == NULL) {
			g_warning("cannot add a job: %s", error->message);
			g_clear_error(&error);
			continue;
		}
		g_variant_builder_add(&paths, "o", bdfud_job_get_path(job));
	}
	g_dbus_method_invocation_return_value(req->invocation, g_variant_new("(ao)", &paths));
	bdfud_manager_run_queue(self, req->queue);
	bdfud_start_request_free(req);
}

static void
bdfud_start_request_scan_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfudStartRequest *req = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) devices = bdfu_backend_scan_finish(BDFU_BACKEND(source), res, &error);
	const gchar *glob = g_object_get_data(G_OBJECT(res), "bdfud-glob");

	if (devices == NULL && req->error == NULL)
		req->error = g_steal_pointer(&error);
	for (guint i = 0; devices != NULL && i < devices->len; i++) {
		BdfuDeviceInfo *info = g_ptr_array_index(devices, i);
		if (!g_ptr_array_find_with_equal_func(
			req->expanded, info->address, g_str_equal, NULL))
			g_ptr_array_add(req->expanded, g_strdup(info->address));
	}
	if (devices != NULL && devices->len == 0 && req->error == NULL)
		req->error = g_error_new(BDFU_ERROR,
					 BDFU_ERROR_NOT_FOUND,
					 "no device matching the glob was seen advertising within "
					 "%u s%s%s",
					 req->update.scan_timeout_ms / 1000,
					 glob != NULL ? ": " : "",
					 glob != NULL ? glob : "");
	if (--req->scans_pending == 0)
		bdfud_start_request_create_jobs(req);
}

static void
bdfud_start_request_expand(BdfudStartRequest *req)
{
	req->expanded = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; req->targets[i] != NULL; i++) {
		const gchar *target = req->targets[i];
		if (strpbrk(target, "*?[") == NULL) {
			g_ptr_array_add(req->expanded, g_strdup(target));
			continue;
		}
		req->scans_pending++;
	}
	if (req->scans_pending == 0) {
		bdfud_start_request_create_jobs(req);
		return;
	}
	for (guint i = 0; req->targets[i] != NULL; i++) {
		BdfuScanFilter filter = {0};
		if (strpbrk(req->targets[i], "*?[") == NULL)
			continue;
		filter.name_glob = req->targets[i];
		bdfu_backend_scan_async(req->queue->backend,
					&filter,
					req->update.scan_timeout_ms,
					NULL,
					bdfud_start_request_scan_cb,
					req);
	}
}

static void
bdfud_start_request_authorized(BdfudStartRequest *req)
{
	BdfudManager *self = req->manager;
	GError *error = NULL;
	const gchar *adapter = NULL;

	req->zip = bdfud_read_package_fd(req->fd, self->config->max_package, &error);
	if (req->zip == NULL) {
		bdfud_start_request_fail(req, error);
		return;
	}
	req->package = bdfu_package_new_from_bytes(req->zip, NULL, &error);
	if (req->package == NULL) {
		bdfud_start_request_fail(req, error);
		return;
	}
	if (!bdfu_package_check_sendable(req->package, &error)) {
		bdfud_start_request_fail(req, error);
		return;
	}
	req->digest = g_malloc0(65);
	{
		gsize len = 0;
		const guint8 *d = g_bytes_get_data(req->package->digest, &len);
		for (gsize i = 0; i < len && i < 32; i++)
			g_snprintf(req->digest + 2 * i, 3, "%02x", d[i]);
	}
	req->update = self->config->update;
	if (!bdfud_options_parse(req->options, &req->update, &adapter, &error)) {
		bdfud_start_request_fail(req, error);
		return;
	}
	req->queue = bdfud_manager_find_queue(self, adapter);
	if (req->queue == NULL) {
		bdfud_start_request_fail(req,
					 g_error_new(BDFU_ERROR,
						     BDFU_ERROR_NOT_FOUND,
						     "bluedfud does not manage adapter %s",
						     adapter));
		return;
	}
	bdfud_start_request_expand(req);
}

static void
bdfud_start_request_auth_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfudStartRequest *req = user_data;
	GError *error = NULL;
	if (!bdfud_polkit_check_finish(res, &error)) {
		bdfud_start_request_fail(req, error);
		return;
	}
	bdfud_start_request_authorized(req);
}

static void
bdfud_manager_start_update(BdfudManager *self,
			   GVariant *parameters,
			   GDBusMethodInvocation *invocation)
{
	BdfudStartRequest *req = g_new0(BdfudStartRequest, 1);
	GDBusMessage *message = g_dbus_method_invocation_get_message(invocation);
	GUnixFDList *fds = g_dbus_message_get_unix_fd_list(message);
	gint32 handle = -1;
	GError *error = NULL;

	req->manager = g_object_ref(self);
	req->invocation = g_object_ref(invocation);
	req->fd = -1;
	g_variant_get(parameters, "(h^as@a{sv})", &handle, &req->targets, &req->options);
	if (fds == NULL || handle < 0 || handle >= g_unix_fd_list_get_length(fds)) {
		bdfud_start_request_fail(req,
					 g_error_new_literal(BDFU_ERROR,
							     BDFU_ERROR_INVALID_ARGUMENT,
							     "no package descriptor was passed"));
		return;
	}
	req->fd = g_unix_fd_list_get(fds, handle, &error);
	if (req->fd < 0) {
		bdfud_start_request_fail(req, error);
		return;
	}
	if (req->targets[0] == NULL || g_strv_length(req->targets) > 1024) {
		bdfud_start_request_fail(req,
					 g_error_new_literal(BDFU_ERROR,
							     BDFU_ERROR_INVALID_ARGUMENT,
							     "give from 1 to 1024 targets"));
		return;
	}
	if (!self->config->polkit) {
		bdfud_start_request_authorized(req);
		return;
	}
	bdfud_polkit_check_async(self->bus,
				 g_dbus_method_invocation_get_sender(invocation),
				 BDFU_POLKIT_ACTION_UPDATE,
				 NULL,
				 bdfud_start_request_auth_cb,
				 req);
}

/* Scan, ListJobs, ListResults
 * ---------------------------------------------------------------------- */

static void
bdfud_manager_scan_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) devices = bdfu_backend_scan_finish(BDFU_BACKEND(source), res, &error);
	GVariantBuilder out;

	if (devices == NULL) {
		g_dbus_method_invocation_return_gerror(invocation, error);
		return;
	}
	g_variant_builder_init(&out, G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; i < devices->len; i++) {
		BdfuDeviceInfo *info = g_ptr_array_index(devices, i);
		g_variant_builder_open(&out, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&out, "{sv}", "address", g_variant_new_string(info->address));
		g_variant_builder_add(&out,
				      "{sv}",
				      "name",
				      g_variant_new_string(info->name != NULL ? info->name : ""));
		g_variant_builder_add(&out, "{sv}", "rssi", g_variant_new_int16(info->rssi));
		g_variant_builder_add(&out,
				      "{sv}",
				      "mode",
				      g_variant_new_string(bdfu_device_mode_to_string(info->mode)));
		g_variant_builder_add(
		    &out,
		    "{sv}",
		    "adapter",
		    g_variant_new_string(info->adapter != NULL ? info->adapter : ""));
		g_variant_builder_close(&out);
	}
	g_dbus_method_invocation_return_value(invocation, g_variant_new("(aa{sv})", &out));
}

static void
bdfud_manager_scan(BdfudManager *self, GVariant *parameters, GDBusMethodInvocation *invocation)
{
	g_autoptr(GVariant) options = NULL;
	BdfuScanFilter filter = {0};
	guint32 timeout = 5000;
	const gchar *adapter = NULL;
	BdfudQueue *queue;

	g_variant_get(parameters, "(@a{sv})", &options);
	g_variant_lookup(options, "timeout", "u", &timeout);
	g_variant_lookup(options, "all", "b", &filter.all);
	g_variant_lookup(options, "adapter", "&s", &adapter);
	queue = bdfud_manager_find_queue(self, adapter);
	if (queue == NULL || timeout == 0 || timeout > 120000) {
		g_dbus_method_invocation_return_error(
		    invocation,
		    BDFU_ERROR,
		    BDFU_ERROR_INVALID_ARGUMENT,
		    queue == NULL ? "unknown adapter" : "timeout must be 1..120000 ms");
		return;
	}
	bdfu_backend_scan_async(queue->backend,
				&filter,
				timeout,
				NULL,
				bdfud_manager_scan_cb,
				g_object_ref(invocation));
}

static gint
bdfud_job_id_cmp(gconstpointer a, gconstpointer b)
{
	guint ia = bdfud_job_get_id(*(BdfudJob *const *)a);
	guint ib = bdfud_job_get_id(*(BdfudJob *const *)b);
	return ia < ib ? -1 : ia > ib;
}

static GVariant *
bdfud_manager_list_jobs(BdfudManager *self)
{
	g_autoptr(GPtrArray) jobs = g_ptr_array_new();
	GVariantBuilder out;
	GHashTableIter iter;
	gpointer job;

	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &job))
		g_ptr_array_add(jobs, job);
	g_ptr_array_sort(jobs, bdfud_job_id_cmp);
	g_variant_builder_init(&out, G_VARIANT_TYPE("ao"));
	for (guint i = 0; i < jobs->len; i++)
		g_variant_builder_add(&out, "o", bdfud_job_get_path(g_ptr_array_index(jobs, i)));
	return g_variant_new("(ao)", &out);
}

static GVariant *
bdfud_manager_list_results(BdfudManager *self)
{
	GPtrArray *results = bdfud_journal_get_results(self->journal);
	GVariantBuilder out;
	g_variant_builder_init(&out, G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; i < results->len; i++) {
		BdfudResult *r = g_ptr_array_index(results, i);
		g_variant_builder_open(&out, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&out, "{sv}", "id", g_variant_new_uint32(r->id));
		g_variant_builder_add(&out,
				      "{sv}",
				      "target",
				      g_variant_new_string(r->target != NULL ? r->target : ""));
		g_variant_builder_add(&out,
				      "{sv}",
				      "address",
				      g_variant_new_string(r->address != NULL ? r->address : ""));
		g_variant_builder_add(&out, "{sv}", "result", g_variant_new_string(r->result));
		g_variant_builder_add(&out, "{sv}", "exit-code", g_variant_new_int32(r->exit_code));
		g_variant_builder_add(&out,
				      "{sv}",
				      "message",
				      g_variant_new_string(r->message != NULL ? r->message : ""));
		g_variant_builder_add(&out, "{sv}", "finished", g_variant_new_int64(r->finished));
		g_variant_builder_close(&out);
	}
	return g_variant_new("(aa{sv})", &out);
}

static void
bdfud_manager_method_call(GDBusConnection *connection,
			  const gchar *sender,
			  const gchar *object_path,
			  const gchar *interface_name,
			  const gchar *method_name,
			  GVariant *parameters,
			  GDBusMethodInvocation *invocation,
			  gpointer user_data)
{
	BdfudManager *self = user_data;
	if (g_strcmp0(method_name, "StartUpdate") == 0)
		bdfud_manager_start_update(self, parameters, invocation);
	else if (g_strcmp0(method_name, "Scan") == 0)
		bdfud_manager_scan(self, parameters, invocation);
	else if (g_strcmp0(method_name, "ListJobs") == 0)
		g_dbus_method_invocation_return_value(invocation, bdfud_manager_list_jobs(self));
	else if (g_strcmp0(method_name, "ListResults") == 0)
		g_dbus_method_invocation_return_value(invocation, bdfud_manager_list_results(self));
	else
		g_dbus_method_invocation_return_error(invocation,
						      G_DBUS_ERROR,
						      G_DBUS_ERROR_UNKNOWN_METHOD,
						      "no method %s",
						      method_name);
}

static GVariant *
bdfud_manager_get_property(GDBusConnection *connection,
			   const gchar *sender,
			   const gchar *object_path,
			   const gchar *interface_name,
			   const gchar *property_name,
			   GError **error,
			   gpointer user_data)
{
	if (g_strcmp0(property_name, "Version") == 0)
		return g_variant_new_string(BDFU_VERSION);
	g_set_error(
	    error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", property_name);
	return NULL;
}

static const GDBusInterfaceVTable bdfud_manager_vtable = {
    .method_call = bdfud_manager_method_call,
    .get_property = bdfud_manager_get_property,
};

/* lifetime ---------------------------------------------------------------------------------------
 */

/* journaled jobs whose daemon died: resumed from what the device has verified */
static void
bdfud_manager_resume_journal(BdfudManager *self)
{
	g_autoptr(GPtrArray) entries = bdfud_journal_list(self->journal);

	while (entries->len > 0) {
		BdfudJournalEntry *entry = g_ptr_array_steal_index(entries, 0);
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) zip =
		    bdfud_journal_load_package(self->journal, entry->digest, &error);
		g_autoptr(BdfuPackage) package =
		    zip != NULL ? bdfu_package_new_from_bytes(zip, NULL, &error) : NULL;
		if (package == NULL) {
			BdfudResult result = {.id = entry->id,
					      .target = entry->target,
					      .address = entry->address,
					      .result = (gchar *)"failed",
					      .exit_code = 1,
					      .finished = g_get_real_time() / G_USEC_PER_SEC};
			g_autofree gchar *msg = g_strdup_printf(
			    "bluedfud restarted and the job's package is gone: %s", error->message);
			result.message = msg;
			bdfud_journal_add_result(self->journal, &result, NULL);
			bdfud_journal_remove(self->journal, entry->id);
			bdfud_journal_entry_free(entry);
			continue;
		}
		g_message(
		    "resuming job %u (%s) at part %u", entry->id, entry->target, entry->part + 1);
		if (bdfud_manager_add_job(self, entry, zip, package, TRUE, &error) == NULL)
			g_warning("cannot resume a job: %s", error->message);
	}
	for (guint i = 0; i < self->queues->len; i++)
		bdfud_manager_run_queue(self, g_ptr_array_index(self->queues, i));
}

gboolean
bdfud_manager_start(BdfudManager *self, GError **error)
{
	self->registration_id = g_dbus_connection_register_object(
	    self->bus,
	    BDFU_DBUS_PATH,
	    bdfud_introspect_get_interface(BDFU_DBUS_MANAGER_IFACE),
	    &bdfud_manager_vtable,
	    self,
	    NULL,
	    error);
	if (self->registration_id == 0)
		return FALSE;
	bdfud_manager_resume_journal(self);
	return TRUE;
}

gboolean
bdfud_manager_is_busy(BdfudManager *self)
{
	for (guint i = 0; i < self->queues->len; i++) {
		BdfudQueue *queue = g_ptr_array_index(self->queues, i);
		if (!g_queue_is_empty(&queue->waiting) || g_hash_table_size(queue->running) > 0)
			return TRUE;
	}
	return FALSE;
}

static BdfudQueue *
bdfud_queue_new(const BdfudConfig *config, const gchar *adapter, GError **error)
{
	BdfudQueue *queue = g_new0(BdfudQueue, 1);
	if (g_strcmp0(config->backend, "sim") == 0)
		queue->backend =
		    bdfu_sim_backend_new(config->sim_profile, config->sim_realtime, error);
	else
		queue->backend = bdfu_bluez_backend_new(adapter, error);
	if (queue->backend == NULL) {
		g_free(queue);
		return NULL;
	}
	queue->adapter =
	    g_strdup(adapter != NULL ? adapter : bdfu_backend_get_name(queue->backend));
	queue->running = g_hash_table_new(NULL, NULL);
	g_queue_init(&queue->waiting);
	return queue;
}

BdfudManager *
bdfud_manager_new(GDBusConnection *bus, const BdfudConfig *config, GError **error)
{
	g_autoptr(BdfudManager) self = g_object_new(BDFUD_TYPE_MANAGER, NULL);

	bdfu_dbus_error_ensure();
	self->bus = g_object_ref(bus);
	self->config = config;
	self->journal = bdfud_journal_new(config->state_dir, config->max_results, error);
	if (self->journal == NULL)
		return NULL;
	if (config->adapters == NULL || config->adapters[0] == NULL) {
		BdfudQueue *queue = bdfud_queue_new(config, NULL, error);
		if (queue == NULL)
			return NULL;
		g_ptr_array_add(self->queues, queue);
	}
	for (guint i = 0; config->adapters != NULL && config->adapters[i] != NULL; i++) {
		BdfudQueue *queue = bdfud_queue_new(config, config->adapters[i], error);
		if (queue == NULL)
			return NULL;
		g_ptr_array_add(self->queues, queue);
	}
	return g_steal_pointer(&self);
}

static void
bdfud_manager_finalize(GObject *object)
{
	BdfudManager *self = BDFUD_MANAGER(object);
	if (self->registration_id != 0)
		g_dbus_connection_unregister_object(self->bus, self->registration_id);
	g_clear_pointer(&self->jobs, g_hash_table_unref);
	g_clear_pointer(&self->queues, g_ptr_array_unref);
	g_clear_pointer(&self->journal, bdfud_journal_free);
	g_clear_object(&self->bus);
	G_OBJECT_CLASS(bdfud_manager_parent_class)->finalize(object);
}

static void
bdfud_manager_class_init(BdfudManagerClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = bdfud_manager_finalize;
}

static void
bdfud_manager_init(BdfudManager *self)
{
	self->queues = g_ptr_array_new_with_free_func((GDestroyNotify)bdfud_queue_free);
	self->jobs = g_hash_table_new_full(NULL, NULL, NULL, g_object_unref);
}
